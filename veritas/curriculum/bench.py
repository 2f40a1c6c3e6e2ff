"""What the curriculum adds: per dataset item and per scored reply (one core, no Ray).

    python -m veritas.curriculum.bench [--items 2000] [--replies 20000]

Per item: the same dataset item with an adaptive mix (schedule lookup, and at each batch boundary
reading the hub snapshot file and a controller decision) against a fixed-level mix; and the
schedule's own cost alone. Per reply: compute_score on a row that names a hub (report() queues the
reply) against the same row without, and report() alone.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import yaml

TYPES = ["sudoku", "operation", "game_of_24", "boolean_expressions"]
BATCH = 64


def _mix_file(folder: str, difficulty) -> str:
    path = os.path.join(folder, f"bench-{'adaptive' if isinstance(difficulty, dict) else 'fixed'}.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"split": "train", "size": 100_000, "difficulty": difficulty, "tasks": TYPES}, fh)
    return path


def _per_call(fn, n: int, repeats: int = 3) -> float:
    """CPU seconds per call (process time: other jobs on a shared machine do not count), best of `repeats`."""
    times = []
    for r in range(repeats):
        start = time.process_time()
        for i in range(n):
            fn(r * n + i)
        times.append((time.process_time() - start) / n)
    return min(times)


def _paired(fn_a, fn_b, n: int, rounds: int = 5) -> tuple[float, float]:
    """Per-call seconds of a and b, measured in alternating rounds so that load drifts hit both."""
    a, b = [], []
    for r in range(rounds):
        a.append(_per_call(lambda i: fn_a(r * n + i), n, 1))
        b.append(_per_call(lambda i: fn_b(r * n + i), n, 1))
    return min(a), min(b)


def bench_items(n: int) -> dict[str, float]:
    from veritas.curriculum.hub import CurriculumHub
    from veritas.curriculum.schedule import write_snapshot
    from veritas.rl.dataset import DynamicEnvDataset

    folder = tempfile.mkdtemp(prefix="curriculum-bench-")
    config = {"train_batch_size": BATCH}
    fixed = DynamicEnvDataset(_mix_file(folder, 2), config=config)
    adaptive = DynamicEnvDataset(_mix_file(folder, {"adaptive": {"start": 2, "window": 64}}), config=config)
    schedule = adaptive.sources[0].schedule
    hub = CurriculumHub("bench")
    hub.add([(i, t, 2, float(i % 2), float(i % 2)) for i in range(256) for t in TYPES])
    write_snapshot(schedule.read_counts.path, hub.snapshot())
    try:
        item_fixed, item_adaptive = _paired(fixed.__getitem__, adaptive.__getitem__, n // 5)
        levels_only = _per_call(lambda i: schedule.levels_for(50_000 + i), n * 20)  # a decision per 64 items
        boundary = _per_call(lambda i: schedule.levels_for((10_000 + i) * BATCH), 500)  # a decision every call
    finally:
        os.unlink(schedule.read_counts.path)
    return {"item_fixed_us": item_fixed * 1e6, "item_adaptive_us": item_adaptive * 1e6,
            "added_per_item_us": (item_adaptive - item_fixed) * 1e6, "schedule_per_item_us": levels_only * 1e6,
            "decision_per_batch_us": boundary * 1e6}


def bench_replies(n: int) -> dict[str, float]:
    from veritas.curriculum import reporter
    from veritas.envs import generate
    from veritas.rl.dataset import task_row
    from veritas.rl.reward import compute_score

    task = generate("sudoku", 7, 2)
    plain = task_row(task, 7, "train")
    tagged = task_row(task, 7, "train", curriculum="veritas-curriculum-bench-no-hub")
    reply = task.answer

    def score(row):
        return lambda i: compute_score(row["data_source"], reply, row["reward_model"]["ground_truth"], row["extra_info"])

    without, with_report = _paired(score(plain), score(tagged), n // 5)
    rep = reporter.reporter_for("veritas-curriculum-bench-no-hub")
    report_only = _per_call(lambda i: rep.add((i, "sudoku", 2, 1.0, 1.0)), n * 5)
    return {"compute_score_us": without * 1e6, "compute_score_reporting_us": with_report * 1e6,
            "added_per_reply_us": (with_report - without) * 1e6, "report_only_us": report_only * 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--replies", type=int, default=20000)
    args = ap.parse_args(argv)
    import logging

    logging.getLogger("veritas.curriculum").setLevel(logging.ERROR)  # no Ray here: skip the expected warnings
    items, replies = bench_items(args.items), bench_replies(args.replies)
    print(f"per item   : fixed {items['item_fixed_us']:.1f} µs, adaptive {items['item_adaptive_us']:.1f} µs, "
          f"added {items['added_per_item_us']:+.1f} µs (schedule alone {items['schedule_per_item_us']:.2f} µs/item; "
          f"a batch-boundary decision {items['decision_per_batch_us']:.1f} µs); limit 1000 µs")
    print(f"per reply  : compute_score {replies['compute_score_us']:.1f} µs, with report "
          f"{replies['compute_score_reporting_us']:.1f} µs, added {replies['added_per_reply_us']:+.1f} µs "
          f"(report() alone {replies['report_only_us']:.2f} µs); limit 50 µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
