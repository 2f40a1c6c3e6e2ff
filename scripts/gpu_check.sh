#!/usr/bin/env bash
# A prepared check of verl's training path on one GPU machine that has CUDA, torch and transformers
# but neither verl, Ray nor vLLM, and no network: verl's own sft_trainer (FSDP2, bf16, sdpa) runs a
# few steps on a random-weight model shaped like Qwen2.5-0.5B, then a LoRA run of the same; it
# reports tokens/s, MFU (verl's own figure) and peak GPU memory. Wheels travel with the run in .whl/
# (ignored by git), downloaded beforehand here with --prepare.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/gpu_check.sh [--prepare [--have FREEZE]] [--inventory] [--dry-run] [--steps N]

  --inventory      (on the GPU machine, seconds) print its Python, torch, GPU and `pip freeze`;
                   save the freeze part as FREEZE for --prepare
  --prepare        (here, with PyPI) download verl 0.9.1 and the wheels it needs for the GPU
                   machine's Python (GPU_PY, default 3.12), leaving out torch, CUDA, triton,
                   transformers and, with --have FREEZE, every package FREEZE lists; big wheels are
                   split, and everything is grouped into .whl/batch1, batch2, ... of <= 60 MiB
                   (one device run carries at most 64 MiB; Ray's wheel alone is 76 MiB)
  --stash          (on the GPU machine) keep the carried .whl/batch* files in gpu-check/stash/ for
                   the next run (one call per batch but the last)
  (no option)      (on the GPU machine) install .whl/ into a venv that sees the system's torch,
                   build the model and data, run the SFT steps, print the report (under 10 minutes)
  --dry-run        print every step and command without running anything (works on any machine)
  --steps N        training steps per run (default 8; the first is warm-up and not timed)

Environment: GPU_PY (the GPU machine's Python, default 3.12), GPU_CHECK_DIR (work folder, default
gpu-check/), GPU_CHECK_ATTN (attention: sdpa, default; flash_attention_2 needs flash-attn there).
  -h, --help       this text

Device runs (the run tool; .whl/ is ignored by git, so it is carried), one per batch:
  run(command="bash scripts/gpu_check.sh --stash", carry=[".whl/batch1"])      # and batch2, ...
  run(command="bash scripts/gpu_check.sh", carry=[".whl/batchN"], timeout_s=600)  # the last batch
Results: gpu-check/report.txt (also under $OUT when set).
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wheels="$root/.whl"
work="${GPU_CHECK_DIR:-$root/gpu-check}"
gpu_py="${GPU_PY:-3.12}"
mode=run
resolve_python="${RESOLVE_PYTHON:-$root/.venv/bin/python}"
have=""
steps=8
dry_run=0
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --prepare) mode=prepare ;;
        --inventory) mode=inventory ;;
        --stash) mode=stash ;;
        --have)
            (($# >= 2)) || { echo "gpu_check.sh: --have needs a file (pip freeze of the GPU machine)" >&2; exit 2; }
            have="$2"; shift ;;
        --steps)
            (($# >= 2)) && [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "gpu_check.sh: --steps needs a positive integer" >&2; exit 2; }
            steps="$2"; shift ;;
        --dry-run) dry_run=1 ;;
        *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ -z "$have" || -f "$have" ]] || { echo "gpu_check.sh: --have $have: no such file" >&2; exit 2; }

# step TEXT CMD...: say what runs, then run it (a dry run only says).
step() {
    local what="$1"
    shift
    printf '== %s\n   %s\n' "$what" "$(printf '%q ' "$@")"
    ((dry_run)) || "$@"
}

# Never shipped: the GPU machine has them (torch's CUDA build must stay the system's).
not_shipped='^(torch|torchvision|torchaudio|triton|nvidia-.*|cuda-.*|transformers|tokenizers|safetensors|numpy|sympy|networkx|jinja2|markupsafe|filelock|fsspec|mpmath|typing-extensions|setuptools|pip)$'

# The model: Qwen2.5-0.5B's shape (config.json of the hub model: 24 layers, hidden 896, 14 heads,
# 2 KV heads, MLP 4864, vocab 151936, tied embeddings), random weights, bf16.
MODEL_SHAPE='{"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936, "tie_word_embeddings": true, "max_position_embeddings": 32768, "rope_theta": 1000000.0}'

