#!/usr/bin/env bash
# Run the whole test suite on a machine that has only Python 3 and pip.
#
# First run: creates .venv/ and installs the project with its training and test extras, pinned by
# requirements/test-lock.txt (CPU torch where the machine offers it; about 2 minutes). Later runs
# reuse it until pyproject.toml or the lock changes. Extra arguments go to pytest.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: scripts/test.sh [PYTEST_ARGS...]

Creates .venv/ (if missing or stale), installs veritas-rl with its [train,test,rg] extras pinned by
requirements/test-lock.txt, then runs pytest over tests/. Exits with pytest's status; a run that
collects no tests fails.

Environment: PYTHON (interpreter for the venv, default python3), VENV (default .venv).
USAGE
}
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
python_bin="${PYTHON:-python3}"
venv="${VENV:-.venv}"
lock="requirements/test-lock.txt"
fingerprint="$(cat pyproject.toml "$lock" | "$python_bin" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')"
stamp="$venv/.veritas-installed-$fingerprint"

if [[ ! -f "$stamp" ]]; then
    echo "scripts/test.sh: preparing $venv (first run takes a few minutes)" >&2
    "$python_bin" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -c "$lock" -e ".[train,test,rg]"
    rm -f "$venv"/.veritas-installed-*
    touch "$stamp"
fi

# pytest exits 5 when it collects nothing; that is a failure here too (set -e passes it on).
exec "$venv/bin/python" -m pytest "$@"
