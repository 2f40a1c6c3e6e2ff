"""cryptarithm: uniqueness re-checked by an independent solver, the documented level shapes, the
answer rules (docs/envs/cryptarithm.md), stuffing and the loopholes peers left open."""

from __future__ import annotations

import random
import time

import pytest

from veritas.envs import Task, generate, verify, worked_solution
from veritas.envs.tasks._cryptarithm_solver import solve

# docs/envs/cryptarithm.md: level -> the operator sequences that occur.
DOCUMENTED_OPERATORS = {
    1: {("+",)},
    2: {("+",), ("-",)},
    3: {("+", "+"), ("+", "-")},
    4: {("*",), ("+", "+", "+"), ("+", "-", "+")},
    5: {("*", "+"), ("*", "-"), ("*", "*"), ("*", "+", "-")},
}
SAMPLE_SEEDS = range(30)


# ---------------------------------------------------------------------------------------------
# An independent, deliberately plain solver: letters one at a time (lowest column first), and a
# check of the whole equation modulo 10^k as soon as the last k columns are fully assigned.


def plain_value(numbers: list[int], ops: list[str]) -> int:
    # Two passes: products first, then + and - left to right.
    terms, signs = [numbers[0]], [1]
    for op, n in zip(ops, numbers[1:]):
        if op == "*":
            terms[-1] *= n
        else:
            terms.append(n)
            signs.append(1 if op == "+" else -1)
    return sum(s * t for s, t in zip(signs, terms))


def plain_solutions(operands: list[str], ops: list[str], result: str) -> list[dict[str, int]]:
    words = list(operands) + [result]
    width = max(map(len, words))
    order: list[str] = []
    for k in range(width):
        for w in words:
            if k < len(w) and w[-1 - k] not in order:
                order.append(w[-1 - k])
    # complete_after[j]: how many low columns are fully known once order[:j+1] is assigned
    complete_after = []
    for j in range(len(order)):
        known = set(order[:j + 1])
        k = 0
        while k < width and all(w[-1 - k] in known for w in words if k < len(w)):
            k += 1
        complete_after.append(k)
    leading = {w[0] for w in words if len(w) > 1}
    found: list[dict[str, int]] = []
    value: dict[str, int] = {}

    def number(w: str) -> int:
        return int("".join(str(value[ch]) for ch in w))

    def low(w: str, k: int) -> int:
        return int("".join(str(value[ch]) for ch in w[-k:])) if k else 0

    def rec(j: int) -> None:
        if j == len(order):
            if plain_value([number(w) for w in operands], ops) == number(result):
                found.append(dict(value))
            return
        ch = order[j]
        for d in range(10):
            if d in value.values() or (d == 0 and ch in leading):
                continue
            value[ch] = d
            k = complete_after[j]
            if k == 0 or (plain_value([low(w, k) for w in operands], ops) - low(result, k)) % 10 ** k == 0:
                rec(j + 1)
            del value[ch]

    rec(0)
    return found


def _key(solutions: list[dict[str, int]]) -> list[list[tuple[str, int]]]:
    return sorted(sorted(s.items()) for s in solutions)


# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("level", sorted(DOCUMENTED_OPERATORS))
def test_unique_solution_and_documented_shape(level):
    for seed in SAMPLE_SEEDS:
        task = generate("cryptarithm", seed, level)
        meta = task.metadata
        operands, ops, result = meta["operands"], meta["operators"], meta["result"]
        assert 2 <= len(operands) <= 4 and tuple(ops) in DOCUMENTED_OPERATORS[level], (seed, ops)
        assert plain_solutions(operands, ops, result) == [meta["solution"]], f"level {level} seed {seed}"
        assert " ".join(operands[:1]) in task.prompt and result in task.prompt


def test_every_documented_shape_occurs():
    seen = {level: set() for level in DOCUMENTED_OPERATORS}
    for level in DOCUMENTED_OPERATORS:
        for seed in range(120):
            seen[level].add(tuple(generate("cryptarithm", seed, level).metadata["operators"]))
    assert seen == DOCUMENTED_OPERATORS


