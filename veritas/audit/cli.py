"""`veritas audit`: run every check on every (task type, level) and judge it against the goals.

    veritas audit [--task-types T ...] [--levels L ...] [--n N] [--json | --markdown]

Prints one row per cell with the measurements and the goals it misses; exits 1 when any cell
misses a goal, 2 on bad arguments. `--markdown > docs/audit.md` regenerates the docs page.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

from veritas.envs import DIFFICULTY_LEVELS, generate, get_family, list_envs, list_task_types

from . import determinism, fuzz, goals, scoring
from .content import split_overlap, task_key

DEFAULT_N = 200
DETERMINISM_IDS = 10  # ids per cell regenerated in the second process
FUZZ_TASKS = 20  # tasks per cell whose replies are fuzzed
FUZZ_PER_TASK = 10


def audit_cell(task_type: str, level: int, n: int) -> dict:
    """Every check but determinism (which needs the second process) on one cell."""
    # One task outside the sample first: it pays what a training run pays once per process (imports,
    # a generator's per-level tables), so the rate below is steady-state generation.
    generate(task_type, n, level)
    t0, cpu0 = time.perf_counter(), time.process_time()
    tasks = [generate(task_type, seed, level) for seed in range(n)]
    # CPU time of this process: the machine's other load does not count against a family (trace's
    # sandbox worker runs in a process of its own, in parallel with the generator).
    gen_s = time.process_time() - cpu0
    keys = [task_key(t) for t in tasks]
    cell: dict = {"task_type": task_type, "level": level, "n": n, "gen_per_s": n / max(gen_s, 1e-9),
                  "duplicate_rate": (n - len(set(keys))) / n}
    known = scoring.score_known_answers(tasks)
    const = scoring.best_constant(tasks, level)
    fz = fuzz.fuzz(tasks[:FUZZ_TASKS], FUZZ_PER_TASK)
    slow = fuzz.worst_verify(tasks[0], goals.MAX_VERIFY_S * 1000)
    n_test = max(5, n // 20)
    overlap = split_overlap(task_type, level, set(keys), n_test)
    cell.update({k: v for k, v in known.items() if k != "verifier_errors"})
    cell.update({k: v for k, v in const.items() if k != "verifier_errors"})
    cell.update({k: v for k, v in fz.items() if k != "verifier_errors"})
    cell.update({k: v for k, v in slow.items() if k != "verifier_errors"})
    cell["verifier_errors"] = known["verifier_errors"] + const["verifier_errors"] + fz["verifier_errors"] + slow["verifier_errors"]
    cell.update(overlap)
    cell["seconds"] = time.perf_counter() - t0
    return cell


def run_audit(task_types: list[str], levels: list[int], n: int, imports: list[str], progress=None) -> list[dict]:
    cells = [(tt, lv) for tt in task_types for lv in levels]
    ids = [determinism.cell_ids(tt, lv, 0, min(n, DETERMINISM_IDS)) for tt, lv in cells]
    second = determinism.start_second_process(ids, imports)
    results = []
    for tt, lv in cells:
        try:
            cell = audit_cell(tt, lv, n)
        except Exception as exc:  # a family that cannot even generate is a failing cell, not a crash
            cell = {"task_type": tt, "level": lv, "n": n, "error": f"{type(exc).__name__}: {exc}"[:300], "seconds": 0.0}
        results.append(cell)
        if progress:
            progress(cell)
    theirs, why = determinism.finish(second)
    for i, cell in enumerate(results):
        if "error" in cell:
            cell["failures"] = ["error"]
            continue
        mine = determinism.digest([generate(cell["task_type"], s, cell["level"]) for s in range(min(n, DETERMINISM_IDS))])
        other = theirs[i] if i < len(theirs) else None
        cell["deterministic"] = other == mine
        if other is None:
            cell["determinism_error"] = why or "the second process gave no digest"
        cell["failures"] = goals.failures(cell)
    return results


# -- rendering ---------------------------------------------------------------------------------

_HEADER = ("task type", "L", "det", "ref", "near miss", "styled", "best constant", "fuzz err", "worst 1 MB verify",
           "gen/s", "dup", "split", "fails")


def _row(c: dict) -> tuple[str, ...]:
    if "error" in c:
        blank = ("",) * (len(_HEADER) - 4)
        return (c["task_type"], str(c["level"]), f"ERROR ✗ {c['error']}", *blank, "error")

    def mark(goal: str, text: str) -> str:
        return f"{text} ✗" if goal in c["failures"] else text

    if c["constant_share"] > 0:
        const = f"{c['constant_share']:.1%} {json.dumps(c['constant_reply'], ensure_ascii=False)[:24]}"
    else:
        const = "0% (none scores)"
    return (
        c["task_type"], str(c["level"]),
        mark("deterministic", "yes" if c["deterministic"] else "NO"),
        mark("reference", f"{c['n'] - c['reference_fail']}/{c['n']}"),
        mark("near_miss", f"{c['near_miss_fail']} of {c['near_miss_checked']} pass" if c["near_miss_checked"] else "none"),
        mark("styled", f"{c['styled_checked'] - c['styled_fail']}/{c['styled_checked']}" if c["styled_checked"] else "none"),
        mark("constant", const),
        mark("fuzz", str(c["verifier_errors"])),
        mark("verify_ms", f"{c['worst_verify_ms']:.1f} ms ({c['worst_verify_reply']})"),
        mark("gen_per_s", f"{c['gen_per_s']:,.0f}"),
        f"{c['duplicate_rate']:.1%}",
        mark("split_overlap", f"{c['split_shared']} shared" + (f", {c['split_misplaced']} misplaced" if c["split_misplaced"] else "")),
        ", ".join(c["failures"]) or "-",
    )


def render_text(cells: list[dict]) -> str:
    rows = [_HEADER] + [_row(c) for c in cells]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


def render_markdown(cells: list[dict], command: str, seconds: float, cpu_seconds: float) -> str:
    lines = [
        "# Environment audit",
        "",
        f"Generated by `{command}` ({cpu_seconds:.0f} s CPU in the audit process, {seconds:.0f} s wall",
        "on the 2-core development machine). Do not edit by hand: regenerate it after a change to",
        "any family (`veritas audit --env lgc-v2 --env trace --markdown > docs/audit.md`; the",
        "reasoning-gym types have their own page, [reasoning-gym.md](reasoning-gym.md)).",
        "What each column checks, and how: [environments.md](environments.md#audit).",
        "",
        "Goals (a cell that misses one is marked ✗ and makes `veritas audit` exit 1):",
        "",
    ]
    lines += [f"- **{name}**: {words}" for name, words in goals.GOALS]
    lines += ["", "| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    for c in cells:
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in _row(c)) + " |")
    failing = [c for c in cells if c["failures"]]
    lines += ["", f"{len(failing)} of {len(cells)} cells miss a goal."]
    return "\n".join(lines) + "\n"


# -- command line --------------------------------------------------------------------------------


def add_parser(sub) -> None:
    p = sub.add_parser("audit", help="check every task type and level against the environment goals",
                       description=__doc__.splitlines()[0])
    p.add_argument("--task-types", nargs="+", metavar="TYPE", help="task types (default: every registered type)")
    p.add_argument("--env", action="append", default=[], metavar="ENV",
                   help="only the default task types of ENV (repeatable), e.g. --env lgc-v2 --env trace "
                        "for docs/audit.md; reasoning-gym types are audited in docs/reasoning-gym.md")
    p.add_argument("--levels", nargs="+", type=int, metavar="L", help="levels (default: 1 2 3 4 5)")
    p.add_argument("--n", type=int, default=DEFAULT_N, help=f"tasks per cell (default {DEFAULT_N})")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the results as one JSON document")
    out.add_argument("--markdown", action="store_true", help="print the docs/audit.md page")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="import MODULE first (it may register more task families); repeatable")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for module in args.imports:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"veritas audit: --import {module}: {exc}", file=sys.stderr)
            return 2
    # "A B" and "A,B" both work (data_gen takes the comma form).
    unknown_envs = [e for e in args.env if e not in list_envs()]
    if unknown_envs:
        print(f"veritas audit: --env: unknown {unknown_envs}; known: {', '.join(list_envs())}", file=sys.stderr)
        return 2
    by_env = [t for env in args.env for t in list_task_types(env)]
    task_types = [t for arg in args.task_types or [] for t in arg.split(",") if t] or by_env or list_task_types()
    for tt in task_types:
        try:
            get_family(tt)
        except ValueError as exc:
            print(f"veritas audit: --task-types: {exc}", file=sys.stderr)
            return 2
    levels = args.levels or list(DIFFICULTY_LEVELS)
    bad = [lv for lv in levels if lv not in DIFFICULTY_LEVELS]
    if bad:
        print(f"veritas audit: --levels: {bad} not in {list(DIFFICULTY_LEVELS)}", file=sys.stderr)
        return 2
    if args.n < 1:
        print(f"veritas audit: --n must be at least 1, got {args.n}", file=sys.stderr)
        return 2
    wall0, cpu0 = time.perf_counter(), time.process_time()

    def progress(cell: dict) -> None:
        print(f"audit: {cell['task_type']} L{cell['level']} {cell['seconds']:.1f} s", file=sys.stderr, flush=True)

    cells = run_audit(task_types, levels, args.n, args.imports, progress if not args.json else None)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if args.json:
        print(json.dumps({"goals": dict(goals.GOALS), "seconds": wall, "cpu_seconds": cpu, "cells": cells}, ensure_ascii=False))
    elif args.markdown:
        command = ("veritas audit" + "".join(f" --env {e}" for e in args.env) + " --markdown"
                   + (f" --n {args.n}" if args.n != DEFAULT_N else ""))
        print(render_markdown(cells, command, wall, cpu), end="")
    else:
        print(render_text(cells))
        failing = sum(bool(c["failures"]) for c in cells)
        print(f"\n{failing} of {len(cells)} cells miss a goal; {wall:.1f} s wall, {cpu:.1f} s CPU (this process)")
    return 1 if any(c["failures"] for c in cells) else 0
