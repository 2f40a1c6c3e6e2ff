"""Probes of a family's reward that need no model: the best constant reply per (task type, level)
and the slowest verify over adversarial 1 MB replies. The tests (tests/envs/test_trivial_policies.py,
tests/envs/test_verify_time.py) assert their goals; an audit can report them for any registered
family. Standard library only, like the rest of veritas.envs.

    python -m veritas.envs.probes constant [TASK_TYPE ...] [--seeds 300] [--levels 1 2 3]
    python -m veritas.envs.probes floods [TASK_TYPE ...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from veritas.envs.answers import MAX_REPLY_CHARS
from veritas.envs.base import DIFFICULTY_LEVELS, Task
from veritas.envs.registry import generate, get_family, list_task_types, verify

# --------------------------------------------------------------------------- constant replies

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
COMMON_ANSWERS = 20  # the commonest reference answers are candidates too: a policy can learn the mode


def best_constant_reply(task_type: str, level: int, seeds: range) -> tuple[float, str, int]:
    """(share of reward, reply, number of tasks) of the best constant reply over `seeds`.

    Candidates: the family's trivial_replies(level), the COMMON_ANSWERS commonest reference
    answers among these tasks, and GENERIC_REPLIES."""
    tasks = [generate(task_type, seed, level) for seed in seeds]
    candidates = list(get_family(task_type).trivial_replies(level))
    candidates += [answer for answer, _ in Counter(t.answer for t in tasks).most_common(COMMON_ANSWERS)]
    candidates += GENERIC_REPLIES
    best = (-1.0, "", len(tasks))
    for reply in dict.fromkeys(candidates):  # unique, order kept
        share = sum(verify(task, reply).score for task in tasks) / len(tasks)
        if share > best[0]:
            best = (share, reply, len(tasks))
    return best


# --------------------------------------------------------------------------- 1 MB floods

FLOOD_SIZE = MAX_REPLY_CHARS - 64  # room for the reference appended to some floods


def _fill(unit: str, tail: str = "") -> str:
    """`unit` repeated to FLOOD_SIZE characters in all, then `tail` (cut so the whole fits)."""
    body = unit * ((FLOOD_SIZE - len(tail)) // len(unit))
    return (body + tail)[:MAX_REPLY_CHARS]


def floods(task: Task) -> dict[str, str]:
    """name -> reply of about 1 MB, each built to make one parsing step repeat as often as
    possible: runs of backticks, empty fences, braces, `\\boxed{` openers, digits, newlines,
    `<think>` tags, answer markers, the reference answer repeated."""
    a = task.answer
    short = a if len(a) <= 60 else ""
    return {
        "backtick runs": _fill("`` "),
        "single backticks": _fill("` "),
        "backtick pairs with content": _fill("`x` "),
        "triple backticks": _fill("```"),
        "empty fences": _fill("```\n```\n"),
        "inline fences": _fill("```x``` "),
        "python fences": _fill("```python\n1\n```\n"),
        "fences then answer": _fill("```\n```\n", short),
        "backticks then answer": _fill("`` ", short),
        "open braces": _fill("{"),
        "close braces": _fill("}"),
        "boxed openers": _fill("\\boxed{"),
        "boxed openers closed": _fill("\\boxed{}"),
        "boxed digits": _fill("\\boxed{1} "),
        "digits": _fill("9"),
        "digits and newlines": _fill("123456789\n"),
        "newlines": _fill("\n"),
        "blank lines then answer": _fill("\n", short),
        "think tags": _fill("<think>"),
        "closing think tags": _fill("</think>"),
        "think pairs": _fill("<think></think>"),
        "answer markers": _fill("Answer: "),
        "answer markers en": _fill("The answer is "),
        "answer markers zh": _fill("答案是"),
        "equals signs": _fill("= "),
        "brackets": _fill("( [ { < "),
        "bars and dashes": _fill("|-+"),
        "bold marks": _fill("**"),
        "latex spacing": _fill("\\, \\ "),
        "text wrappers": _fill("\\text{"),
        "hash comments": _fill("# = 24\n"),
        "the reference repeated": _fill(a + "\n"),
        "the reference glued": _fill(a),
    }


def worst_flood_time(task: Task, repeats: int = 3) -> tuple[float, str]:
    """(seconds, flood name) of the slowest flood; each flood timed as the best of `repeats`
    runs so that a busy machine does not inflate the number."""
    worst = (0.0, "")
    for name, reply in floods(task).items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            verify(task, reply)
            best = min(best, time.perf_counter() - start)
        worst = max(worst, (best, name))
    return worst


# --------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Constant-reply and 1 MB flood probes of the task families.")
    ap.add_argument("probe", choices=("constant", "floods"))
    ap.add_argument("types", nargs="*", help="task types (default: all)")
    ap.add_argument("--seeds", type=int, default=300, help="constant: tasks per (type, level), seeds 0..N-1")
    ap.add_argument("--levels", type=int, nargs="*", default=list(DIFFICULTY_LEVELS))
    args = ap.parse_args(argv)
    for task_type in args.types or list_task_types():
        if args.probe == "constant":
            for level in args.levels:
                share, reply, n = best_constant_reply(task_type, level, range(args.seeds))
                print(f"{task_type} L{level} {share * 100:5.1f}% n={n} {reply[:60]!r}", flush=True)
        else:
            results = [worst_flood_time(generate(task_type, seed, level)) for level, seed in ((1, 0), (5, 1))]
            seconds, name = max(results)
            print(f"{task_type}: worst {seconds * 1000:.1f} ms ({name})", flush=True)


if __name__ == "__main__":
    main()
