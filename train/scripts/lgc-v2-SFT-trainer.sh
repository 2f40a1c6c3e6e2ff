#!/usr/bin/env bash
# Supervised fine-tuning on data_gen's conversations with verl 0.9.1's sft_trainer under torchrun.
#
# Reads top to bottom: settings -> checks -> model -> overrides (base, LoRA, PRESET, your
# arguments; the last one given for a key wins) -> print where everything goes -> run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage() {
    cat <<'USAGE'
usage: train/scripts/lgc-v2-SFT-trainer.sh [--dry-run] [--nohup] [KEY=VALUE ...]

Fine-tunes a model on chat transcripts (a `messages` column of parquet files written by data_gen:
train/parquet/train.parquet and train/parquet/val.parquet) with verl 0.9.1's `sft_trainer`, one
process per GPU under torchrun. Run it inside the container:
  ./docker_run_verl.sh bash train/scripts/lgc-v2-SFT-trainer.sh

Options:
  --dry-run   print the settings and the exact command, run nothing (no download, no GPU needed)
  --nohup     run in the background, logging to train/logs/<experiment>.log; prints the PID
  -h, --help  this help
  KEY=VALUE   any verl/Hydra override, passed through last (e.g. data.train_files=my.parquet,
              trainer.total_epochs=1, data.max_length=16384)

Environment (also read from .env; see .env.example):
  PRESET      quick: 5 tiny steps to try the whole loop -> train/presets/quick/sft.args
  MODEL       hub id or local directory (default Qwen/Qwen2.5-1.5B-Instruct), downloaded once to
              train/models/<id>; HF_TOKEN only for gated or private models
  LORA_RANK   >0 trains LoRA adapters of this rank (LORA_ALPHA, default 2*rank; LORA_LR, default 1e-4)
  GPUS        GPUs to use on this machine (default: all that nvidia-smi lists)
  EXP         experiment name (default sft-<model>[-lora<R>][-<PRESET>]); same name = resume
  PROJECT     W&B / TensorBoard project (default veritas-rl)
  WANDB_API_KEY  set: W&B online; unset: offline under train/artifacts/wandb (wandb-sync.sh uploads)

Outputs: checkpoints train/artifacts/checkpoints/<EXP>/ (resumed automatically), TensorBoard
train/artifacts/tensorboard/<EXP>/, W&B train/artifacts/wandb/, Hydra train/outputs/<date>/<time>/.
USAGE
}

parse_launcher_args "$@"

load_env_file

# ---- settings ---------------------------------------------------------------------------------
PRESET="${PRESET:-}"
MODEL="${MODEL:-$DEFAULT_MODEL}"
PROJECT="${PROJECT:-veritas-rl}"
LORA_LR="${LORA_LR:-1e-4}"
check_lora

preset_file=""
if [[ -n "$PRESET" ]]; then
    preset_file="$VERITAS_ROOT/train/presets/$PRESET/sft.args"
    [[ "$PRESET" != algo && -f "$preset_file" ]] || die "PRESET=$PRESET: no preset $(rel "$preset_file"); try PRESET=quick"
fi

exp_default="sft-$(slug "$(basename "$MODEL")")"
((LORA_RANK > 0)) && exp_default+="-lora$LORA_RANK"
[[ -n "$PRESET" ]] && exp_default+="-$PRESET"
EXP="${EXP:-$(override_value trainer.experiment_name "${user_overrides[@]}")}"
EXP="${EXP:-$exp_default}"
[[ "$EXP" =~ ^[A-Za-z0-9._-]+$ ]] || die "EXP=$EXP: use letters, digits, '.', '_' and '-' only"
[[ "$VERITAS_ROOT" != *[[:space:]]* ]] || die "the repository path '$VERITAS_ROOT' contains whitespace; Hydra overrides cannot carry it"

# ---- machine, model, tracking -----------------------------------------------------------------
require_gpus "$dry_run"
model_dir="$(model_dir_for "$MODEL")"
model_status="$(model_state "$MODEL")"
setup_tracking "$EXP"
ckpt_dir="$VERITAS_ROOT/train/artifacts/checkpoints/$EXP"
run_dir="$VERITAS_ROOT/train/outputs/$(date +%Y-%m-%d)/$(date +%H-%M-%S)"
log_file="$VERITAS_ROOT/train/logs/$EXP.log"

# ---- overrides --------------------------------------------------------------------------------
base=(
    # data: multi-turn chat transcripts (a `messages` column), loss on the assistant turns
    data.train_files="$VERITAS_ROOT/train/parquet/train.parquet"
    data.val_files="$VERITAS_ROOT/train/parquet/val.parquet"
    data.messages_key=messages
    # Conversations up to 8192 tokens (data_gen's worked solutions of the hardest trace tasks pass
    # 4096); a longer row would stop verl mid-run, so the launcher counts them first (below).
    data.max_length=8192
    data.max_token_len_per_gpu=16384
    data.truncation=error
    data.train_batch_size=64
    data.micro_batch_size_per_gpu=4
    # model and optimizer
    model.path="$model_dir"
    model.use_remove_padding=True
    model.enable_gradient_checkpointing=True
    optim.lr=1e-5
    optim.lr_warmup_steps_ratio=0.05
    optim.lr_scheduler_type=cosine
    # trainer: epochs, checkpoints (resumed automatically), validation, logging
    trainer.project_name="$PROJECT"
    trainer.experiment_name="$EXP"
    'trainer.logger=[console,wandb,tensorboard]'
    trainer.n_gpus_per_node="$GPUS"
    trainer.nnodes=1
    trainer.total_epochs=2
    trainer.save_freq=200
    trainer.test_freq=200
    trainer.max_ckpt_to_keep=3
    trainer.default_local_dir="$ckpt_dir"
    trainer.resume_mode=auto
    hydra.run.dir="$run_dir"
)
lora=()
if ((LORA_RANK > 0)); then
    lora=(
        model.lora_rank="$LORA_RANK"
        model.lora_alpha="$LORA_ALPHA"
        model.target_modules=all-linear
        optim.lr="$LORA_LR"
    )
