#!/usr/bin/env bash
# GRPO (and friends) on veritas-rl's procedurally generated tasks, with verl 0.9.1's main_ppo.
#
# Reads top to bottom: settings -> checks -> model -> overrides (base, ALGO preset, LoRA, PRESET,
# your arguments; the last one given for a key wins) -> print where everything goes -> run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage() {
    cat <<'USAGE'
usage: train/scripts/lgc-v2-GRPO-trainer.sh [--dry-run] [--nohup] [KEY=VALUE ...]

Trains a model with reinforcement learning (verl 0.9.1 `main_ppo`, vLLM rollouts) on an environment
mix: tasks are generated on the fly from train/mixes/<MIX>-train.yaml and scored by veritas'
verifiers. Run it inside the container: ./docker_run_verl.sh bash train/scripts/lgc-v2-GRPO-trainer.sh

Options:
  --dry-run   print the settings and the exact command, run nothing (no download, no GPU needed)
  --nohup     run in the background, logging to train/logs/<experiment>.log; prints the PID
  --print-ray-env  print the KEY=VALUE settings the trainer gives Ray's workers (tracking, PYTHONPATH)
              and exit; the multi-node job starts `ray start` with them
  -h, --help  this help
  KEY=VALUE   any verl/Hydra override, passed through last (e.g. trainer.total_training_steps=200,
              actor_rollout_ref.rollout.n=16, +new.key=1)

Environment (also read from .env; see .env.example):
  MIX         environment mix: lgc-v2 (default), trace, lgc-v2-trace, lgc-v2-curriculum,
              lgc-v2-adaptive (difficulty follows the model's pass rates), or any pair
              train/mixes/<MIX>-{train,val}.yaml
  ALGO        grpo (default), drgrpo, gspo, dapo, rloo, reinforce_pp, ppo -> train/presets/algo/<ALGO>.args
  PRESET      quick: 5 tiny steps to try the whole loop; reference: the 200-step curve to compare
              a setup against (docs/learning.md) -> train/presets/<PRESET>/grpo.args
  MODEL       hub id or local directory (default Qwen/Qwen2.5-1.5B-Instruct), downloaded once to
              train/models/<id>; HF_TOKEN only for gated or private models
  LORA_RANK   >0 trains LoRA adapters of this rank (LORA_ALPHA, default 2*rank; LORA_LR, default 1e-5)
  GPUS        GPUs per node (default: all that nvidia-smi lists)
  NNODES      nodes (default 1; more needs a Ray cluster: see train/slurm/grpo-multinode.sbatch)
  EXP         experiment name (default <MIX>-<ALGO>-<model>[-lora<R>][-<PRESET>]); same name = resume
  PROJECT     W&B / TensorBoard project (default veritas-rl)
  WANDB_API_KEY  set: W&B online; unset: offline under train/artifacts/wandb (wandb-sync.sh uploads)
  VAL_N       >1: validation samples VAL_N answers per task at temperature 1 (pass@k, mean@k)
  DUMP_GENERATIONS  1: write every rollout and validation answer as JSON lines under
              train/artifacts/RL/generations/<EXP>/{rollout,val}/

Outputs: checkpoints train/artifacts/RL/checkpoints/<EXP>/ (resumed automatically), TensorBoard
train/artifacts/tensorboard/<EXP>/, W&B train/artifacts/wandb/, Hydra train/outputs/<date>/<time>/.
USAGE
}

parse_launcher_args "$@"

load_env_file

# ---- settings ---------------------------------------------------------------------------------
MIX="${MIX:-lgc-v2}"
ALGO="${ALGO:-grpo}"
PRESET="${PRESET:-}"
MODEL="${MODEL:-$DEFAULT_MODEL}"
NNODES="${NNODES:-1}"
PROJECT="${PROJECT:-veritas-rl}"
LORA_LR="${LORA_LR:-1e-5}"
check_lora

algo_file="$VERITAS_ROOT/train/presets/algo/$ALGO.args"
[[ -f "$algo_file" ]] ||
    die "ALGO=$ALGO: no preset $(rel "$algo_file"); choose one of: $(preset_names "$VERITAS_ROOT/train/presets/algo")"
