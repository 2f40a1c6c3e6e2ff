"""The goals every (task type, level) must meet, and the one place that judges a cell."""

from __future__ import annotations

MAX_CONSTANT_SHARE = 0.05  # the best constant reply earns at most 5% of the reward
MAX_VERIFY_S = 0.050  # any reply up to 1 MB is scored in under 50 ms
MIN_ITEMS_PER_S = 50.0  # training never waits on generation

# (column, goal in words): the order of the table.
GOALS: tuple[tuple[str, str], ...] = (
    ("deterministic", "the same tasks, byte for byte, in a second process"),
    ("reference", "every reference answer scores 1"),
    ("near_miss", "every near miss (family.wrong_answers) scores 0"),
    ("styled", "every styled right answer (family.styled_answers) scores 1"),
    ("constant", f"the best constant reply earns <= {MAX_CONSTANT_SHARE:.0%}"),
    ("fuzz", "0 verifier errors on fuzzed and adversarial replies"),
    ("verify_ms", f"worst verify of an adversarial 1 MB reply < {MAX_VERIFY_S * 1000:.0f} ms"),
    ("gen_per_s", f"generation >= {MIN_ITEMS_PER_S:.0f} train items/s"),
    ("split_overlap", "no test task has a train task's content; every content in its seed's split"),
    ("error", "the cell's tasks can be generated at all (train and test seeds)"),
)


def failures(cell: dict) -> list[str]:
    """The goals a cell's measurements miss (empty: the cell passes)."""
    out = []
    if not cell["deterministic"]:
        out.append("deterministic")
    if cell["reference_fail"]:
        out.append("reference")
    if cell["near_miss_fail"]:
        out.append("near_miss")
    if cell["styled_fail"]:
        out.append("styled")
    if cell["constant_share"] > MAX_CONSTANT_SHARE:
        out.append("constant")
    if cell["verifier_errors"]:
        out.append("fuzz")
    if cell["worst_verify_ms"] >= MAX_VERIFY_S * 1000:
        out.append("verify_ms")
    if cell["gen_per_s"] < MIN_ITEMS_PER_S:
        out.append("gen_per_s")
    if cell["split_shared"] or cell["split_misplaced"]:
        out.append("split_overlap")
    return out
