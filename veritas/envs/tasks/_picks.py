"""Cheap integer draws for generators that make dozens of draws per task.

`random.Random.randrange` / `randint` cost about 1 us each (argument checks, getrandbits loops);
`int(rng.random() * n)` costs a fifth of that and is just as deterministic: `random()` is stable
across CPython versions (see veritas/envs/rng.py). The bias of scaling a 53-bit float to n < 1000
values is below 1e-12, far under anything a generator could notice.
"""

from __future__ import annotations

import random


def below(rng: random.Random, n: int) -> int:
    """Uniform in [0, n)."""
    return int(rng.random() * n)


def between(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform in [lo, hi], both ends included."""
    return lo + int(rng.random() * (hi - lo + 1))
