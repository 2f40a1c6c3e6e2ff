"""Train, validation and test: which split a seed asks for, and which split a task's content is in.

A seed names its split by the block it lies in (SPLIT_BLOCKS; a seed past the blocks, as trace's
[10^8, 10^9) or dyck_language2's second 10^8, is train). That alone is not enough: at low levels a
family has only hundreds of distinct puzzles, so disjoint seed blocks still hand out the same
puzzle to train and test. The content decides too: a keyed SHA-256 of the family's content key
(the puzzle, wording aside; TaskFamily.content_key) puts every distinct content in exactly one
split, and generation for a seed redraws until the content lies in the seed's split. So no val or
test task ever has the content of a train task, at any level, whatever seeds the mixes pick.

The shares are 90/5/5, the same as the seed blocks: train keeps nine tenths of every level's
space (a level with 495 puzzles keeps ~445 for training), and a val or test task costs about 20
draws, which the cheapest families do in under a millisecond and the dearest in ~0.2 s.
Changing SPLIT_KEY or the shares re-deals every task's split: never do it casually.
"""

from __future__ import annotations

import hashlib

SPLITS: tuple[str, ...] = ("train", "val", "test")

SPLIT_BLOCKS: dict[str, tuple[int, int]] = {
    "train": (0, 90_000_000),
    "val": (90_000_000, 95_000_000),
    "test": (95_000_000, 100_000_000),
}

# Shares of the content space, in parts per 10,000, in SPLITS order.
CONTENT_SHARES: dict[str, int] = {"train": 9_000, "val": 500, "test": 500}

# The versioned key of the content hash: a new version re-deals all contents among the splits.
SPLIT_KEY = b"veritas-content-split-v1\x1f"

# Draws per task before generation gives up on a split. At a 5% share the chance that 1,000 draws
# all miss is 0.95^1000 ~ 5e-23; a level that still finds nothing has (almost) no content in the
# split, and generate() says so instead of looping.
MAX_SPLIT_ATTEMPTS = 1_000


def split_of_seed(seed: int) -> str:
    """The split a seed asks for: its block, or train past the blocks."""
    for name, (lo, hi) in SPLIT_BLOCKS.items():
        if lo <= seed < hi:
            return name
    return "train"


def split_of_content(key: str) -> str:
    """The one split a content key belongs to: a keyed SHA-256 of the key, cut at the shares."""
    digest = hashlib.sha256(SPLIT_KEY + key.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") % 10_000
    edge = 0
    for name in SPLITS:
        edge += CONTENT_SHARES[name]
        if point < edge:
            return name
    return SPLITS[-1]


class SplitExhausted(ValueError):
    """No content of the seed's split within MAX_SPLIT_ATTEMPTS draws."""
