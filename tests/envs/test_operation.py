"""operation: the value is re-derived from the English prompt text alone by an evaluator written
here (shunting-yard + Fraction, nothing shared with the module), the stated rules are checked
against the features each task uses, and the accepted answer forms are pinned down."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from veritas.envs import generate, verify, worked_solution, wrong_answers
from veritas.envs.tasks.operation import LEVELS, MAX_DENOMINATOR

SEEDS = range(150)
PARITY_RULE = {"en": "a non-integer is neither even nor odd", "zh": "非整数既不是偶数也不是奇数"}
EXACT_RULE = {"en": "All arithmetic is exact", "zh": "所有运算都是精确的"}
CONDITION_RULE = {"en": "Conditions are tested on the exact values", "zh": "条件按精确值判断"}


# --------------------------------------------------------------------------- an independent reader

class Reading:
    """What the English prompt says: definitions, precedence ranks, right-grouping operators."""

    def __init__(self, prompt: str):
        self.defs: dict[str, list] = {}
        self.rank: dict[str, int] = {}
        self.right: set[str] = set()
        self.expression = None
        for line in prompt.splitlines():
            m = re.fullmatch(r"a (\S) b = (.+) if (.+), otherwise a \1 b = (.+)", line)
            if m:
                self.defs[m.group(1)] = [(m.group(3), m.group(2)), (None, m.group(4))]
                continue
            m = re.fullmatch(r"a (\S) b = (.+)", line)
            if m:
                self.defs[m.group(1)] = [(None, m.group(2))]
                continue
            m = re.fullmatch(r"- Precedence, from tightest to loosest: (.+)\.", line)
            if m:
                groups = m.group(1).split(", then ")
                for i, group in enumerate(groups):
                    for sym in re.findall(r"[^\s,()a-z]", group):
                        self.rank[sym] = len(groups) - i
            m = re.fullmatch(r"- (.+?) groups? from right to left: .*", line)
            if m:
                self.right |= set(re.findall(r"[^\s,a-z]", m.group(1)))
            m = re.fullmatch(r"(?:Compute|Evaluate|Find the value of): (.+)", line)
            if m:
                self.expression = m.group(1)
        if not self.rank:  # one operator, or all on one level
            self.rank = {sym: 1 for sym in self.defs}


def tokens(text: str) -> list:
    out = []
    for m in re.finditer(r"\d+|[ab]|\S", text):
        tok = m.group(0)
        if tok.isdigit():
            value = int(tok)
            if len(out) >= 2 and out[-1] == "-" and out[-2] == "(":  # (-3)
                out.pop()
                value = -value
            out.append(Fraction(value))
        else:
            out.append(tok)
    return out


def to_rpn(toks: list, reading: Reading) -> list:
    def prec(op):
        return {"+": 1, "-": 1, "*": 2, "/": 2}.get(op) or 10 + reading.rank[op]

    def right_assoc(op):
        return op in reading.right

    output, stack = [], []
    for tok in toks:
        if isinstance(tok, Fraction) or tok in ("a", "b"):
            output.append(tok)
        elif tok == "(":
            stack.append(tok)
        elif tok == ")":
            while stack[-1] != "(":
                output.append(stack.pop())
            stack.pop()
        else:
            while stack and stack[-1] != "(" and (
                prec(stack[-1]) > prec(tok) or (prec(stack[-1]) == prec(tok) and not right_assoc(tok))
            ):
                output.append(stack.pop())
            stack.append(tok)
    while stack:
        output.append(stack.pop())
    return output


class Evaluator:
    def __init__(self, reading: Reading, legacy: bool = False):
        self.reading = reading
        self.legacy = legacy  # the original bug: conditions only tested on two integers
        self.largest = Fraction(0)
        self.largest_denominator = 1

    def note(self, x: Fraction) -> Fraction:
        self.largest = max(self.largest, abs(x))
        self.largest_denominator = max(self.largest_denominator, x.denominator)
        return x

    def run(self, text: str, a=None, b=None) -> Fraction:
        stack = []
        for tok in to_rpn(tokens(text), self.reading):
            if isinstance(tok, Fraction):
                stack.append(tok)
            elif tok == "a":
                stack.append(a)
            elif tok == "b":
                stack.append(b)
            else:
                y, x = stack.pop(), stack.pop()
                if tok == "+":
                    stack.append(self.note(x + y))
                elif tok == "-":
                    stack.append(self.note(x - y))
                elif tok == "*":
                    stack.append(self.note(x * y))
                elif tok == "/":
                    stack.append(self.note(x / y))
                else:
                    stack.append(self.note(self.apply(tok, x, y)))
        (value,) = stack
        return value

    def holds(self, cond: str, a: Fraction, b: Fraction) -> bool:
        if self.legacy and (a.denominator != 1 or b.denominator != 1):
            return False
        m = re.fullmatch(r"(.+) is (even|odd)", cond)
        if m:
            x = self.run(m.group(1), a, b)
            return x.denominator == 1 and (x.numerator % 2 == 0) == (m.group(2) == "even")
        left, op, right = re.fullmatch(r"(.+) (>=|<=|>|<) (.+)", cond).groups()
        x, y = self.run(left, a, b), self.run(right, a, b)
        return {">": x > y, "<": x < y, ">=": x >= y, "<=": x <= y}[op]

    def apply(self, sym: str, a: Fraction, b: Fraction) -> Fraction:
        for cond, formula in self.reading.defs[sym]:
            if cond is None or self.holds(cond, a, b):
                return self.run(formula, a, b)
        raise AssertionError("no case applies")


def value_text(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("level", sorted(LEVELS))
def test_value_rederived_from_the_prompt_text(level):
    for seed in SEEDS:
        task = generate("operation", seed, level)
        reading = Reading(task.prompt)
        assert set(reading.defs) == {o["symbol"] for o in task.metadata["operators"]}
        assert reading.expression == task.metadata["expression"]
        evaluator = Evaluator(reading)
        value = evaluator.run(reading.expression)
        assert task.answer == f"\\boxed{{{value_text(value)}}}", (seed, task.prompt)
        assert task.metadata["value"] == value_text(value)
        # bounded magnitude: every intermediate value within the level's bound
        assert evaluator.largest <= LEVELS[level]["bound"], (seed, evaluator.largest)
        assert evaluator.largest_denominator <= MAX_DENOMINATOR
        # every defined operator is used in the expression itself
        for sym in reading.defs:
            assert sym in reading.expression


def test_the_scale_grows_with_difficulty():
    def summary(level):
        ops = apps = 0
        for seed in range(100):
            task = generate("operation", seed, level)
            ops += len(task.metadata["operators"])
            apps += sum(task.metadata["expression"].count(o["symbol"]) for o in task.metadata["operators"])
        return ops, apps

    sizes = [summary(level) for level in sorted(LEVELS)]
    assert sizes == sorted(sizes)
    assert sizes[0][0] == 100 and sizes[-1][1] >= 500


def test_rules_are_stated_whenever_they_matter():
    saw = {"parity_nonint": 0, "division": 0}
    for level in sorted(LEVELS):
        for seed in SEEDS:
            for language in ("en", "zh"):
                task = generate("operation", seed, level, language)
                cases = [case for o in task.metadata["operators"] for case in o["cases"]]
                has_div = any("/" in formula for _, formula in cases)
                has_cond = any(cond is not None for cond, _ in cases)
                has_parity = any(cond is not None and cond.startswith(("even(", "odd(")) for cond, _ in cases)
                assert (EXACT_RULE[language] in task.prompt) == has_div
                assert (CONDITION_RULE[language] in task.prompt) == has_cond
                assert (PARITY_RULE[language] in task.prompt) == has_parity
                saw["division"] += has_div
                saw["parity_nonint"] += has_div and has_parity
    assert saw["division"] > 100 and saw["parity_nonint"] > 50


def test_the_original_non_integer_bug_is_a_wrong_answer():
    """Where reading conditions the old way (default branch unless both operands are integers)
    changes the value, that value is among the near misses and scores 0."""
    differing = 0
    for level in (3, 4, 5):
        for seed in range(300):
            task = generate("operation", seed, level)
            reading = Reading(task.prompt)
            right = Evaluator(reading).run(reading.expression)
            legacy = Evaluator(reading, legacy=True).run(reading.expression)
            if legacy != right:
                differing += 1
                reply = f"\\boxed{{{value_text(legacy)}}}"
                assert reply in wrong_answers(task)
                assert verify(task, reply).score == 0.0
    assert differing >= 20, differing


def test_a_wrong_precedence_reading_is_a_wrong_answer():
    found = 0
    for seed in range(200):
        task = generate("operation", seed, 4)
        reading = Reading(task.prompt)
        reading.rank = {sym: 1 for sym in reading.rank}  # every defined operator on one level
        reading.right = set()
        try:
            naive = Evaluator(reading).run(reading.expression)
        except ZeroDivisionError:
            continue
        reply = f"\\boxed{{{value_text(naive)}}}"
        if reply != task.answer:
            found += 1
            assert verify(task, reply).score == 0.0
            assert reply in wrong_answers(task), (seed, reply)
    assert found >= 50


def _task(fraction: bool, terminating: bool = False):
    for seed in range(1000):
        task = generate("operation", seed, 3)
        value = task.metadata["value"]
        if ("/" in value) != fraction or value.startswith("-"):
            continue
        if fraction and terminating != all(f in (2, 5) for f in _prime_factors(int(value.split("/")[1]))):
            continue
        return task
    raise AssertionError("no such task")


@pytest.mark.parametrize("terminating", [False, True])
def test_accepted_forms_for_a_fraction(terminating):
    task = _task(fraction=True, terminating=terminating)
    p, q = map(int, task.metadata["value"].split("/"))
    accepted = [
        f"\\boxed{{{p}/{q}}}",
        f"\\boxed{{ {p} / {q} }}",
        f"\\boxed{{{2 * p}/{2 * q}}}",                      # not reduced, same value
        f"\\boxed{{\\frac{{{p}}}{{{q}}}}}",
        f"\\boxed{{\\dfrac{{{p}}}{{{q}}}}}",
        f"\\boxed{{-\\frac{{-{p}}}{{{q}}}}}",
        f"So it is \\boxed{{0}}... no: \\boxed{{{p}/{q}}}",  # last box
    ]
    if terminating:
        from decimal import Decimal

        exact = Decimal(p) / Decimal(q)
        accepted += [f"\\boxed{{{exact}}}", f"\\boxed{{{exact}000}}"]
    for reply in accepted:
        assert verify(task, reply).score == 1.0, reply
    rejected = [
        f"{p}/{q}",                                         # no box
        f"\\boxed{{{p}/{q} \\approx {p / q:.3f}}}",
        f"\\boxed{{{p / q:.6f}}}" if not terminating else f"\\boxed{{{p / q + 1e-6:.6f}}}",  # rounded / off
        f"\\boxed{{{p // q} {p % q}/{q}}}",                   # mixed number
        f"\\boxed{{x = {p}/{q}}}",
        f"\\boxed{{({p})/{q}}}",
        f"\\boxed{{{p}/{q}, {p + q}/{q}}}",                   # two answers
        f"\\boxed{{{p}/{q}}} or \\boxed{{{p + q}/{q}}}",      # hedge
        f"\\boxed{{{p}/0}}",
        f"\\boxed{{{p}/-{q}}}",
        f"\\boxed{{{p}}}",
    ]
    for reply in rejected:
        assert verify(task, reply).score == 0.0, reply


def _prime_factors(n: int) -> list[int]:
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    return out + ([n] if n > 1 else [])


def test_accepted_forms_for_an_integer_and_negative_sign():
    task = _task(fraction=False)
    v = int(task.metadata["value"])
    for reply in (f"\\boxed{{{v}}}", f"\\boxed{{{v}.0}}", f"\\boxed{{{2 * v}/2}}", f"\\boxed{{ {v} }}"):
        assert verify(task, reply).score == 1.0, reply
    for reply in (f"\\boxed{{{v + 1}}}", f"\\boxed{{{v}.5}}", f"\\boxed{{+{v}}}", f"\\boxed{{{v} or {v + 1}}}",
                  f"\\boxed{{{v}, {v}}}", f"\\boxed{{{v}!}}", "\\boxed{}", f"\\boxed{{{v}}} \\boxed{{{v - 1}}}"):
        assert verify(task, reply).score == 0.0, reply
    for seed in range(300):
        task = generate("operation", seed, 4)
        if task.metadata["value"].startswith("-"):
            for minus in ("-", "−"):
                assert verify(task, "\\boxed{" + minus + task.metadata["value"][1:] + "}").score == 1.0
            assert verify(task, "\\boxed{" + task.metadata["value"][1:] + "}").score == 0.0
            break
    else:
        raise AssertionError("no negative answer in 300 seeds")


def test_worked_solution_applies_every_operation_in_order():
    for seed in range(60):
        for language in ("en", "zh"):
            task = generate("operation", seed, None, language)
            solution = worked_solution(task)
            steps = re.findall(r"^(?:Step|第) (\d+)", solution, flags=re.M)
            n_ops = sum(task.metadata["expression"].count(c) for c in "+*" + "".join(
                o["symbol"] for o in task.metadata["operators"])) + len(
                re.findall(r"(?<=[\d)]) - ", task.metadata["expression"]))
            assert [int(s) for s in steps] == list(range(1, n_ops + 1)), (seed, solution)
            assert solution.rstrip().endswith(task.answer)


def test_wrong_answers_are_distinct_and_score_zero():
    for seed in range(100):
        task = generate("operation", seed)
        wrong = wrong_answers(task)
        assert len(wrong) == len(set(wrong)) >= 4  # value +-1, a two-value box, a hedge at least
        assert task.answer not in wrong
        for reply in wrong:
            assert verify(task, reply).score == 0.0, reply
