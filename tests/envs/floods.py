"""Adversarial replies of about 1 MB (just under the 1,000,000-character cap), each built to make
one parsing step repeat as often as possible: runs of backticks, empty fences, braces, `\\boxed{`
openers, digits, newlines, `<think>` tags, the answer markers, the reference answer repeated.
tests/envs/test_verify_time.py times verify() on every one; run this file as a script to print
the worst time per family:

    python tests/envs/floods.py [TASK_TYPE ...]
"""

from __future__ import annotations

import pathlib
import sys
import time

if __name__ == "__main__":  # run as a script: import this checkout's veritas, not an installed copy
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from veritas.envs import Task, generate, list_task_types, verify
from veritas.envs.answers import MAX_REPLY_CHARS

SIZE = MAX_REPLY_CHARS - 64  # room for the reference appended to some floods


def _fill(unit: str, tail: str = "") -> str:
    """`unit` repeated to SIZE characters in all, then `tail` (cut so the whole fits)."""
    body = unit * ((SIZE - len(tail)) // len(unit))
    return (body + tail)[:MAX_REPLY_CHARS]


def floods(task: Task) -> dict[str, str]:
    """name -> reply of about 1 MB for this task."""
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


def worst_time(task: Task, repeats: int = 3) -> tuple[float, str]:
    """(seconds, flood name) of the slowest flood; each flood timed as the best of `repeats` runs
    so that a busy machine does not inflate the number."""
    worst = (0.0, "")
    for name, reply in floods(task).items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            verify(task, reply)
            best = min(best, time.perf_counter() - start)
        worst = max(worst, (best, name))
    return worst


def main() -> None:
    for task_type in sys.argv[1:] or list_task_types():
        results = [worst_time(generate(task_type, seed, level)) for level, seed in ((1, 0), (5, 1))]
        seconds, name = max(results)
        print(f"{task_type}: worst {seconds * 1000:.1f} ms ({name})", flush=True)


if __name__ == "__main__":
    main()
