#!/usr/bin/env bash
# Serve a Hugging Face checkpoint with vLLM, evaluate it with `veritas eval`, stop the server.
# Run inside the container (./docker_run_verl.sh bash train/scripts/serve-and-eval.sh MODEL ...).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: train/scripts/serve-and-eval.sh MODEL_DIR [veritas eval flags...]

Starts `vllm serve MODEL_DIR` on 127.0.0.1, waits for its /health endpoint, runs
`veritas eval --base-url http://127.0.0.1:PORT/v1 --model NAME [flags]`, stops the server and
exits with the eval's status. MODEL_DIR is a Hugging Face model folder, e.g. the output of
train/scripts/merge-checkpoint.sh. Without eval flags it evaluates the lgc-v2 validation mix's
task types on 100 held-out tasks each.

Environment:
  SERVE_PORT            server port (default 8000); it must be free: the script refuses to evaluate
                        a server it did not start
  SERVE_NAME            served model name (default: the folder's name)
  SERVE_TP              tensor-parallel size (default 1: a small model's heads rarely divide by the
                        GPU count, e.g. Qwen2.5-1.5B's 12 heads refuse TP 8)
  SERVE_DP              data-parallel replicas (default: visible GPUs / SERVE_TP, honouring
                        CUDA_VISIBLE_DEVICES; 1 without GPUs)
  SERVE_MAX_MODEL_LEN   vLLM --max-model-len (default: the model's own)
  SERVE_GPU_MEM         vLLM --gpu-memory-utilization (default 0.85)
  SERVE_VLLM_ARGS       extra flags for `vllm serve`, split on spaces (e.g. "--enforce-eager")
  SERVE_HEALTH_TIMEOUT  seconds to wait for the server (default 900)
  SERVE_VLLM            the vllm executable (default vllm)
  SERVE_LOG_DIR         where the server log goes (default train/logs)
  OPENAI_API_KEY        not needed for a local server; see `veritas eval --help` (--api-key-env)

The server samples with vLLM's defaults (`--generation-config vllm`), as verl's rollouts do, not with
the model's generation_config.json (Qwen's adds repetition_penalty 1.05 and top_k 20).

Options:
  --vllm-arg ARG  one extra flag or value for `vllm serve` (repeatable; after SERVE_VLLM_ARGS)
  --dry-run       print the two commands and exit
  -h, --help      this text

Example:
  train/scripts/serve-and-eval.sh train/artifacts/merged/my-exp --mix train/mixes/lgc-v2-val.yaml --n 200
USAGE
}

dry_run=0
args=()
extra_vllm=()
if [[ -n "${SERVE_VLLM_ARGS:-}" ]]; then
    read -ra extra_vllm <<<"$SERVE_VLLM_ARGS"
fi
while (($#)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --dry-run) dry_run=1 ;;
        --vllm-arg)
            if (($# < 2)); then
                echo "serve-and-eval.sh: --vllm-arg needs a value (e.g. --vllm-arg --enforce-eager)" >&2
                exit 2
            fi
            extra_vllm+=("$2")
            shift ;;
        --vllm-arg=*) extra_vllm+=("${1#--vllm-arg=}") ;;
        *) args+=("$1") ;;
    esac
    shift
done
if [[ ${#args[@]} -lt 1 ]]; then
    usage >&2
    exit 2
fi
model_dir="${args[0]}"
eval_flags=("${args[@]:1}")
if [[ ! -f "$model_dir/config.json" ]]; then
    echo "serve-and-eval.sh: $model_dir is not a Hugging Face model folder (no config.json)" >&2
    exit 2
fi

port="${SERVE_PORT:-8000}"
name="${SERVE_NAME:-$(basename "$model_dir")}"
vllm_bin="${SERVE_VLLM:-vllm}"
health_timeout="${SERVE_HEALTH_TIMEOUT:-900}"
# GPUs this process may use: CUDA_VISIBLE_DEVICES when set (as Slurm and docker --gpus leave it),
# else what nvidia-smi lists.
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
    IFS=',' read -ra visible <<<"$CUDA_VISIBLE_DEVICES"
    gpus="${#visible[@]}"
elif command -v nvidia-smi >/dev/null 2>&1; then
    gpus="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)"
else
    gpus=0
fi
tp="${SERVE_TP:-1}"
[[ "$tp" =~ ^[1-9][0-9]*$ ]] || { echo "serve-and-eval.sh: SERVE_TP=$tp: expected a positive integer" >&2; exit 2; }
dp="${SERVE_DP:-$((gpus / tp))}"
((dp >= 1)) || dp=1
[[ "$dp" =~ ^[1-9][0-9]*$ ]] || { echo "serve-and-eval.sh: SERVE_DP=$dp: expected a positive integer" >&2; exit 2; }
if [[ ${#eval_flags[@]} -eq 0 ]]; then
    eval_flags=(--mix train/mixes/lgc-v2-val.yaml --n 100)
fi

serve_cmd=("$vllm_bin" serve "$model_dir" --host 127.0.0.1 --port "$port" --served-model-name "$name"
           --tensor-parallel-size "$tp" --gpu-memory-utilization "${SERVE_GPU_MEM:-0.85}"
           --generation-config vllm)
if ((dp > 1)); then
    serve_cmd+=(--data-parallel-size "$dp")
fi
if [[ -n "${SERVE_MAX_MODEL_LEN:-}" ]]; then
    serve_cmd+=(--max-model-len "$SERVE_MAX_MODEL_LEN")
fi
serve_cmd+=("${extra_vllm[@]}")
eval_cmd=(python -m veritas.cli eval --base-url "http://127.0.0.1:$port/v1" --model "$name" "${eval_flags[@]}")

if [[ "$dry_run" -eq 1 ]]; then
    printf 'serve: %s\n' "${serve_cmd[*]}"
    printf 'eval:  %s\n' "${eval_cmd[*]}"
    exit 0
fi

# A server already on the port would answer our health check and be evaluated in place of ours.
if ! python - "$port" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
then
    echo "serve-and-eval.sh: port $port is already in use (another server?); stop it or set SERVE_PORT to a free port" >&2
    exit 1
fi

log_dir="${SERVE_LOG_DIR:-train/logs}"
mkdir -p "$log_dir"
server_log="$log_dir/vllm-serve-$name.log"
# The server gets its own process group so that stopping it also stops its engine workers.
setsid "${serve_cmd[@]}" >"$server_log" 2>&1 &
server_pid=$!
# shellcheck disable=SC2329  # invoked by the EXIT trap below
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$server_pid" 2>/dev/null || return 0
            sleep 1
        done
        kill -KILL -- "-$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT

echo "serve-and-eval.sh: starting vLLM on port $port (log: $server_log)"
deadline=$((SECONDS + health_timeout))
until python - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2)
PY
do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "serve-and-eval.sh: vLLM exited before it was healthy; last lines of $server_log:" >&2
        tail -n 20 "$server_log" >&2
        exit 1
    fi
    if (( SECONDS >= deadline )); then
        echo "serve-and-eval.sh: vLLM not healthy after ${health_timeout}s (see $server_log)" >&2
        exit 1
    fi
    sleep 2
done
# The answering server must be ours: our process alive, serving our model name.
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "serve-and-eval.sh: vLLM (PID $server_pid) exited, yet something answers on port $port: refusing to evaluate a server this script did not start; last lines of $server_log:" >&2
    tail -n 20 "$server_log" >&2
    exit 1
fi
if ! served="$(python - "$port" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/models", timeout=10) as r:
    print(" ".join(m["id"] for m in json.load(r).get("data", [])))
PY
)"; then
    echo "serve-and-eval.sh: the server on port $port does not list its models (GET /v1/models failed)" >&2
    exit 1
fi
if [[ " $served " != *" $name "* ]]; then
    echo "serve-and-eval.sh: the server on port $port serves '${served:-nothing}', not '$name': it is not the one this script started" >&2
    exit 1
fi
echo "serve-and-eval.sh: server healthy (PID $server_pid, model $name); evaluating"

status=0
"${eval_cmd[@]}" || status=$?
exit "$status"
