"""Our own scorers for reasoning-gym datasets whose score_answer is unsafe or loose.

None of them evaluates the reply: each compares text after whitespace normalisation, or parses a
plain number with a regular expression and float()/Fraction() (no eval, no sympy).

puzzle24 and countdown: reasoning-gym evaluates the reply with sympy's parse_expr (Python eval of
model text), checks puzzle24's numbers only by count and range (`8*3*1*1` passed for [8,5,10,6])
and truncates with int() (`7*7/2*1` = 24.5 passed). Here the reply is parsed by our safe parser
(no eval, no `**`), must use exactly the given numbers as a multiset, and is evaluated in exact
rationals.
"""

from __future__ import annotations

import re
from fractions import Fraction

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


def _grid_lines(text: str) -> list[str]:
    """A grid or list as its non-empty lines, each with runs of whitespace made one space."""
    return [" ".join(line.split()) for line in text.strip().splitlines() if line.strip()]


def same_grid(answer: str, entry: dict) -> tuple[float, str]:
    """spiral_matrix, binary_matrix: the reference numbers with the same line breaks, spacing free.
    (reasoning-gym eval()s a reply that differs, for 0.1 partial credit only.)"""
    if _grid_lines(answer) == _grid_lines(entry["answer"]):
        return 1.0, "correct"
    return 0.0, "differs from the reference"


def same_string(answer: str, entry: dict) -> tuple[float, str]:
    """string_insertion: the exact string (reasoning-gym eval()s a reply that differs)."""
    return (1.0, "correct") if answer.strip() == entry["answer"].strip() else (0.0, "differs from the reference")


def n_queens(answer: str, entry: dict) -> tuple[float, str]:
    """One of the boards reasoning-gym lists as valid (every completion of the given queens)."""
    board = _grid_lines(answer)
    if any(board == _grid_lines(valid) for valid in entry["metadata"]["valid_answers"]):
        return 1.0, "correct"
    return 0.0, "not a valid completion of the board"


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?")
_MAX_NUMBER_CHARS = 64


def _number(text: str) -> float | None:
    text = text.strip()
    if len(text) > _MAX_NUMBER_CHARS or not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if value == value and abs(value) != float("inf") else None


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text.strip().lstrip("+-"))[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


def power_function(answer: str, entry: dict) -> tuple[float, str]:
    """The prompt asks for 3 significant figures: the reference rounded to 3 significant figures
    (given with at most 3 significant digits), or the full-precision reference itself. reasoning-gym
    compared both at 3 significant figures, so the reference plus 1 (any number agreeing in its
    first 3 digits) passed; here it does not."""
    value, ref = _number(answer), float(entry["answer"])
    if value is None:
        return 0.0, "not a decimal number"
    if value == ref:  # the reference as printed (float repr round-trips exactly)
        return 1.0, "correct"
    if _significant_digits(answer) <= 3 and f"{value:.2e}" == f"{ref:.2e}":
        return 1.0, "correct to 3 significant figures"
    return 0.0, f"{value!r} is not {ref!r} (to 3 significant figures, given with at most 3)"


def gsm_symbolic(answer: str, entry: dict) -> tuple[float, str]:
    """The answer is one number (a leading $ and thousands commas allowed). reasoning-gym took the
    first number anywhere in the answer, so a reply listing many numbers scored."""
    text = answer.strip().lstrip("$").replace(",", "")
    value = _number(text)
    if value is None:
        return 0.0, "not a single number"
    return (1.0, "correct") if value == float(entry["answer"]) else (0.0, f"{text} is not {entry['answer']}")


_FRACTION = re.compile(r"\s*(\d{1,30})\s*/\s*(\d{1,30})\s*")


def coin_flip(answer: str, entry: dict) -> tuple[float, str]:
    """The probability as a fraction p/q or a decimal, equal to the reference up to a relative 1e-6
    (the reference is a float). reasoning-gym allowed an absolute 1e-4, so for small probabilities
    another task's answer scored."""
    match = _FRACTION.fullmatch(answer)
    if match:
        if int(match.group(2)) == 0:
            return 0.0, "divides by zero"
        value = float(Fraction(int(match.group(1)), int(match.group(2))))
    else:
        value = _number(answer)
        if value is None:
            return 0.0, "not a probability (a decimal or p/q)"
    ref = float(entry["answer"])
    if abs(value - ref) <= 1e-6 * abs(ref) or value == ref:
        return 1.0, "correct"
    return 0.0, f"{value!r} is not {ref!r}"


def true_false(answer: str, entry: dict) -> tuple[float, str]:
    """game_of_life_halting: `True` or `False`, any case. reasoning-gym compared bool(reply) with
    bool(reference), and both are non-empty strings, so every reply scored 1."""
    given = answer.strip().lower()
    if given not in ("true", "false"):
        return 0.0, "neither True nor False"
    return (1.0, "correct") if given == entry["answer"].strip().lower() else (0.0, "wrong")


EXACT_SCORERS = {
    "puzzle24": puzzle24, "countdown": countdown,
    "spiral_matrix": same_grid, "binary_matrix": same_grid, "string_insertion": same_string, "n_queens": n_queens,
    "power_function": power_function, "gsm_symbolic": gsm_symbolic, "coin_flip": coin_flip,
    "game_of_life_halting": true_false,
}