preset_file=""
if [[ -n "$PRESET" ]]; then
    preset_file="$VERITAS_ROOT/train/presets/$PRESET/grpo.args"
    [[ "$PRESET" != algo && -f "$preset_file" ]] || die "PRESET=$PRESET: no preset $(rel "$preset_file"); try PRESET=quick or PRESET=reference"
fi
[[ "$NNODES" =~ ^[1-9][0-9]*$ ]] || die "NNODES=$NNODES: expected a positive integer"
if ((NNODES > 1)) && [[ -z "${RAY_ADDRESS:-}" ]] && ((!dry_run)); then
    die "NNODES=$NNODES needs a running Ray cluster (RAY_ADDRESS); start it with: sbatch train/slurm/grpo-multinode.sbatch"
fi

VAL_N="${VAL_N:-1}"
[[ "$VAL_N" =~ ^[1-9][0-9]*$ ]] || die "VAL_N=$VAL_N: expected a positive integer (answers per validation task)"
DUMP_GENERATIONS="${DUMP_GENERATIONS:-0}"
[[ "$DUMP_GENERATIONS" == 0 || "$DUMP_GENERATIONS" == 1 ]] || die "DUMP_GENERATIONS=$DUMP_GENERATIONS: expected 0 or 1"

train_mix="$VERITAS_ROOT/train/mixes/$MIX-train.yaml"
val_mix="$VERITAS_ROOT/train/mixes/$MIX-val.yaml"
dataset_plugin="$VERITAS_ROOT/tools/dataset_manager.py"
reward_plugin="$VERITAS_ROOT/tools/reward_manager.py"
for f in "$train_mix" "$val_mix" "$dataset_plugin" "$reward_plugin"; do
    if [[ ! -f "$f" ]]; then
        ((dry_run)) || die "$(rel "$f") not found (MIX=$MIX; mixes here: $(mix_names))"
        info "note: $(rel "$f") does not exist yet"
    fi
done

# Worked solutions of level 4-5 trace tasks run past 4096 tokens (docs/training.md, "Length
# budgets"); a mix that holds trace gets 8192 answer tokens, the others 4096.
response_budget=4096
if [[ -f "$train_mix" ]] && grep -Eq 'task_type:[[:space:]]*trace([[:space:],}]|$)' "$train_mix"; then
    response_budget=8192
fi

# The experiment name decides the checkpoint folder, so the same settings resume the same run.
exp_default="$MIX-$ALGO-$(slug "$(basename "$MODEL")")"
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
((dry_run || print_ray_env)) || ensure_model "$MODEL"
setup_tracking "$EXP"
ckpt_dir="$VERITAS_ROOT/train/artifacts/RL/checkpoints/$EXP"
generations_dir="$VERITAS_ROOT/train/artifacts/RL/generations/$EXP"
WANDB_RUN_ID="$(wandb_run_id "$ckpt_dir" "$EXP" "$((!dry_run))")"
RAY_PYTHONPATH="$VERITAS_ROOT${PYTHONPATH:+:$PYTHONPATH}"
run_dir="$VERITAS_ROOT/train/outputs/$(date +%Y-%m-%d)/$(date +%H-%M-%S)"
log_file="$VERITAS_ROOT/train/logs/$EXP.log"

if ((print_ray_env)); then
    # What a Ray cluster started elsewhere (train/slurm/grpo-multinode.sbatch) gives its processes.
    printf '%s\n' "WANDB_MODE=$WANDB_MODE" "WANDB_DIR=$WANDB_DIR" "WANDB_RUN_ID=$WANDB_RUN_ID" \
        "WANDB_RESUME=allow" "TENSORBOARD_DIR=$TENSORBOARD_DIR" "PYTHONPATH=$RAY_PYTHONPATH"
    exit 0
fi

