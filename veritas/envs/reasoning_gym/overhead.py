"""What the adapter adds to reasoning-gym's own generation time per item.

    python -m veritas.envs.reasoning_gym.overhead [DATASET ...] [--items N] [--repeats R]

For each dataset at level 3, on the same N items: reasoning-gym's own time is producing each item
(item 0 of its dataset seed, on a cached dataset object); ours is generate("rg.<dataset>", seed, 3).
The difference splits into the registry's share, paid by every family (two SHA-256-seeded random
streams), and the adapter's (JSON conversion of the item, the prompt, the Task). CPU time, best of
R runs, all in this process after a warm-up, so the ratios are what a shared machine can tell."""

from __future__ import annotations

import argparse
import sys
import time

DEFAULT_DATASETS = ("basic_arithmetic", "chain_sum", "letter_counting", "word_sorting", "gcd", "spell_backward",
                    "number_sorting", "mini_sudoku")
LEVEL = 3


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def measure(dataset: str, items: int, repeats: int) -> dict:
    from veritas.envs import generate
    from veritas.envs.reasoning_gym import ENV, runtime
    from veritas.envs.rng import derive_rng

    task_type = "rg." + dataset
    tasks = [generate(task_type, s, LEVEL) for s in range(items)]  # warm-up: import, cached datasets
    item_seeds = [t.metadata["item_seed"] for t in tasks]

    def theirs():  # reasoning-gym producing exactly these items: dataset seed s, item 0
        for seed in item_seeds:
            runtime.raw_item(dataset, LEVEL, seed)

    def ours():
        for s in range(items):
            generate(task_type, s, LEVEL)

    def registry():  # what generate() does for every family before build(): two seeded streams
        for s in range(items):
            derive_rng(ENV, task_type, s, LEVEL, "content")
            derive_rng(ENV, task_type, s, LEVEL, "wording")

    t_theirs, t_ours, t_registry = _best(theirs, repeats), _best(ours, repeats), _best(registry, repeats)
    per = 1e6 / items
    adapter = max(0.0, t_ours - t_theirs - t_registry)
    return {"dataset": dataset, "items": items, "theirs_us": per * t_theirs, "ours_us": per * t_ours,
            "registry_us": per * t_registry, "adapter_us": per * adapter,
            "adapter_overhead": adapter / t_theirs, "overhead": t_ours / t_theirs - 1.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DEFAULT_DATASETS))
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'dataset':22s} {'rg us/item':>11s} {'generate us':>12s} {'registry us':>12s} {'adapter us':>11s} "
          f"{'adapter %':>10s} {'total %':>8s}")
    for name in args.datasets:
        r = measure(name, args.items, args.repeats)
        print(f"{name:22s} {r['theirs_us']:11.1f} {r['ours_us']:12.1f} {r['registry_us']:12.1f} "
              f"{r['adapter_us']:11.1f} {r['adapter_overhead']:10.1%} {r['overhead']:8.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
