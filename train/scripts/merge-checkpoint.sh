#!/usr/bin/env bash
# A verl FSDP checkpoint -> a Hugging Face model folder (safetensors, config, tokenizer), with
# verl's own merger (python -m verl.model_merger). LoRA adapters are folded into the weights so the
# folder loads as a plain model; the adapter is kept beside it in lora_adapter/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage() {
    cat <<'USAGE'
usage: train/scripts/merge-checkpoint.sh [--step N] [--no-fold] [--force] [--dry-run] CHECKPOINTS [TARGET]

CHECKPOINTS  an experiment's checkpoint folder (train/artifacts/RL/checkpoints/<EXP> for GRPO,
             train/artifacts/checkpoints/<EXP> for SFT), or just <EXP> to look in both
TARGET       output folder (default train/artifacts/merged/<EXP>-step<N>)

Options:
  --step N    merge global_step_N instead of the latest checkpoint
  --no-fold   with LoRA, keep the base weights and lora_adapter/ apart (default: fold the adapter
              into the weights, same dtype as the base, and keep lora_adapter/ beside them)
  --force     replace TARGET if it exists
  --dry-run   print what would be merged and the commands, run nothing
  -h, --help  this help

The result loads with transformers' AutoModelForCausalLM.from_pretrained(TARGET) and serves with
vLLM. It is written to a temporary folder first and renamed into place when complete.
USAGE
}

dry_run=0
fold=1
force=0
step=""
positional=()
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --dry-run) dry_run=1 ;;
        --no-fold) fold=0 ;;
        --force) force=1 ;;
        --step)
            (($# >= 2)) || die "--step needs a number"
            step="$2"
            shift ;;
        --step=*) step="${1#--step=}" ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) positional+=("$1") ;;
    esac
    shift
done
((${#positional[@]} >= 1 && ${#positional[@]} <= 2)) || die "expected CHECKPOINTS [TARGET] (see --help)"
[[ -z "$step" || "$step" =~ ^[0-9]+$ ]] || die "--step $step: expected a step number"

# ---- which checkpoint -------------------------------------------------------------------------
ckpts="${positional[0]}"
if [[ ! -d "$ckpts" ]]; then
    for candidate in "$VERITAS_ROOT/train/artifacts/RL/checkpoints/$ckpts" "$VERITAS_ROOT/train/artifacts/checkpoints/$ckpts"; do
        if [[ -d "$candidate" ]]; then
            ckpts="$candidate"
            break
        fi
    done
fi
[[ -d "$ckpts" ]] || die "no checkpoint folder '${positional[0]}' (nor train/artifacts/{RL/,}checkpoints/${positional[0]})"
ckpts="$(cd "$ckpts" && pwd)"
exp="$(basename "$ckpts")"

if [[ -z "$step" ]]; then
    latest="$(latest_checkpoint "$ckpts")"
    if [[ -n "$latest" ]]; then
        step="${latest#global_step_}"
    else
        # No tracker file (e.g. copied folders): take the highest global_step_N present.
        step="$(find "$ckpts" -maxdepth 1 -type d -name 'global_step_*' | sed 's/.*global_step_//' | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)"
    fi
fi
[[ -n "$step" ]] || die "$(rel "$ckpts") holds no global_step_N checkpoint"
step_dir="$ckpts/global_step_$step"
[[ -d "$step_dir" ]] || die "$(rel "$step_dir") does not exist"
# GRPO checkpoints keep the policy under actor/ (and the critic under critic/); SFT ones don't.
model_dir="$step_dir"
[[ -d "$step_dir/actor" ]] && model_dir="$step_dir/actor"
[[ -f "$model_dir/fsdp_config.json" ]] ||
    die "$(rel "$model_dir") is not a verl FSDP checkpoint (no fsdp_config.json)"

target="${positional[1]:-$VERITAS_ROOT/train/artifacts/merged/$exp-step$step}"
if [[ -e "$target" ]] && ((!force)); then
    die "$(rel "$target") exists; pass --force to replace it"
fi

echo "checkpoint   $(rel "$model_dir") (step $step of $exp)"
echo "target       $(rel "$target")"

merge_cmd=(python3 -m verl.model_merger merge --backend fsdp --local_dir "$model_dir" --target_dir "$target.partial/unfolded")
fold_cmd=(python3 "$VERITAS_ROOT/train/scripts/fold_lora.py" "$target.partial/unfolded" "$target.partial/folded")
if ((dry_run)); then
    echo "== command (dry run: not started) =="
    print_command "${merge_cmd[@]}"
    if ((fold)); then
        echo "== then, if the checkpoint holds a LoRA adapter =="
        print_command "${fold_cmd[@]}"
    fi
    exit 0
fi

# ---- merge, fold, rename into place -----------------------------------------------------------
rm -rf "$target.partial"
mkdir -p "$target.partial"
"${merge_cmd[@]}"
result="$target.partial/unfolded"
if [[ -d "$result/lora_adapter" ]] && ((fold)); then
    "${fold_cmd[@]}"
    result="$target.partial/folded"
fi
rm -rf "$target"
mv "$result" "$target"
rm -rf "$target.partial"
echo "merged: $(rel "$target")"