# ---- overrides --------------------------------------------------------------------------------
base=(
    # data: tasks generated on the fly from the mix, scored by veritas' verifiers (tools/ plug-ins)
    data.custom_cls.path="$dataset_plugin"
    data.custom_cls.name=DynamicEnvDataset
    data.train_files="$train_mix"
    data.val_files="$val_mix"
    data.shuffle=false
    data.train_batch_size=64
    # Budgets from the measured lengths (docs/training.md, "Length budgets"): every prompt fits
    # 2048 tokens; answers get room for the longest worked solutions of the mix's task types.
    # Per-GPU token budgets hold several full prompt + answer sequences.
    data.max_prompt_length=2048
    data.max_response_length="$response_budget"
    reward.custom_reward_function.path="$reward_plugin"
    reward.custom_reward_function.name=compute_score
    # policy
    actor_rollout_ref.model.path="$model_dir"
    actor_rollout_ref.model.use_remove_padding=True
    actor_rollout_ref.model.enable_gradient_checkpointing=True
    actor_rollout_ref.actor.optim.lr=1e-6
    actor_rollout_ref.actor.ppo_mini_batch_size=32
    actor_rollout_ref.actor.use_dynamic_bsz=True
    actor_rollout_ref.actor.ppo_max_token_len_per_gpu=24576
    # rollout: vLLM, 8 answers per prompt
    actor_rollout_ref.rollout.name=vllm
    actor_rollout_ref.rollout.n=8
    actor_rollout_ref.rollout.tensor_model_parallel_size=1
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6
    actor_rollout_ref.rollout.log_prob_use_dynamic_bsz=True
    actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu=24576
    actor_rollout_ref.ref.log_prob_use_dynamic_bsz=True
    actor_rollout_ref.ref.log_prob_max_token_len_per_gpu=24576
    actor_rollout_ref.ref.fsdp_config.param_offload=True
    critic.enable=False
    # validation: a few generations shown in W&B's table (trainer.log_val_generations)
    trainer.log_val_generations=10
    # trainer: steps, checkpoints (resumed automatically), validation, logging. The step count is the
    # limit; verl also stops at the end of total_epochs, which only a small finite mix would reach.
    trainer.project_name="$PROJECT"
    trainer.experiment_name="$EXP"
    'trainer.logger=[console,wandb,tensorboard]'
    trainer.n_gpus_per_node="$GPUS"
    trainer.nnodes="$NNODES"
    trainer.total_epochs=100
    trainer.total_training_steps=500
    trainer.save_freq=50
    trainer.test_freq=25
    trainer.val_before_train=True
    trainer.max_actor_ckpt_to_keep=3
    trainer.max_critic_ckpt_to_keep=3
    trainer.default_local_dir="$ckpt_dir"
    trainer.resume_mode=auto
    hydra.run.dir="$run_dir"
)
# The tracking code (W&B, TensorBoard) runs inside Ray workers, not in this process: the settings
# reach them through the job's runtime environment as well as this process's (a Ray cluster started
# elsewhere, as on several nodes, does not inherit our environment). Secrets are not passed this way
# (they would show in the command line); the container's environment carries WANDB_API_KEY.
ray_env=(
    "+ray_kwargs.ray_init.runtime_env.env_vars.WANDB_MODE=$WANDB_MODE"
    "+ray_kwargs.ray_init.runtime_env.env_vars.WANDB_DIR=$WANDB_DIR"
    "+ray_kwargs.ray_init.runtime_env.env_vars.WANDB_RUN_ID=$WANDB_RUN_ID"
    "+ray_kwargs.ray_init.runtime_env.env_vars.WANDB_RESUME=allow"
    "+ray_kwargs.ray_init.runtime_env.env_vars.TENSORBOARD_DIR=$TENSORBOARD_DIR"
    "+ray_kwargs.ray_init.runtime_env.env_vars.PYTHONPATH=$RAY_PYTHONPATH"
)
validation=()
if ((VAL_N > 1)); then
    # pass@k: k sampled answers per validation task (verl logs mean@k, best@k, maj@k per data source)
    validation=(
        actor_rollout_ref.rollout.val_kwargs.n="$VAL_N"
        actor_rollout_ref.rollout.val_kwargs.do_sample=True
        actor_rollout_ref.rollout.val_kwargs.temperature=1.0
    )
fi
dumps=()
if ((DUMP_GENERATIONS)); then
    dumps=(
        trainer.rollout_data_dir="$generations_dir/rollout"
        trainer.validation_data_dir="$generations_dir/val"
    )
fi
# An adaptive-difficulty mix (docs/curriculum.md) logs its per-step curriculum metrics through
# verl's custom-sampler hook: verl's own replay buffer plus the metrics.
curriculum=()
if [[ -f "$train_mix" ]] && grep -Eq '^[^#]*\badaptive:' "$train_mix"; then
    curriculum=(
        trainer.v1.sampler.custom_sampler.path=pkg://veritas.curriculum.sampler
        trainer.v1.sampler.custom_sampler.name=CurriculumReplayBuffer
    )
