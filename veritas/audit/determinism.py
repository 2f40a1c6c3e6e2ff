"""Determinism across processes: a second interpreter (another str-hash seed) generates the same
ids and must produce the same bytes. One subprocess serves every cell and runs while the parent
works on the other checks."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys

import veritas
from veritas.envs import Task, generate


def digest(tasks: list[Task]) -> str:
    h = hashlib.sha256()
    for task in tasks:
        h.update(task.to_json().encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def cell_ids(task_type: str, level: int, first: int, count: int) -> dict:
    return {"task_type": task_type, "level": level, "first": first, "count": count}


def start_second_process(cells: list[dict], imports: list[str]) -> subprocess.Popen:
    """Start the interpreter that regenerates `cells`; collect its answer with finish()."""
    env = dict(os.environ, PYTHONHASHSEED="2718")  # a different str hash must not matter
    # The second process must import this very veritas (a checkout may shadow an installed copy).
    root = os.path.dirname(os.path.dirname(os.path.abspath(veritas.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.getcwd(), env.get("PYTHONPATH", "")) if p)
    # The cells are id ranges only (~70 bytes each), so they travel on the command line.
    cmd = [sys.executable, "-m", "veritas.audit.determinism", "--cells=" + json.dumps(cells),
           *[f"--import={m}" for m in imports]]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(proc: subprocess.Popen, timeout_s: float = 600) -> tuple[list[str | None], str]:
    """The second process's digests per cell (None where it failed), and its error text."""
    out, err = proc.communicate(timeout=timeout_s)  # reads both pipes: a full stderr cannot block
    try:
        return json.loads(out), err.strip()
    except ValueError:
        return [], (err.strip().splitlines() or ["second process printed nothing"])[-1]


def _main(argv: list[str]) -> int:
    cells = []
    for arg in argv:
        if arg.startswith("--import="):
            importlib.import_module(arg.split("=", 1)[1])
        elif arg.startswith("--cells="):
            cells = json.loads(arg.split("=", 1)[1])
    out: list[str | None] = []
    for cell in cells:
        try:
            out.append(digest([generate(cell["task_type"], s, cell["level"]) for s in range(cell["first"], cell["first"] + cell["count"])]))
        except Exception as exc:  # reported as a non-deterministic cell, with the reason on stderr
            print(f"{cell['task_type']} L{cell['level']}: {type(exc).__name__}: {exc}", file=sys.stderr)
            out.append(None)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