def test_solver_finds_exactly_the_plain_solver_solutions():
    rng = random.Random(2024)
    shapes = [((2, 2), ["+"]), ((3, 2), ["-"]), ((2, 2, 2), ["+", "-"]), ((2, 1), ["*"]), ((1, 2), ["*"]),
              ((2, 2), ["*"]), ((2, 1, 2), ["*", "+"]), ((2, 2, 1), ["-", "*"]), ((1, 1, 1), ["*", "*"])]
    for lengths, ops in shapes:
        for _ in range(6):
            numbers = [rng.randrange(10 ** (n - 1) if n > 1 else 0, 10 ** n) for n in lengths]
            total = plain_value(numbers, ops)
            if total < 0:
                continue
            digits = sorted(set("".join(map(str, numbers + [total]))))
            letter = dict(zip(digits, rng.sample("ABCDEFGHJK", len(digits))))
            words = ["".join(letter[c] for c in str(n)) for n in numbers]
            res = "".join(letter[c] for c in str(total))
            expected = plain_solutions(words, ops, res)
            assert _key(solve(words, ops, res, limit=10 ** 6)) == _key(expected), (words, ops, res)


def test_worked_solution_walks_the_columns():
    task = generate("cryptarithm", 3, 2)
    text = worked_solution(task)
    width = max(len(w) for w in task.metadata["operands"] + [task.metadata["result"]])
    assert all(f"Column {k}" in text for k in range(1, width + 1))
    assert text.endswith(task.answer)
    zh = worked_solution(generate("cryptarithm", 3, 5, "zh"))
    assert zh.splitlines()[-1].startswith("答案是 ")
    assert verify(generate("cryptarithm", 3, 5, "zh"), zh).score == 1.0


# ---------------------------------------------------------------------------------------------
# Answer rules.


@pytest.fixture(scope="module")
def task() -> Task:
    return generate("cryptarithm", 17, 2)


def _equation(task: Task) -> str:
    return task.metadata["equation"]


@pytest.mark.parametrize("variant", [
    "reference", "colon", "full_stop", "chinese_marker", "chinese_colon", "lowercase", "no_spaces",
    "unicode_minus_times", "reasoning_before", "chinese_stop", "bold", "bold_marker_only", "latex",
    "backtick_line", "backtick_equation", "chinese_bold", "chinese_backticks",
])
def test_accepted_endings(task, variant):
    eq = _equation(task)
    reply = {
        "reference": task.answer,
        "colon": "The answer is: " + eq,
        "full_stop": "The answer is " + eq + ".",
        "chinese_marker": "答案是 " + eq,
        "chinese_colon": "答案是：" + eq,
        "lowercase": "So the answer is " + eq,
        "no_spaces": "The answer is " + eq.replace(" ", ""),
        "unicode_minus_times": "The answer is " + eq.replace("-", "\u2212").replace("*", "\u00d7"),
        "reasoning_before": "Column 1 gives a carry of 1... The answer is probably wrong so far.\n\nThe answer is " + eq,
        "chinese_stop": "答案是 " + eq + "。",
        # decoration strong chat models put around the one equation (issue 12)
        "bold": "**The answer is " + eq + "**",
        "bold_marker_only": "**The answer is:** " + eq,
        "latex": "The answer is $" + eq + "$",
        "backtick_line": "`The answer is " + eq + "`",
        "backtick_equation": "The answer is `" + eq + "`.",
        "chinese_bold": "**答案是 " + eq + "**",
        "chinese_backticks": "答案是：`" + eq + "`。",
    }[variant]
    assert verify(task, reply).score == 1.0, reply


@pytest.mark.parametrize("variant", [
    "trailing_text", "bold_then_text", "two_spans", "letters", "mapping", "no_marker", "boxed", "two_equations",
    "extra_equals", "reordered_operands", "wrong_operator", "x_for_times", "newline_inside",
])
def test_rejected_endings(task, variant):
    eq = _equation(task)
    meta = task.metadata
    left, right = eq.split(" = ")
    parts = left.split(" ")
    reply = {
        "trailing_text": task.answer + " Hope this helps!",
        "bold_then_text": "**The answer is " + eq + "** (I think)",
        "two_spans": "The answer is `" + eq + "` or `" + eq + "`",
        "letters": "The answer is " + " ".join(meta["operands"][:1] + [meta["operators"][0]] + meta["operands"][1:]) + " = " + meta["result"],
        "mapping": "The answer is " + ", ".join(f"{k}={v}" for k, v in meta["solution"].items()),
        "no_marker": eq,
        "boxed": "\\boxed{" + eq + "}",
        "two_equations": task.answer + " or " + eq,
        "extra_equals": task.answer + " = " + right,
        "reordered_operands": "The answer is " + " ".join(parts[::-1]) + " = " + right,
        "wrong_operator": "The answer is " + (left.replace(" + ", " - ") if " + " in left else left.replace(" - ", " + ")) + " = " + right,
        "x_for_times": "The answer is " + eq.replace("+", "x").replace("-", "x"),
        "newline_inside": "The answer is " + left + "\n= " + right,
    }[variant]
    v = verify(task, reply)
    assert v.score == 0.0, (variant, reply, v)


