#!/usr/bin/env bash
# See the whole loop learn on a CPU: a small model through SFT and GRPO (verl 0.9.1), evaluated on
# held-out tasks by a real vLLM server before and after GRPO. See docs/learning.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/learn.sh [--workdir DIR] [--seed S]

Trains a small random-init Qwen2 on one easy task cell and checks that it learned, on a CPU, in
about 20-25 minutes (2 cores, < 12 GiB):
  1. builds the model and a tokenizer trained on task text; data_gen sft writes worked solutions
  2. verl sft_trainer (the SFT launcher's overrides + CPU adaptations), merged to HF weights
  3. scripts/serve-cpu.sh serves it; veritas eval scores held-out test-split tasks
  4. verl main_ppo GRPO from the SFT weights (the GRPO launcher's overrides, vLLM rollouts)
  5. merged, served and evaluated again on the same held-out tasks
Writes DIR/result.json (accuracy with Wilson 95% intervals, reward per step, time and memory per
stage) and DIR/curve.png. Exits 0 only when GRPO beats SFT with non-overlapping intervals on
>= 256 held-out tasks, the training reward rises, and the budget holds; otherwise 1.

Options (passed to python -m veritas.cpu_verl.learn):
  --workdir DIR  outputs, emptied first (default train/outputs/learn)
  --seed S       model init, data selection and held-out tasks (default 0)
  --set KEY=VAL  change one configuration value for an experiment (e.g. --set sft_steps=300);
                 the defaults are the configuration the criteria are checked on
  --stop-after sft_eval   stop after the SFT evaluation (for tuning the SFT)

Environment: SMOKE_VENV (default .venv-smoke, built on first use from requirements/smoke.txt),
PYTHON (interpreter to build it with, default python3).
USAGE
}
for arg in "$@"; do
    if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
        usage
        exit 0
    fi
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_smoke_venv.sh
source scripts/_smoke_venv.sh
ensure_smoke_venv scripts/learn.sh

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$smoke_python" -m veritas.cpu_verl.learn "$@"
