#!/usr/bin/env bash
# Upload the W&B runs the trainers recorded offline (no WANDB_API_KEY at the time) with `wandb sync`.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage() {
    cat <<'USAGE'
usage: train/scripts/wandb-sync.sh [--dry-run] [RUN_DIR ...]

Uploads offline W&B runs to wandb.ai: by default every train/artifacts/wandb/wandb/offline-run-*
folder (WANDB_DIR moves it); wandb skips runs it already uploaded. Needs WANDB_API_KEY in the
environment or in .env (the key is never printed). Same as running, with the key set:
  wandb sync --yes train/artifacts/wandb/wandb/offline-run-*

Options:
  --dry-run   list what would be uploaded (wandb sync --dry-run), upload nothing, no key needed
  -h, --help  this help
USAGE
}

dry_run=0
runs=()
for arg in "$@"; do
    case "$arg" in
        -h | --help) usage; exit 0 ;;
        --dry-run) dry_run=1 ;;
        -*) die "unknown option '$arg' (see --help)" ;;
        *) runs+=("$arg") ;;
    esac
done

load_env_file
wandb_dir="${WANDB_DIR:-$VERITAS_ROOT/train/artifacts/wandb}"
if ((${#runs[@]} == 0)); then
    for run in "$wandb_dir"/wandb/offline-run-*; do
        [[ -d "$run" ]] && runs+=("$run")
    done
fi
((${#runs[@]} > 0)) || die "no offline W&B runs under $(rel "$wandb_dir")/wandb/"
command -v wandb >/dev/null 2>&1 || die "the 'wandb' command is missing; install it with: pip install wandb"

if ((dry_run)); then
    exec wandb sync --dry-run "${runs[@]}"
fi
[[ -n "${WANDB_API_KEY:-}" ]] ||
    die "WANDB_API_KEY is not set: put WANDB_API_KEY=<key from https://wandb.ai/authorize> in .env (see .env.example)"
echo "uploading ${#runs[@]} run(s) from $(rel "$wandb_dir")/wandb/"
exec wandb sync --yes "${runs[@]}"