# The closure of verl 0.9.1's requirements as installed in a Python that has verl (RESOLVE_PYTHON,
# default the project's .venv): names and versions pip already resolved together. pip's own
# resolver for another Python version and platform took over 15 minutes here without finishing.
closure() {
    # verl itself, then what sft_trainer imports beyond verl's base requirements (its verl-core extra).
    "$resolve_python" - verl peft torchdata codetiming fastapi uvicorn transferqueue pyzmq msgspec cachetools <<'PY'
import re, sys
from importlib import metadata
seen, todo = {}, list(sys.argv[1:])
while todo:
    name = re.split(r"[ ;<>=!~\[(]", todo.pop(), 1)[0].lower().replace("_", "-")
    if not name or name in seen:
        continue
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        continue  # an optional dependency this environment does not have
    seen[name] = dist.version
    for req in dist.requires or []:
        if "extra ==" not in req:
            todo.append(req)
for name, version in sorted(seen.items()):
    print(f"{name}=={version}")
PY
}

prepare() {
    local py_tag="${gpu_py//./}" pins=() pin name
    local target=(--only-binary=:all: --python-version "$gpu_py" --implementation cp --abi "cp$py_tag"
        --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --platform any)
    if ((dry_run)); then
        printf '== %s\n' "the closure of verl 0.9.1's requirements, as installed in $resolve_python" \
            "minus torch, CUDA, triton, transformers... and (--have) what the GPU machine lists" \
            "python3 -m pip download --no-deps --dest $wheels ${target[*]} <each of them>" \
            "wheels over 30 MiB split into 30 MiB chunks; files grouped into .whl/batch1, batch2, ... of at most 60 MiB"
        return 0
    fi
    [[ -x "$resolve_python" ]] || { echo "gpu_check.sh: $resolve_python not found: set RESOLVE_PYTHON to a Python that has verl 0.9.1" >&2; exit 1; }
    mkdir -p "$wheels/download"
    while IFS= read -r pin; do
        name="${pin%%==*}"
        [[ "$name" =~ $not_shipped ]] && continue
        [[ -n "$have" ]] && grep -qiE "^${name//-/[-_]}(==| @)" "$have" && continue
        pins+=("$pin")
    done < <(closure)
    echo "== download ${#pins[@]} wheels for CPython $gpu_py (a pure-Python package without a wheel is built into one)"
    for pin in "${pins[@]}"; do
        python3 -m pip download --no-deps --quiet --dest "$wheels/download" "${target[@]}" "$pin" 2>/dev/null ||
            python3 -m pip wheel --no-deps --quiet --wheel-dir "$wheels/download" "$pin" ||
            { echo "gpu_check.sh: no wheel for $pin" >&2; exit 1; }
    done
    # A device run carries at most 64 MiB: big wheels travel in chunks, everything in batches.
    python3 - "$wheels" <<'PY'
import os, sys
root = sys.argv[1]
src, chunk, limit = os.path.join(root, "download"), 30 << 20, 60 << 20
pieces = []
for name in sorted(os.listdir(src)):
    data = open(os.path.join(src, name), "rb").read()
    if len(data) <= chunk:
        pieces.append((name, data))
    else:
        for i in range(0, len(data), chunk):
            pieces.append((f"{name}.part{i // chunk:02d}", data[i:i + chunk]))
batches, size = [[]], 0
for name, data in sorted(pieces, key=lambda p: -len(p[1])):
    if size + len(data) > limit:
        batches.append([]); size = 0
    batches[-1].append((name, data)); size += len(data)
for n, batch in enumerate(batches, 1):
    d = os.path.join(root, f"batch{n}")
    os.makedirs(d, exist_ok=True)
    for name, data in batch:
        open(os.path.join(d, name), "wb").write(data)
    print(f"== .whl/batch{n}: {len(batch)} files, {sum(len(x) for _, x in batch) / 2**20:.1f} MiB")
total = sum(os.path.getsize(os.path.join(src, f)) for f in os.listdir(src))
print(f"== {len(os.listdir(src))} wheels, {total / 2**20:.1f} MiB in all: {len(batches)} device run(s) to carry them")
PY
    return 0
}

