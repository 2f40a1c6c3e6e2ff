"""`veritas bench`: generation and verification speed per task type, single process.

Prints, for every registered family: tasks generated per second, p99 generation latency, and
verifications per second for right replies (the reference answer) and wrong ones (the family's
targeted near misses). When the optional `reasoning-gym` package is installed, the nearest of its
datasets are timed in the same run and our/their ratios printed (the machine is shared: compare
ratios from one run, not absolute numbers across runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

# Our family -> the reasoning-gym datasets nearest to it (../shared/reference/anchors.md).
REASONING_GYM_PEERS: dict[str, tuple[str, ...]] = {
    "sudoku": ("sudoku",),
    "cryptarithm": ("cryptarithm",),
    "game_of_24": ("countdown", "puzzle24"),
    "boolean_expressions": ("propositional_logic",),
    "operation": ("basic_arithmetic",),
    "trace": ("codeio",),
}


@dataclass
class BenchRow:
    name: str
    generated_per_s: float
    generated_per_cpu_s: float
    p99_generate_ms: float
    verify_right_per_s: float
    verify_wrong_per_s: float
    n: int


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _p99(samples_ns: list[int]) -> float:
    ordered = sorted(samples_ns)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] / 1e6


def _time_calls(fn, items, min_seconds: float) -> float:
    """Calls per second of fn over items, repeating the list until min_seconds have passed."""
    count = 0
    start = time.perf_counter()
    while True:
        for item in items:
            fn(item)
        count += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or not items:
            return _rate(count, elapsed)


def bench_family(task_type: str, max_tasks: int, seconds: float, difficulty: int | None = None) -> BenchRow:
    from veritas.envs import generate, verify, wrong_answers

    tasks = []
    latencies: list[int] = []
    cpu_start = time.process_time()
    start = time.perf_counter()
    seed = 0
    while seed < max_tasks and (time.perf_counter() - start) < seconds or seed < 20:
        t0 = time.perf_counter_ns()
        tasks.append(generate(task_type, seed, difficulty))
        latencies.append(time.perf_counter_ns() - t0)
        seed += 1
    gen_rate = _rate(len(tasks), sum(latencies) / 1e9)
    # CPU time too: on a shared machine wall-clock rates swing several-fold with other load.
    gen_cpu_rate = _rate(len(tasks), time.process_time() - cpu_start)

    right = [(t, t.answer) for t in tasks]
    wrong = [(t, w) for t in tasks for w in wrong_answers(t)[:1]] or [(t, "no answer here") for t in tasks]
    right_rate = _time_calls(lambda tr: verify(tr[0], tr[1]), right, seconds / 2)
    wrong_rate = _time_calls(lambda tr: verify(tr[0], tr[1]), wrong, seconds / 2)
    return BenchRow(task_type, gen_rate, gen_cpu_rate, _p99(latencies), right_rate, wrong_rate, len(tasks))


def _has_reasoning_gym() -> bool:
    import importlib.util

    return importlib.util.find_spec("reasoning_gym") is not None


def bench_reasoning_gym(dataset: str, size: int, seconds: float) -> BenchRow | None:
    try:
        import reasoning_gym  # optional peer, never a dependency
    except ImportError:
        return None
    start = time.perf_counter()
    data = reasoning_gym.create_dataset(dataset, size=size, seed=1)
    items = [data[i] for i in range(len(data))]
    gen_rate = _rate(len(items), time.perf_counter() - start)
    right = [(item, item["answer"]) for item in items]
    wrong = [(item, str(item["answer"]) + "0") for item in items]
    right_rate = _time_calls(lambda pair: data.score_answer(pair[1], pair[0]), right, seconds / 2)
    wrong_rate = _time_calls(lambda pair: data.score_answer(pair[1], pair[0]), wrong, seconds / 2)
    return BenchRow(f"rg:{dataset}", gen_rate, float("nan"), float("nan"), right_rate, wrong_rate, len(items))


def _fmt(x: float) -> str:
    if x != x:  # NaN
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def print_table(rows: list[BenchRow]) -> None:
    header = f"{'task type':34s} {'gen/s':>10s} {'gen/cpu-s':>10s} {'p99 gen ms':>11s} {'verify right/s':>15s} {'verify wrong/s':>15s} {'n':>7s}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.name:34s} {_fmt(r.generated_per_s):>10s} {_fmt(r.generated_per_cpu_s):>10s} {_fmt(r.p99_generate_ms):>11s} "
            f"{_fmt(r.verify_right_per_s):>15s} {_fmt(r.verify_wrong_per_s):>15s} {r.n:>7d}"
        )


def run(args: argparse.Namespace) -> int:
    from veritas.envs import list_task_types

    from veritas.usage import UsageError

    types = args.types or list_task_types()
    unknown = sorted(set(types) - set(list_task_types(include_excluded=True)))
    if unknown:
        raise UsageError(f"unknown task type(s) {unknown}; see `veritas list`")
    if not args.seconds > 0:
        raise UsageError(f"--seconds must be > 0, got {args.seconds}")
    if args.max_tasks < 1 or args.peer_size < 1:
        raise UsageError(f"--max-tasks and --peer-size must be >= 1, got {args.max_tasks} and {args.peer_size}")
    if args.difficulty is not None and args.difficulty not in range(1, 6):
        raise UsageError(f"--difficulty must be 1-5, got {args.difficulty}")
    # about 2 x --seconds per type: say so, instead of a silent wait
    print(f"timing {len(types)} task type(s), about {2 * args.seconds:g} s each...", file=sys.stderr, flush=True)
    rows = []
    for t in types:
        rows.append(bench_family(t, args.max_tasks, args.seconds, args.difficulty))
        print(f"  {t}: {rows[-1].generated_per_s:,.0f} generated/s", file=sys.stderr, flush=True)
    print_table(rows)

    ratios = []
    if not args.no_peers and not _has_reasoning_gym():
        print("\n(reasoning-gym is not installed: no comparison with its datasets; `pip install reasoning-gym` "
              "to add it, --no-peers to skip this note)")
    elif not args.no_peers:
        peer_rows = []
        for ours in types:
            for theirs in REASONING_GYM_PEERS.get(ours, ()):
                row = bench_reasoning_gym(theirs, args.peer_size, args.seconds)
                if row is None:
                    break
                peer_rows.append(row)
                mine = next(r for r in rows if r.name == ours)
                ratios.append((ours, theirs, mine.generated_per_s / row.generated_per_s,
                               mine.verify_right_per_s / row.verify_right_per_s))
        if not peer_rows:
            print(f"\n(no reasoning-gym dataset is paired with {', '.join(types)}: nothing to compare; "
                  f"pairs: {', '.join(sorted(REASONING_GYM_PEERS))})")
        else:
            print("\nreasoning-gym, same run:")
            print_table(peer_rows)
            print(f"\n{'ours':22s} {'theirs':22s} {'gen ratio':>10s} {'verify ratio':>13s}")
            for ours, theirs, g, v in ratios:
                print(f"{ours:22s} {theirs:22s} {g:>9.1f}x {v:>12.1f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"rows": [asdict(r) for r in rows],
                       "peer_ratios": [dict(ours=o, theirs=t, generate=g, verify=v) for o, t, g, v in ratios]},
                      fh, indent=2)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="time generation and verification per task type",
                       description=__doc__.splitlines()[0])
    p.add_argument("types", nargs="*", help="task types to time (default: every registered type)")
    p.add_argument("--seconds", type=float, default=2.0, help="time budget per measurement (default 2)")
    p.add_argument("--max-tasks", type=int, default=5000, help="most tasks generated per type (default 5000)")
    p.add_argument("--difficulty", type=int, default=None, help="fix the difficulty (default: drawn per seed)")
    p.add_argument("--peer-size", type=int, default=200, help="items per reasoning-gym dataset (default 200)")
    p.add_argument("--no-peers", action="store_true", help="skip the reasoning-gym comparison")
    p.add_argument("--json", help="also write the numbers to this JSON file")
    p.set_defaults(func=run)