def test_only_the_last_marker_counts(task):
    wrong = task.answer[:-1] + str((int(task.answer[-1]) + 1) % 10)
    assert verify(task, wrong + "\nNo wait.\n" + task.answer).score == 1.0
    assert verify(task, task.answer + "\nNo wait.\n" + wrong).score == 0.0
    assert verify(task, "The answer is " + task.answer).score == 1.0  # the last marker's tail is the equation


def test_verification_is_structural_not_a_string_match():
    # A hand-made puzzle with two solutions: AB + BA = CC has several; the verifier must accept
    # every true instance, which shows it checks the rules rather than comparing strings.
    record = generate("cryptarithm", 0, 1).to_dict()
    record["metadata"] = {"operands": ["AB", "BA"], "operators": ["+"], "result": "CC",
                          "solution": {"A": 1, "B": 2, "C": 3}, "equation": "12 + 21 = 33"}
    forged = Task.from_dict(record)
    instances = plain_solutions(["AB", "BA"], ["+"], "CC")
    assert len(instances) > 1
    for sol in instances:
        eq = f"{sol['A']}{sol['B']} + {sol['B']}{sol['A']} = {sol['C']}{sol['C']}"
        assert verify(forged, "The answer is " + eq).score == 1.0, eq
    assert verify(forged, "The answer is 12 + 21 = 34").score == 0.0
    assert verify(forged, "The answer is 11 + 11 = 22").score == 0.0  # A and B share a digit
    assert verify(forged, "The answer is 10 + 01 = 11").score == 0.0  # leading zero


def test_single_letter_words_may_be_zero():
    record = generate("cryptarithm", 0, 1).to_dict()
    record["metadata"] = {"operands": ["AB", "C"], "operators": ["*"], "result": "C",
                          "solution": {"A": 1, "B": 2, "C": 0}, "equation": "12 * 0 = 0"}
    forged = Task.from_dict(record)
    assert verify(forged, "The answer is 12 * 0 = 0").score == 1.0
    assert verify(forged, "The answer is 12 * 00 = 00").score == 0.0
    expected = plain_solutions(["AB", "C"], ["*"], "C")
    assert expected and all(s["C"] == 0 for s in expected)
    assert _key(solve(["AB", "C"], ["*"], "C", limit=10 ** 6)) == _key(expected)


@pytest.mark.parametrize("reply", [
    "The answer is 8*3*1*1",  # puzzle24's loophole: numbers never checked
    "The answer is 9**9**9**9 = 1",  # power operator, and what made eval() stall
    "The answer is __import__('os').system('echo hi')",
    "The answer is 24 = 24",
    "The answer is 1 + 1 = 2",
    "The answer is 7 / 7 = 1",
    "The answer is 0 = 0",
    "The answer is " + "9" * 400,
    "The answer is " + "1 + " * 200 + "1",
])
def test_loopholes_score_zero_fast(task, reply):
    start = time.perf_counter()
    v = verify(task, reply)
    assert v.score == 0.0, v
    assert time.perf_counter() - start < 0.5


def test_prompt_wording_comes_from_the_wording_stream():
    # Same seed, same prompt, every time (the original used the global random module).
    prompts = {generate("cryptarithm", 99, 3).prompt for _ in range(5)}
    assert len(prompts) == 1
    random.seed(1)
    a = generate("cryptarithm", 99, 3).prompt
    random.seed(2)
    b = generate("cryptarithm", 99, 3).prompt
    assert a == b
    en, zh = generate("cryptarithm", 99, 3, "en"), generate("cryptarithm", 99, 3, "zh")
    puzzle = " ".join(en.metadata["operands"][:1])
    assert en.answer == zh.answer and puzzle in zh.prompt and "答案是" in zh.prompt