# stash: keep the carried .whl/batch* files on the GPU machine (gpu-check/ survives between calls
# while the machine stays warm), so several runs can bring more than 64 MiB in all.
stash() {
    mkdir -p "$work/stash"
    find "$wheels" -path "$wheels/batch*" -type f -exec cp {} "$work/stash/" \;
    echo "== stashed: $(find "$work/stash" -type f | wc -l) files, $(du -sm "$work/stash" | cut -f1) MiB in $work/stash"
}

# assemble: the stashed and carried pieces back into whole wheels, in $work/wheels.
assemble() {
    mkdir -p "$work/wheels" "$work/stash"
    find "$wheels" -path "$wheels/batch*" -type f -exec cp {} "$work/stash/" \; 2>/dev/null || true
    local part whole
    for part in "$work/stash"/*.part00; do
        [[ -e "$part" ]] || continue
        whole="${part%.part00}"
        cat "$whole".part* >"$work/wheels/$(basename "$whole")"
    done
    find "$work/stash" -name '*.whl' -exec cp {} "$work/wheels/" \;
}

inventory() {
    python3 -c 'import sys, torch; print("python", sys.version.split()[0]); print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
    nvidia-smi -L || true
    echo "== pip freeze"
    python3 -m pip freeze
}

venv="$work/venv"
report="$work/report.txt"

build_model_and_data() {
    step "a random-weight model shaped like Qwen2.5-0.5B (bf16) with the project's test tokenizer" \
        "$venv/bin/python" - "$work/model" "$MODEL_SHAPE" <<'PY'
import json, sys, torch
from transformers import Qwen2Config, Qwen2ForCausalLM
from veritas.testing.tiny_model import build_tokenizer
out, shape = sys.argv[1], json.loads(sys.argv[2])
build_tokenizer(out)  # byte-level BPE with ChatML; its ids fit the larger vocabulary
torch.manual_seed(0)
model = Qwen2ForCausalLM(Qwen2Config(**shape, torch_dtype="bfloat16")).to(torch.bfloat16)
model.save_pretrained(out)
print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters")
PY
    step "SFT data: worked solutions of every task type (data_gen sft)" \
        "$venv/bin/python" -m data_gen sft --task-types all --count 2000 --seed 0 --val-ratio 0.05 \
        --out-dir "$work/data" --workers 4 --quiet --tokenizer "$work/model" --max-tokens 4096
}

# sft_run NAME EXTRA_OVERRIDES...: verl's sft_trainer for $steps steps on all GPUs, console and file
# loggers; every output line is timestamped so that the report can time steps 2..N.
sft_run() {
    local name="$1"
    shift
    local gpus=1
    if ((!dry_run)); then
        gpus="$("$venv/bin/python" -c 'import torch; print(max(1, torch.cuda.device_count()))')"
    fi
    local cmd=("$venv/bin/torchrun" --standalone --nnodes=1 --nproc_per_node="$gpus" -m verl.trainer.sft_trainer
        data.train_files="$work/data/train.parquet" data.val_files="$work/data/val.parquet"
        data.messages_key=messages data.max_length=4096 data.max_token_len_per_gpu=16384 data.truncation=error
        data.train_batch_size=32 data.micro_batch_size_per_gpu=4 data.num_workers=2
        model.path="$work/model" model.use_remove_padding=False model.enable_gradient_checkpointing=True
        engine.strategy=fsdp2 "+model.override_config.attn_implementation=${GPU_CHECK_ATTN:-sdpa}"
        trainer.total_training_steps="$steps" trainer.test_freq=-1 trainer.save_freq=-1
        'trainer.logger=[console,file]' trainer.project_name=gpu-check trainer.experiment_name="$name"
        trainer.default_local_dir="$work/ckpt-$name" trainer.resume_mode=disable
        hydra.run.dir="$work/hydra-$name" "$@")
    step "verl sft_trainer: $name ($steps steps)" env VERL_FILE_LOGGER_PATH="$work/$name.jsonl" \
        PYTHONPATH="$root" "${cmd[@]}"
}

run_check() {
    local started=$SECONDS
    if ((!dry_run)); then
        [[ -d "$wheels" || -d "$work/stash" ]] || { echo "gpu_check.sh: no wheels (.whl/ or a stash): run scripts/gpu_check.sh --prepare here first, then carry .whl/batch*" >&2; exit 1; }
        command -v nvidia-smi >/dev/null 2>&1 || { echo "gpu_check.sh: no nvidia-smi: this is not the GPU machine (try --dry-run)" >&2; exit 1; }
        mkdir -p "$work"
    fi
    step "a venv that sees the system's torch and transformers" python3 -m venv --system-site-packages "$venv"
    step "whole wheels from the stashed and carried pieces" assemble
    step "install verl 0.9.1 and the carried wheels, offline" "$venv/bin/python" -m pip install --no-index \
        --find-links "$work/wheels" --no-deps "$work/wheels"/*.whl
    step "install this project (no dependencies: they are the wheels above)" "$venv/bin/python" -m pip install \
        --no-index --no-deps --no-build-isolation -e "$root"
    build_model_and_data
    # Peak memory: nvidia-smi sampled twice a second over the runs (all processes on the GPU).
    if ((!dry_run)); then
        nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits -lms 500 >"$work/memory.csv" &
        sampler=$!
        trap 'kill "$sampler" 2>/dev/null || true' EXIT
    fi
    sft_run full optim.lr=1e-5 2>&1 | stamp "$work/full.log"
    sft_run lora model.lora_rank=32 model.lora_alpha=64 model.target_modules=all-linear optim.lr=1e-4 \
        2>&1 | stamp "$work/lora.log"
    ((dry_run)) && { echo "== report: tokens/s (steps 2..N), MFU (verl's), peak GPU memory -> $report"; return 0; }
    kill "$sampler" 2>/dev/null || true
    summarize | tee "$report"
    echo "total wall time: $((SECONDS - started)) s" | tee -a "$report"
    [[ -n "${OUT:-}" ]] && cp -r "$report" "$work"/*.jsonl "$work"/*.log "$work/memory.csv" "$OUT/" 2>/dev/null
    return 0
}

# stamp LOG: copy stdin to stdout and to LOG with each line prefixed by seconds since the epoch.
stamp() {
    if ((dry_run)); then cat; return 0; fi
    python3 -u -c 'import sys, time
log = open(sys.argv[1], "w")
for line in sys.stdin:
    sys.stdout.write(line); log.write(f"{time.time():.3f} {line}"); log.flush()' "$1"
}

summarize() {
    python3 - "$work" <<'PY'
import glob, json, os, re, sys
work = sys.argv[1]
peak = {}
for line in open(os.path.join(work, "memory.csv")):
    parts = [p.strip() for p in line.split(",")]
    if len(parts) == 2 and parts[1].isdigit():
        peak[parts[0]] = max(peak.get(parts[0], 0), int(parts[1]))
for name in ("full", "lora"):
    path = os.path.join(work, f"{name}.jsonl")
    if not os.path.exists(path):
        print(f"{name}: no metrics (see {name}.log)")
        continue
    rows = [json.loads(l) for l in open(path) if l.strip()]
    rows = [r.get("data", r) for r in rows]
    tokens = [r.get("train/global_tokens") for r in rows if "train/global_tokens" in r]
    mfu = [r["train/mfu"] for r in rows if "train/mfu" in r]
    stamps = [float(l.split(" ", 1)[0]) for l in open(os.path.join(work, f"{name}.log"))
              if re.search(r"\bstep:\d+", l)]
    line = f"{name}: {len(tokens)} steps"
    if len(stamps) >= 2 and len(tokens) >= 2:
        line += f", {sum(tokens[1:]) / (stamps[-1] - stamps[0]):,.0f} tokens/s over steps 2..{len(tokens)}"
    if mfu:
        line += f", MFU {100 * sum(mfu[1:] or mfu) / len(mfu[1:] or mfu):.1f}% (verl's, mean)"
    print(line)
print("peak GPU memory (MiB, nvidia-smi, all processes): " + ", ".join(f"GPU{k} {v}" for k, v in sorted(peak.items())))
PY
}

case "$mode" in
    prepare) prepare ;;
    inventory) inventory ;;
    stash) stash ;;
    run) run_check ;;
esac
