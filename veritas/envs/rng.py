"""Deterministic randomness for generators.

A generator never touches the global `random` module or `hash()`: it receives a private
`random.Random` seeded from a SHA-256 of the task's coordinates. SHA-256 makes neighbouring seeds
independent (reasoning-gym's seed 1000 item 1 == seed 1001 item 0 cannot happen here) and is the
same on every machine and Python version. `random.Random` with an int seed, `random()`,
`getrandbits`, `randrange`, `choice`, `shuffle` and `sample` are stable across CPython >= 3.2.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(*parts: object) -> int:
    """A 256-bit integer that depends on every part (joined unambiguously)."""
    material = "\x1f".join(f"{type(p).__name__}:{p}" for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(material).digest(), "big")


def derive_rng(*parts: object) -> random.Random:
    return random.Random(derive_seed(*parts))