fi
algo=()
read_args_file algo "$algo_file"
# PPO trains a critic beside the actor: two models with fp32 Adam states next to vLLM. On a single
# GPU both models' parameters and optimizer states live in CPU memory between their updates.
one_gpu=()
if [[ "$ALGO" == ppo ]] && ((GPUS * NNODES == 1)); then
    read_args_file one_gpu "$VERITAS_ROOT/train/presets/one-gpu/ppo.args"
fi
lora=()
if ((LORA_RANK > 0)); then
    lora=(
        actor_rollout_ref.model.lora_rank="$LORA_RANK"
        actor_rollout_ref.model.lora_alpha="$LORA_ALPHA"
        actor_rollout_ref.model.target_modules=all-linear
        actor_rollout_ref.actor.optim.lr="$LORA_LR"
        actor_rollout_ref.rollout.load_format=safetensors
        actor_rollout_ref.rollout.layered_summon=True
    )
fi
preset=()
[[ -n "$preset_file" ]] && read_args_file preset "$preset_file"
overrides=()
merge_overrides overrides "${base[@]}" "${ray_env[@]}" "${validation[@]}" "${dumps[@]}" "${curriculum[@]}" \
    "${algo[@]}" "${one_gpu[@]}" "${lora[@]}" "${preset[@]}" "${user_overrides[@]}"

# Paths as the merged overrides set them (an override of the checkpoint folder is honoured here too).
ckpt_dir="$(override_value trainer.default_local_dir "${overrides[@]}")"
resume="$(latest_checkpoint "$ckpt_dir")"
check_resume_world_size "$(resume_target "$ckpt_dir" "${overrides[@]}")" "$((GPUS * NNODES))" "$dry_run"

# ---- where everything goes --------------------------------------------------------------------
echo "== veritas-rl GRPO trainer =="
echo "mix          $MIX ($(rel "$train_mix"), $(rel "$val_mix"))"
echo "algorithm    $ALGO ($(rel "$algo_file"))${PRESET:+, preset $PRESET ($(rel "$preset_file"))}"
echo "model        $MODEL -> $(rel "$model_dir") ($model_status)"
if ((LORA_RANK > 0)); then echo "LoRA         rank $LORA_RANK, alpha $LORA_ALPHA, lr $LORA_LR"; else echo "LoRA         off"; fi
echo "GPUs         $GPUS per node x $NNODES node(s)"
echo "experiment   $EXP (project $PROJECT)"
echo "checkpoints  $(rel "$ckpt_dir")/ (resume: ${resume:-none yet, starts at step 0})"
echo "W&B          $WANDB_WHERE, run id $WANDB_RUN_ID (resumed with the checkpoints)"
echo "validation   ${VAL_N} answer(s) per task$( ((VAL_N > 1)) && echo " at temperature 1 (pass@$VAL_N)")"
((DUMP_GENERATIONS)) && echo "generations  $(rel "$generations_dir")/{rollout,val}/"
((${#one_gpu[@]})) && echo "one GPU      ppo: actor and critic parameters and optimizer states offloaded to CPU (train/presets/one-gpu/ppo.args)"
echo "TensorBoard  $(rel "$TENSORBOARD_DIR")/"
echo "Hydra        $(rel "$(override_value hydra.run.dir "${overrides[@]}")")/"
if ((nohup_mode)); then echo "log          $(rel "$log_file")"; else echo "log          this terminal (add --nohup for train/logs/$EXP.log)"; fi

cmd=(
    env
    PYTHONPATH="$RAY_PYTHONPATH"
    WANDB_MODE="$WANDB_MODE"
    WANDB_DIR="$WANDB_DIR"
    WANDB_RUN_ID="$WANDB_RUN_ID"
    WANDB_RESUME=allow
    TENSORBOARD_DIR="$TENSORBOARD_DIR"
    HYDRA_FULL_ERROR=1
    python3 -m verl.trainer.main_ppo
    "${overrides[@]}"
)
((dry_run)) || mkdir -p "$WANDB_DIR" "$TENSORBOARD_DIR"
run_or_background "$log_file" "$dry_run" "$nohup_mode" "${cmd[@]}"
