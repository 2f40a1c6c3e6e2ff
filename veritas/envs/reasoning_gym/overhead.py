"""What the adapter adds to reasoning-gym's own generation time per item.

    python -m veritas.envs.reasoning_gym.overhead [DATASET ...] [--items N] [--repeats R]

For each dataset and level 3: reasoning-gym's own cost is create_dataset(size=N) and reading its N
items; ours is generate("rg.<dataset>", seed, 3) for N seeds (reseeding the cached dataset,
converting the item to JSON types, writing the prompt and the Task). CPU time, best of R runs,
both measured in this process after a warm-up, so the ratio is what a shared machine can tell.
"""

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
    from veritas.envs.reasoning_gym import runtime

    rg = runtime.rg_module()
    config = runtime.level_config(dataset, LEVEL)
    seeds = iter(range(10**9))

    def theirs():
        data = rg.create_dataset(dataset, seed=next(seeds), size=items, **config)
        for i in range(items):
            data[i]

    def ours():
        base = next(seeds) * items
        for s in range(items):
            generate("rg." + dataset, (base + s) % 100_000_000, LEVEL)

    theirs()
    ours()  # warm-up: imports, cached dataset objects
    t_theirs, t_ours = _best(theirs, repeats), _best(ours, repeats)
    return {"dataset": dataset, "items": items, "theirs_us": 1e6 * t_theirs / items, "ours_us": 1e6 * t_ours / items,
            "overhead": t_ours / t_theirs - 1.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DEFAULT_DATASETS))
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'dataset':22s} {'rg us/item':>11s} {'ours us/item':>13s} {'overhead':>9s}")
    for name in args.datasets:
        r = measure(name, args.items, args.repeats)
        print(f"{name:22s} {r['theirs_us']:11.1f} {r['ours_us']:13.1f} {r['overhead']:9.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
