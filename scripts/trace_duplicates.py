#!/usr/bin/env python3
"""How often do two `trace` ids give the same program?

Generates the tasks for ids [start, start + count) (default: the first 100,000) and reports:
- exact duplicates: ids whose program text (or program + stdin) equals an earlier id's;
- shape duplicates: the same after every identifier, number and string literal is replaced by
  a placeholder (identifiers numbered by first appearance), i.e. programs that differ only in
  names and constants.
A duplicate rate is (ids - distinct) / ids. Run from the repository root:

    python scripts/trace_duplicates.py [--count 100000] [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import builtins
import hashlib
import io
import json
import keyword
import multiprocessing
import sys
import time
import tokenize
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUILTIN_NAMES = set(dir(builtins))


def shape_of(source: str) -> str:
    """The program with identifiers, numbers and strings abstracted away."""
    names: dict[str, str] = {}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and tok.string not in BUILTIN_NAMES:
            out.append(names.setdefault(tok.string, f"v{len(names)}"))
        elif tok.type == tokenize.NUMBER:
            out.append("N")
        elif tok.type == tokenize.STRING or tok.type in (getattr(tokenize, "FSTRING_START", -1),):
            out.append("S")
        elif tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.OP):
            out.append(tok.string if tok.type == tokenize.OP else tokenize.tok_name[tok.type])
    return " ".join(out)


def digests(id_range: tuple[int, int]) -> tuple[list[tuple[bytes, bytes, bytes, int]], int]:
    """Digests of the ids in the range, and how many sandbox workers had to be replaced."""
    from veritas.envs import from_task_id
    from veritas.envs.tasks.trace import sandbox

    restarts_before = sandbox.default_client().restarts
    rows = []
    for task_id in range(*id_range):
        task = from_task_id(task_id, env="trace")
        program, stdin = task.metadata["program"], task.metadata["stdin"]
        rows.append(
            (
                hashlib.sha256(program.encode()).digest()[:16],
                hashlib.sha256((program + "\0" + stdin).encode()).digest()[:16],
                hashlib.sha256(shape_of(program).encode()).digest()[:16],
                task.difficulty,
            )
        )
    return rows, sandbox.default_client().restarts - restarts_before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=0, help="first id (default 0)")
    ap.add_argument("--count", type=int, default=100_000, help="number of ids (default 100000)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    args = ap.parse_args()
    if args.count <= 0 or args.jobs <= 0:
        ap.error("--count and --jobs must be positive")

    step = 1000
    ranges = [(lo, min(lo + step, args.start + args.count)) for lo in range(args.start, args.start + args.count, step)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        parts = list(pool.imap(digests, ranges))
    rows = [row for part, _ in parts for row in part]
    restarts = sum(r for _, r in parts)
    elapsed = time.perf_counter() - started

    n = len(rows)
    report = {"ids": n, "seconds": round(elapsed, 1), "worker_restarts": restarts}
    for index, label in ((0, "program"), (1, "program+stdin"), (2, "shape")):
        distinct = len({row[index] for row in rows})
        report[f"{label}_duplicate_rate"] = (n - distinct) / n
        report[f"{label}_distinct"] = distinct
    by_level = {}
    for level in sorted({row[3] for row in rows}):
        sub = [row for row in rows if row[3] == level]
        by_level[level] = {
            "ids": len(sub),
            "shape_duplicate_rate": (len(sub) - len({r[2] for r in sub})) / len(sub),
            "program_duplicate_rate": (len(sub) - len({r[0] for r in sub})) / len(sub),
        }
    report["by_level"] = by_level

    print(f"{n} ids in {elapsed:.0f} s, {restarts} sandbox worker restarts")
    for label in ("program", "program+stdin", "shape"):
        print(
            f"  {label:14s} distinct {report[label + '_distinct']:>7d}   duplicate rate {report[label + '_duplicate_rate']:.5%}"
        )
    for level, stats in by_level.items():
        print(
            f"  level {level}: {stats['ids']} ids, program duplicates {stats['program_duplicate_rate']:.5%}, "
            f"shape duplicates {stats['shape_duplicate_rate']:.5%}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
