"""Scores that must come out right: references 1, near misses 0, styled right answers 1, and the
best constant reply (what a policy earns without reasoning) at most a sliver."""

from __future__ import annotations

from collections import Counter

from veritas.envs import Task, get_family, verify
from veritas.envs.probes import GENERIC_REPLIES

# Replies a lazy policy tries first, whatever the family: the probes' list (the one the family
# tests use), plus the empty reply.
GENERIC_CONSTANTS: tuple[str, ...] = ("", *GENERIC_REPLIES)
TOP_REFERENCES = 3  # the commonest reference answers (seen at least twice) also count as constants


def is_verifier_error(verdict) -> bool:
    return verdict.reason.startswith("verifier error")


def score_known_answers(tasks: list[Task]) -> dict:
    """Reference, near-miss and styled answers over the sample; failures keep one example."""
    family = get_family(tasks[0].task_type)
    out = {"reference_fail": 0, "near_miss_checked": 0, "near_miss_fail": 0, "styled_checked": 0,
           "styled_fail": 0, "verifier_errors": 0, "examples": []}

    def note(kind: str, task: Task, reply: str, verdict) -> None:
        if is_verifier_error(verdict):
            out["verifier_errors"] += 1
        if len(out["examples"]) < 3:
            out["examples"].append({"check": kind, "seed": task.seed, "reply": reply[:200], "reason": verdict.reason})

    for task in tasks:
        v = verify(task, task.answer)
        if v.score != 1.0:
            out["reference_fail"] += 1
            note("reference", task, task.answer, v)
        for reply in _safe(family.wrong_answers, task):
            out["near_miss_checked"] += 1
            v = verify(task, reply)
            if v.score != 0.0:
                out["near_miss_fail"] += 1
                note("near_miss", task, reply, v)
        for reply in _safe(family.styled_answers, task):
            out["styled_checked"] += 1
            v = verify(task, reply)
            if v.score != 1.0:
                out["styled_fail"] += 1
                note("styled", task, reply, v)
    return out


def _safe(hook, task: Task) -> list[str]:
    """A family hook's replies; a hook that raises is reported as one failing reply."""
    try:
        return [r for r in hook(task) if isinstance(r, str)]
    except Exception as exc:  # an audit reports a broken hook instead of dying on it
        return [f"<{hook.__name__} raised {type(exc).__name__}>"]


def constant_candidates(tasks: list[Task], level: int) -> list[str]:
    family = get_family(tasks[0].task_type)
    try:
        trivial = list(family.trivial_replies(level))
    except Exception:  # a broken hook must not hide the generic candidates
        trivial = []
    # An answer seen once is no pattern: it would score 1/n on its own task, and fail a small n.
    commonest = [a for a, c in Counter(t.answer for t in tasks).most_common(TOP_REFERENCES) if c >= 2]
    seen: dict[str, None] = {}
    for reply in [*trivial, *commonest, *GENERIC_CONSTANTS]:
        seen.setdefault(reply, None)
    return list(seen)


def best_constant(tasks: list[Task], level: int) -> dict:
    """The constant reply that earns the most over the sample, and its share of the reward."""
    best_reply, best_share, errors = "", 0.0, 0
    for reply in constant_candidates(tasks, level):
        total = 0.0
        for task in tasks:
            v = verify(task, reply)
            errors += is_verifier_error(v)
            total += v.score
        share = total / len(tasks)
        if share > best_share:
            best_reply, best_share = reply, share
    return {"constant_share": best_share, "constant_reply": best_reply, "verifier_errors": errors}
