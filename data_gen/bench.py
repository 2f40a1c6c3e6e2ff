"""`data_gen bench`: how fast SFT rows are written, end to end and per task type.

    python -m data_gen bench                      # 100,000 SFT rows of every registered type
    python -m data_gen bench --per-family         # and 100,000 rows of each type alone

First, per task type and in one process: tasks generated, worked solutions written and solutions
verified per second (over --sample tasks). Then the real `sft` pipeline (worker processes, parquet
parts, merge) writes --rows rows into a temporary folder; wall time and rows/s are printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from pathlib import Path


def _per_type_rates(task_type: str, sample: int) -> dict:
    from veritas.envs import generate, verify, worked_solution
    from veritas.rows import sft_row

    t0 = time.perf_counter()
    tasks = [generate(task_type, seed) for seed in range(sample)]
    t1 = time.perf_counter()
    replies = [worked_solution(t) for t in tasks]
    t2 = time.perf_counter()
    for t, r in zip(tasks, replies):
        verify(t, r)
    t3 = time.perf_counter()
    for i, (t, r) in enumerate(zip(tasks, replies)):
        sft_row(t, i, "train", None, r)
    t4 = time.perf_counter()
    per_row = (t4 - t0) / sample
    return {"task_type": task_type, "generate_per_s": sample / (t1 - t0), "solution_per_s": sample / (t2 - t1),
            "verify_per_s": sample / (t3 - t2), "row_per_s": sample / (t4 - t3), "all_per_s": 1 / per_row}


def _end_to_end(task_types: list[str], rows: int, workers: int, out_dir: Path) -> dict:
    from data_gen.common import CHUNK_ROWS, DEFAULT_SHARD_ROWS, ROW_GROUP_ROWS
    from data_gen.output import write_parquet
    from data_gen.pool import Workers
    from data_gen.schemas import SFT_SCHEMA
    from data_gen.selection import mix_spec
    from data_gen.splits import chunk_job
    from data_gen.work import sft_chunk
    from veritas.mixes import mix_from_dict

    mix = mix_from_dict({"split": "train", "size": rows, "seed": 0, "tasks": task_types}, source="bench")
    final = out_dir / "train.parquet"
    start = time.perf_counter()  # includes starting the worker processes
    with Workers(workers) as pool:
        write_parquet(final, SFT_SCHEMA, rows, functools.partial(chunk_job, mix, "train", True), sft_chunk,
                      {"kind": "sft-bench", "mix": mix_spec(mix)}, workers=pool, chunk_rows=CHUNK_ROWS,
                      row_group_rows=ROW_GROUP_ROWS, shard_rows=DEFAULT_SHARD_ROWS, keep_shards=False,
                      overwrite=True, quiet=True, desc="bench")
    wall = time.perf_counter() - start
    return {"task_types": task_types, "rows": rows, "workers": workers, "wall_s": wall, "rows_per_s": rows / wall,
            "file_mb": final.stat().st_size / 1e6}


def run(args: argparse.Namespace) -> int:
    from data_gen import DataGenError
    from veritas.envs import list_task_types

    known = list_task_types()
    types = known if args.task_types in (None, "all") else [t.strip() for t in args.task_types.split(",") if t.strip()]
    unknown = [t for t in types if t not in known]
    if unknown or not types:
        raise DataGenError(f"--task-types: unknown task type(s) {unknown or types}; known: {', '.join(known)}")
    if args.rows < 1 or args.workers < 1 or args.sample < 1:
        raise DataGenError("--rows, --workers and --sample must be positive")

    print(f"per task type, one process, {args.sample} tasks each (rows/s: generate + solution + verify + row)")
    header = f"{'task type':32s} {'generate/s':>11s} {'solution/s':>11s} {'verify/s':>10s} {'rows/s':>9s} {'est. s for ' + str(args.rows):>16s}"
    print(header)
    print("-" * len(header))
    rates = []
    for t in types:
        r = _per_type_rates(t, args.sample)
        rates.append(r)
        est = args.rows / (r["all_per_s"] * args.workers)
        print(f"{t:32s} {r['generate_per_s']:>11,.0f} {r['solution_per_s']:>11,.0f} {r['verify_per_s']:>10,.0f} "
              f"{r['all_per_s']:>9,.0f} {est:>16.1f}")

    runs = []
    with tempfile.TemporaryDirectory(prefix="data_gen-bench-") as tmp:
        targets = [types] + ([[t] for t in types] if args.per_family and len(types) > 1 else [])
        print(f"\nend to end: `sft` with {args.workers} worker(s), {args.rows:,} rows, parquet written and merged")
        header = f"{'task types':40s} {'rows':>9s} {'wall s':>8s} {'rows/s':>9s} {'MB':>8s}"
        print(header)
        print("-" * len(header))
        for target in targets:
            res = _end_to_end(target, args.rows, args.workers, Path(tmp) / "_".join(target)[:80])
            runs.append(res)
            label = "all: " + ",".join(target) if len(target) > 1 else target[0]
            print(f"{label[:40]:40s} {res['rows']:>9,d} {res['wall_s']:>8.1f} {res['rows_per_s']:>9,.0f} {res['file_mb']:>8.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"per_type": rates, "end_to_end": runs}, indent=1))
    return 0


def add_parser(sub) -> None:
    from data_gen.pool import default_workers

    p = sub.add_parser("bench", help="time SFT row writing (rows/s), end to end and per task type",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000, help="rows per end-to-end run (default %(default)s)")
    p.add_argument("--task-types", help="comma-separated task types (default: all registered)")
    p.add_argument("--workers", type=int, default=default_workers(), help="worker processes (default %(default)s)")
    p.add_argument("--sample", type=int, default=1000, help="tasks per type for the one-process rates (default %(default)s)")
    p.add_argument("--per-family", action="store_true", help="also run the end-to-end write for each type alone")
    p.add_argument("--json", metavar="FILE", help="also write the numbers to this JSON file")
    p.set_defaults(func=run)
