"""What the adapter adds to reasoning-gym's own generation time per item.

    python -m veritas.envs.reasoning_gym.overhead [DATASET ...] [--items N] [--repeats R]

For each dataset at level 3, N tasks generate("rg.<dataset>", seed, 3), seeds 0..N-1 (train).
Every reasoning-gym item those tasks draw is recorded, and timed again on its own: item 0 of its
dataset seed, on the cached dataset object, which is reasoning-gym's own cost per item ("rg").
A task may draw more than one item: the content-disjoint split redraws until the content is in the
seed's split (1/0.9 ~ 1.11 draws per train task), thinning redraws over-common answers, and a few
generators raise on unlucky seeds. Per task, then:
    generate = draws * (rg + adapter) + attempts * registry
where registry is the content stream every family pays per split attempt (a SHA-256 and a seeded
random.Random), and adapter is what we add per item (JSON conversion, prompt, content key, split
hash, Task). Reported: adapter as % of rg (the issue's measure), the redraws' cost as % of rg (the
split contract's price, not the adapter's) and the total. CPU time, best of R runs, one process,
after a warm-up."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# Fast (10-50 us per item), medium and slow generators.
DEFAULT_DATASETS = ("basic_arithmetic", "spell_backward", "gcd", "chain_sum", "letter_counting", "word_sorting",
                    "caesar_cipher", "mini_sudoku", "knights_knaves", "number_sorting")
LEVEL = 3


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _record_draws(dataset: str, items: int) -> tuple[list[int], int]:
    """The item seeds generate() draws for seeds 0..items-1, and its split attempts (build calls)."""
    from veritas.envs import generate, get_family
    from veritas.envs.reasoning_gym import runtime

    seeds: list[int] = []
    family = get_family("rg." + dataset)
    real_raw, real_build = runtime.raw_item, type(family).build
    attempts = 0

    def raw(name, level, item_seed):
        seeds.append(item_seed)
        return real_raw(name, level, item_seed)

    def build(self, *args, **kwargs):
        nonlocal attempts
        attempts += 1
        return real_build(self, *args, **kwargs)

    runtime.raw_item, type(family).build = raw, build
    try:
        for s in range(items):
            generate("rg." + dataset, s, LEVEL)
    finally:
        runtime.raw_item, type(family).build = real_raw, real_build
    return seeds, attempts


def measure(dataset: str, items: int, repeats: int) -> dict:
    from veritas.envs import generate
    from veritas.envs.reasoning_gym import ENV, runtime
    from veritas.envs.rng import derive_rng

    task_type = "rg." + dataset
    for s in range(min(items, 20)):  # warm-up: import, cached dataset objects
        generate(task_type, s, LEVEL)
    item_seeds, attempts = _record_draws(dataset, items)

    def theirs():  # reasoning-gym producing exactly the items generate() draws
        for seed in item_seeds:
            try:
                runtime.raw_item(dataset, LEVEL, seed)
            except Exception:  # a seed its generator raises on: generate() drew again, so do we
                pass

    def ours():
        for s in range(items):
            generate(task_type, s, LEVEL)

    def registry():  # the content stream generate() seeds for every family, once per attempt
        for s in range(items):
            derive_rng(ENV, task_type, s, LEVEL, "content")

    t_theirs, t_ours, t_registry = _best(theirs, repeats), _best(ours, repeats), _best(registry, repeats)
    draws = len(item_seeds) / items
    rg_us = 1e6 * t_theirs / len(item_seeds)
    ours_us = 1e6 * t_ours / items
    registry_us = 1e6 * t_registry / items
    per_attempt = attempts / items
    adapter_us = max(0.0, (ours_us - draws * rg_us - per_attempt * registry_us) / draws)
    return {"dataset": dataset, "items": items, "rg_us": rg_us, "generate_us": ours_us, "draws": draws,
            "registry_us": registry_us, "adapter_us": adapter_us,
            "registry_pct": per_attempt * registry_us / rg_us, "adapter_pct": adapter_us / rg_us,
            "redraw_pct": (draws - 1) * (rg_us + adapter_us) / rg_us, "total_pct": ours_us / rg_us - 1.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DEFAULT_DATASETS))
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"level {LEVEL}, {args.items} tasks per dataset, best of {args.repeats}, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'dataset':18s} {'rg us':>8s} {'generate us':>11s} {'draws':>6s} {'registry us':>11s} "
          f"{'adapter us':>10s} {'registry %':>10s} {'adapter %':>9s} {'redraws %':>9s} {'total %':>8s}")
    rows = []
    for name in args.datasets:
        r = measure(name, args.items, args.repeats)
        rows.append(r)
        print(f"{name:18s} {r['rg_us']:8.1f} {r['generate_us']:11.1f} {r['draws']:6.3f} {r['registry_us']:11.1f} "
              f"{r['adapter_us']:10.1f} {r['registry_pct']:10.1%} {r['adapter_pct']:9.1%} {r['redraw_pct']:9.1%} "
              f"{r['total_pct']:8.1%}", flush=True)
    if rows:
        med = {k: statistics.median(r[k] for r in rows) for k in ("adapter_us", "registry_pct", "adapter_pct",
                                                                  "redraw_pct", "total_pct")}
        print(f"{'median':18s} {'':8s} {'':11s} {'':6s} {'':11s} {med['adapter_us']:10.1f} {med['registry_pct']:10.1%} "
              f"{med['adapter_pct']:9.1%} {med['redraw_pct']:9.1%} {med['total_pct']:8.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