fi
preset=()
[[ -n "$preset_file" ]] && read_args_file preset "$preset_file"
overrides=()
merge_overrides overrides "${base[@]}" "${lora[@]}" "${preset[@]}" "${user_overrides[@]}"

# The data must exist before GPUs are spent (checked on the final values, so overrides count).
for key in data.train_files data.val_files; do
    file="$(override_value "$key" "${overrides[@]}")"
    if [[ "$file" != \[* && "$file" != null && ! -f "$file" ]]; then
        ((dry_run)) || die "$key: $(rel "$file") not found; write it with data_gen (see docs/training.md, 'SFT'), or pass $key=PATH"
        info "note: $(rel "$file") does not exist yet"
    fi
done
((dry_run)) || ensure_model "$MODEL"
ckpt_dir="$(override_value trainer.default_local_dir "${overrides[@]}")"
resume="$(latest_checkpoint "$ckpt_dir")"
check_resume_world_size "$(resume_target "$ckpt_dir" "${overrides[@]}")" "$GPUS" "$dry_run"
WANDB_RUN_ID="$(wandb_run_id "$ckpt_dir" "$EXP" "$((!dry_run))")"

# Every conversation must fit data.max_length: verl's SFT dataset raises on the first longer one,
# hours into a run. Count them now with the model's own tokenizer and chat template (a dry run skips
# this: the model may not be downloaded yet).
max_length="$(override_value data.max_length "${overrides[@]}")"
token_budget="$(override_value data.max_token_len_per_gpu "${overrides[@]}")"
if [[ "$max_length" =~ ^[0-9]+$ && "$token_budget" =~ ^[0-9]+$ ]] && ((token_budget < max_length)); then
    die "data.max_token_len_per_gpu=$token_budget is smaller than data.max_length=$max_length: one conversation would not fit a GPU's micro-batch; pass data.max_token_len_per_gpu=$((2 * max_length))"
fi
if ((!dry_run)) && [[ "$(override_value data.truncation "${overrides[@]}")" == error ]]; then
    sft_files=()
    for key in data.train_files data.val_files; do
        file="$(override_value "$key" "${overrides[@]}")"
        [[ "$file" != \[* && "$file" != null && -f "$file" ]] && sft_files+=("$file")
    done
    info "counting the tokens of every conversation in ${sft_files[*]} (data.max_length=$max_length)"
    preflight_status=0
    PYTHONPATH="$VERITAS_ROOT${PYTHONPATH:+:$PYTHONPATH}" python3 -m veritas.token_lengths \
        --tokenizer "$model_dir" --max-length "$max_length" \
        --messages-key "$(override_value data.messages_key "${overrides[@]}")" "${sft_files[@]}" ||
        preflight_status=$?
    ((preflight_status == 0)) || die "not started: rows above do not fit data.max_length=$max_length (or a file could not be read)"
fi

# ---- where everything goes --------------------------------------------------------------------
echo "== veritas-rl SFT trainer =="
echo "data         $(rel "$(override_value data.train_files "${overrides[@]}")"), $(rel "$(override_value data.val_files "${overrides[@]}")")"
echo "preset       ${PRESET:-none}${PRESET:+ ($(rel "$preset_file"))}"
echo "model        $MODEL -> $(rel "$model_dir") ($model_status)"
if ((LORA_RANK > 0)); then echo "LoRA         rank $LORA_RANK, alpha $LORA_ALPHA, lr $LORA_LR"; else echo "LoRA         off"; fi
echo "GPUs         $GPUS"
echo "experiment   $EXP (project $PROJECT)"
echo "checkpoints  $(rel "$ckpt_dir")/ (resume: ${resume:-none yet, starts at step 0})"
echo "W&B          $WANDB_WHERE, run id $WANDB_RUN_ID (resumed with the checkpoints)"
echo "TensorBoard  $(rel "$TENSORBOARD_DIR")/"
echo "Hydra        $(rel "$(override_value hydra.run.dir "${overrides[@]}")")/"
if ((nohup_mode)); then echo "log          $(rel "$log_file")"; else echo "log          this terminal (add --nohup for train/logs/$EXP.log)"; fi

cmd=(
    env
    PYTHONPATH="$VERITAS_ROOT${PYTHONPATH:+:$PYTHONPATH}"
    WANDB_MODE="$WANDB_MODE"
    WANDB_DIR="$WANDB_DIR"
    WANDB_RUN_ID="$WANDB_RUN_ID"
    WANDB_RESUME=allow
    TENSORBOARD_DIR="$TENSORBOARD_DIR"
    HYDRA_FULL_ERROR=1
    torchrun --standalone --nnodes=1 --nproc_per_node="$GPUS"
    -m verl.trainer.sft_trainer
    "${overrides[@]}"
)
((dry_run)) || mkdir -p "$WANDB_DIR" "$TENSORBOARD_DIR"
run_or_background "$log_file" "$dry_run" "$nohup_mode" "${cmd[@]}"
