"""Our own scorers for reasoning-gym datasets whose score_answer is unsafe or loose.

puzzle24 and countdown: reasoning-gym evaluates the reply with sympy's parse_expr (Python eval of
model text), checks puzzle24's numbers only by count and range (`8*3*1*1` passed for [8,5,10,6])
and truncates with int() (`7*7/2*1` = 24.5 passed). Here the reply is parsed by our safe parser
(no eval, no `**`), must use exactly the given numbers as a multiset, and is evaluated in exact
rationals.
"""

from __future__ import annotations

from veritas.envs.tasks._arith_search import evaluate, leaves
from veritas.envs.tasks._exact_expr import ExprError, parse_expression


def _leading_minus_as_zero(text: str) -> tuple[str, int]:
    """Write a minus that opens the expression or a bracket (`-69 - 133`, `(-51 + 23)`, as sympy
    prints countdown's answers) as `0-`: the same value. Returns the text and how many zeros were
    added; a minus after an operator (`2*-3`) is left alone, and the parser refuses it."""
    out, added, opening = [], 0, True
    for c in text:
        if opening and c in "-\u2212":
            out.append("0")
            added += 1
        if not c.isspace():
            opening = c == "("
        out.append(c)
    return "".join(out), added


def _expression_hits(answer: str, numbers: list[int], target: int) -> tuple[float, str]:
    text = answer.split("=", 1)[0] if answer.count("=") == 1 else answer  # "1+2+3*6 = 24" is fine
    text, zeros = _leading_minus_as_zero(text)
    try:
        tree = parse_expression(text, max_chars=500 + zeros, max_numbers=max(16, len(numbers)) + zeros)
    except ExprError as exc:
        return 0.0, f"not an arithmetic expression: {exc}"
    used = sorted(leaves(tree))
    for _ in range(zeros):
        used.remove(0)
    if used != sorted(int(n) for n in numbers):
        return 0.0, "does not use each given number exactly once"
    value = evaluate(tree)
    if value is None:
        return 0.0, "divides by zero"
    if value != (int(target), 1):
        return 0.0, f"evaluates to {value[0]}/{value[1]}, not {target}"
    return 1.0, "correct"


def puzzle24(answer: str, entry: dict) -> tuple[float, str]:
    return _expression_hits(answer, entry["metadata"]["numbers"], 24)


def countdown(answer: str, entry: dict) -> tuple[float, str]:
    md = entry["metadata"]
    return _expression_hits(answer, md["numbers"], md["target"])


EXACT_SCORERS = {"puzzle24": puzzle24, "countdown": countdown}
