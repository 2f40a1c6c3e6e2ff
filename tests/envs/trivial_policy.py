"""The best constant reply per (task type, level): how much reward a policy earns without reading
the task. Used by tests/envs/test_trivial_policies.py; run it as a script to print the table:

    python tests/envs/trivial_policy.py [TASK_TYPE ...] [--seeds 300] [--levels 1 2 3]

Candidates per (task type, level): the family's own `trivial_replies(level)`, the commonest
reference answers among the measured tasks (a policy can learn the modal answer), and generic
constants every family is tried with.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections import Counter

if __name__ == "__main__":  # run as a script: import this checkout's veritas, not an installed copy
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from veritas.envs import DIFFICULTY_LEVELS, generate, get_family, list_task_types, verify

# Replies a policy could learn for any family: the empty-ish answers of every answer format.
GENERIC_REPLIES: tuple[str, ...] = (
    "None",
    "0",
    "1",
    "Answer: 1",
    "Answer: 1, 2",
    "Answer: 2",
    "\\boxed{A}",
    "\\boxed{B}",
    "\\boxed{A,B}",
    "\\boxed{0}",
    "\\boxed{1}",
    "\\boxed{-1}",
    "\\boxed{2}",
    "```python\nNone\n```",
    "```\n\n```",
    "`()`",
    "Answer: ()",
)

COMMON_ANSWERS = 20


def best_constant_reply(task_type: str, level: int, seeds: range) -> tuple[float, str, int]:
    """(share of reward, reply, number of tasks) of the best constant reply over `seeds`."""
    tasks = [generate(task_type, seed, level) for seed in seeds]
    candidates = list(get_family(task_type).trivial_replies(level))
    candidates += [answer for answer, _ in Counter(t.answer for t in tasks).most_common(COMMON_ANSWERS)]
    candidates += GENERIC_REPLIES
    best = (-1.0, "", len(tasks))
    for reply in dict.fromkeys(candidates):  # unique, order kept
        earned = sum(verify(task, reply).score for task in tasks)
        share = earned / len(tasks)
        if share > best[0]:
            best = (share, reply, len(tasks))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("types", nargs="*", help="task types (default: all)")
    ap.add_argument("--seeds", type=int, default=300, help="tasks per (type, level), seeds 0..N-1")
    ap.add_argument("--levels", type=int, nargs="*", default=list(DIFFICULTY_LEVELS))
    args = ap.parse_args()
    for task_type in args.types or list_task_types():
        for level in args.levels:
            share, reply, n = best_constant_reply(task_type, level, range(args.seeds))
            print(f"{task_type} L{level} {share * 100:5.1f}% n={n} {reply!r}", flush=True)


if __name__ == "__main__":
    main()
