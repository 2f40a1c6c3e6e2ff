"""game_of_24: the exact solver against an independent brute force, the verifier against every known
loophole, and the scoring rules (docs/envs/game_of_24.md)."""

from __future__ import annotations

import ast
import itertools
import re
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veritas.envs import Task, generate, verify, worked_solution, wrong_answers
from veritas.envs.tasks import game_of_24 as g24
from veritas.envs.tasks._arith_search import ExactSolver
from veritas.envs.tasks._exact_expr import ExprError, parse_expression

ALL = "+-*/"


# -- an independent brute force: pick two values, combine them, recurse (Fractions, signed) ------

def _combine_pair(a: Fraction, b: Fraction, ops: str) -> list[Fraction]:
    out = []
    if "+" in ops:
        out.append(a + b)
    if "-" in ops:
        out += [a - b, b - a]
    if "*" in ops:
        out.append(a * b)
    if "/" in ops:
        if b:
            out.append(a / b)
        if a:
            out.append(b / a)
    return out


def brute_force_solvable(numbers, ops, target) -> bool:
    """Slow but obviously complete: every pair, every operator both ways, memoised on the multiset."""
    goal = Fraction(target)
    dead: set[tuple] = set()

    def search(values: list[Fraction]) -> bool:
        if len(values) == 1:
            return values[0] == goal
        key = tuple(sorted(values))
        if key in dead:
            return False
        for i, j in itertools.combinations(range(len(values)), 2):
            rest = [v for k, v in enumerate(values) if k != i and k != j]
            for r in _combine_pair(values[i], values[j], ops):
                if search(rest + [r]):
                    return True
        dead.add(key)
        return False

    return search([Fraction(n) for n in numbers])


def brute_force_solutions(numbers, ops, target, limit=30) -> list[str]:
    """Distinct solution strings (fully bracketed) for small inputs."""
    goal = Fraction(target)
    found: list[str] = []

    def search(items: list[tuple[Fraction, str]]):
        if len(found) >= limit:
            return
        if len(items) == 1:
            if items[0][0] == goal and items[0][1] not in found:
                found.append(items[0][1])
            return
        for i, j in itertools.permutations(range(len(items)), 2):
            (a, sa), (b, sb) = items[i], items[j]
            rest = [x for k, x in enumerate(items) if k != i and k != j]
            for op in ops:
                if op == "/" and b == 0:
                    continue
                value = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]
                search(rest + [(value, f"({sa} {op} {sb})")])

    search([(Fraction(n), str(n)) for n in numbers])
    return found


def fraction_eval(text: str) -> Fraction:
    """Independent evaluation of our own reference text (trusted) through Python's ast."""
    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return Fraction(node.value)
        if isinstance(node, ast.BinOp):
            a, b = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b
        raise AssertionError(f"unexpected node {ast.dump(node)}")
    return walk(ast.parse(text, mode="eval"))


def make_task(numbers, target=24, ops=ALL) -> Task:
    """A task built by hand; its solvability comes from the brute force, not from our solver."""
    solvable = brute_force_solvable(numbers, ops, target)
    return Task(task_id=100_000_000, env="lgc-v2", task_type="game_of_24", seed=0, difficulty=1,
                prompt="(hand-made)", answer="", language="en",
                metadata={"numbers": list(numbers), "target": target, "operators": list(ops),
                          "solvable": solvable, "solution": None})


def block(body: str) -> str:
    return f"```python\n{body}\n```"


def score(task: Task, reply: str) -> float:
    return verify(task, reply).score


# -- the solver ---------------------------------------------------------------------------------

OPERATOR_SETS = ["+-*/", "+-*", "+-/", "+*/", "-*/", "+-", "+*", "-*", "-/", "*/", "-", "+", "/"]


@pytest.mark.parametrize("ops", OPERATOR_SETS)
def test_exact_solver_agrees_with_brute_force(ops):
    import random

    rng = random.Random(f"solver-{ops}")
    signed = "-" in ops and "+" not in ops  # the only mode that answers for negative targets
    for trial in range(25):
        numbers = [rng.randint(1, 9) for _ in range(rng.choice([1, 2, 3, 4]))]
        # Small materialisation limits push the same questions through the recursive search.
        solver = ExactSolver(numbers, ops, materialise_up_to=1 + trial % 4)
        for target in range(-12 if signed else 0, 40):
            expected = brute_force_solvable(numbers, ops, target)
            assert solver.solvable(target) == expected, (numbers, ops, target)
            expr = solver.solve(target)
            assert (expr is not None) == expected
        for frac in ((1, 3), (7, 2), (-5, 4)):
            if frac[0] >= 0 or signed:
                assert solver.solvable(frac) == brute_force_solvable(numbers, ops, Fraction(*frac)), (numbers, ops, frac)


def test_exact_solver_five_and_six_numbers_agree_with_brute_force():
    import random

    rng = random.Random(99)
    for count, ops, limit in ((5, "+-*/", None), (5, "-*/", 2), (5, "+*", 4), (6, "+-*/", None), (6, "-*/", 3)):
        numbers = [rng.randint(1, 10) for _ in range(count)]
        solver = ExactSolver(numbers, ops, materialise_up_to=limit)
        targets = [rng.randint(100, 999) for _ in range(3 if count == 6 else 8)] + [0, 1, 24]
        for target in targets:
            assert solver.solvable(target) == brute_force_solvable(numbers, ops, target), (numbers, ops, target)


def test_bracketed_only_solutions_are_found():
    # Left-to-right evaluation misses all of these; the original then rewarded "None".
    for numbers, target in (([3, 3, 8, 8], 24), ([1, 5, 5, 5], 24), ([3, 3, 7, 7], 24), ([1, 3, 4, 6], 24)):
        solver = ExactSolver(numbers, ALL)
        assert solver.solvable(target), numbers
        expr = solver.solve(target)
        text = g24.render(expr)
        assert fraction_eval(text) == target
        task = make_task(numbers, target)
        assert task.metadata["solvable"]
        assert score(task, block("None")) == 0.0
        assert score(task, block(text)) == 1.0


def test_solver_rejects_bad_input():
    with pytest.raises(ValueError):
        ExactSolver([1, 2], "+^")
    with pytest.raises(ValueError):
        ExactSolver([0, 2], "+")
    with pytest.raises(ValueError):
        ExactSolver([1, 2], "+-").solvable(-1)  # non-negative bookkeeping: say so, never guess


# -- generated tasks against the brute force ------------------------------------------------------

def _sample(level: int, want_solvable: int, want_unsolvable: int, max_seed: int = 2000):
    solvable, unsolvable = [], []
    for seed in range(max_seed):
        task = generate("game_of_24", seed, level)
        bucket = solvable if task.metadata["solvable"] else unsolvable
        if len(bucket) < (want_solvable if bucket is solvable else want_unsolvable):
            bucket.append(task)
        if len(solvable) >= want_solvable and len(unsolvable) >= want_unsolvable:
            break
    assert len(solvable) == want_solvable and len(unsolvable) == want_unsolvable
    return solvable + unsolvable


@pytest.mark.slow
@pytest.mark.parametrize("level,n_solvable,n_unsolvable", [(1, 25, 12), (2, 25, 12), (3, 15, 8), (4, 12, 8), (5, 8, 8)])
def test_generated_verdicts_match_the_brute_force(level, n_solvable, n_unsolvable):
    for task in _sample(level, n_solvable, n_unsolvable):
        meta = task.metadata
        assert brute_force_solvable(meta["numbers"], "".join(meta["operators"]), meta["target"]) == meta["solvable"], task.seed
        if meta["solvable"]:
            assert fraction_eval(meta["solution"]) == meta["target"]
            assert task.answer == block(meta["solution"])
        else:
            assert task.answer == block("None") and meta["solution"] is None


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_levels_follow_the_documented_table(level):
    spec = g24.LEVELS[level]
    tasks = [generate("game_of_24", seed, level) for seed in range(120 if level < 5 else 60)]
    allowed_sets = {ops for ops, _ in spec.operator_sets}
    for task in tasks:
        meta = task.metadata
        assert len(meta["numbers"]) == spec.count
        assert all(spec.low <= n <= spec.high for n in meta["numbers"])
        assert spec.target_low <= meta["target"] <= spec.target_high
        assert "".join(meta["operators"]) in allowed_sets
        for op in meta["operators"]:
            assert g24._OP_NAMES["en"][op] in task.prompt
        assert str(meta["target"]) in task.prompt and ", ".join(map(str, meta["numbers"])) in task.prompt


@pytest.mark.slow
def test_unsolvable_share_is_near_the_documented_one():
    for level, spec in g24.LEVELS.items():
        tasks = [generate("game_of_24", seed, level) for seed in range(400)]
        share = sum(not t.metadata["solvable"] for t in tasks) / len(tasks)
        assert abs(share - spec.unsolvable_percent / 100) < 0.06, (level, share)


def test_six_number_generation_has_no_blow_up():
    # Not a speed goal (see `veritas bench`): the original needed ~48 s for one 6-number puzzle.
    start = time.process_time()
    for seed in range(40):
        generate("game_of_24", seed, 5)
    assert time.process_time() - start < 20


# -- the verifier: loopholes that peers and the original let through ------------------------------

def test_peer_loopholes_score_zero():
    # puzzle24: numbers never checked.
    task = make_task([8, 5, 10, 6])
    assert score(task, block("8*3*1*1")) == 0.0
    # puzzle24: int() truncation of 24.5.
    task = make_task([7, 7, 2, 1])
    assert score(task, block("7*7/2*1")) == 0.0
    # puzzle24: the power operator.
    task = make_task([4, 2, 8, 1])
    assert score(task, block("4**2+8*1")) == 0.0
    assert score(task, block("4 ** 2 + 8 * 1")) == 0.0
    # SynLogic: any parseable expression passed (the result was compared with itself).
    task = make_task([8, 3, 1, 1])
    assert score(task, block("8+3+1+1")) == 0.0
    assert score(task, block("8*3*1*1")) == 1.0


def test_forbidden_syntax_scores_zero_even_when_the_value_is_right():
    task = make_task([8, 3, 1, 1])
    for reply in (
        "8*3*1//1",  # floor division
        "8*3+1%1",  # remainder
        "8*3*1^1",
        "08*3*1*1",  # leading zero
        "8.0*3*1*1",  # a decimal that is not in the input
        "8*3*1*1.",
        "8*3*1e0*1",
        "8*3*(1)(1)",  # implicit multiplication
        "8*3(1*1)",
        "-(-(8*3*1*1))",  # unary minus
        "+8*3*1*1",  # unary plus
        "8*3*1*1 = 24",
        "8*3*1*1;",
        "[8*3*1*1]",
        "{8*3*1*1}",
        "abs(8*3*1*1)",
        "8_0",
        "x = 8*3*1*1",
    ):
        v = verify(task, block(reply))
        assert v.score == 0.0, (reply, v)
    task = make_task([1, 1, 3, 27], 24, "+-*")
    assert score(task, block("-3 + 27 * 1 * 1")) == 0.0
    assert score(task, block("27 - 3 * 1 * 1")) == 1.0
    task = make_task([1, 2, 2, 1])
    assert score(task, block("12 * 2 * 1")) == 0.0  # digits of 1 and 2 glued into 12


def test_numbers_must_be_the_given_multiset():
    task = make_task([3, 3, 8, 8])
    assert score(task, block("8 / (3 - 8 / 3)")) == 1.0
    assert score(task, block("8 / (3 - 8 / 3) * 1")) == 0.0  # an extra number
    assert score(task, block("8 / (3 - 8 / 8)")) == 0.0  # 8 used three times, 3 once
    assert score(task, block("8 * 3")) == 0.0  # numbers unused


def test_only_the_allowed_operators():
    task = make_task([3, 3, 8, 8], 24, "+-*")
    v = verify(task, block("8 / (3 - 8 / 3)"))
    assert v.score == 0.0 and "not allowed" in v.reason
    task = make_task([2, 3, 4, 1], 24, "*")
    assert score(task, block("2 * 3 * 4 * 1")) == 1.0
    assert score(task, block("2 * 3 * 4 / 1")) == 0.0


def test_division_by_zero_scores_zero():
    task = make_task([8, 3, 3, 1])
    v = verify(task, block("8 / (3 - 3) + 1"))
    assert v.score == 0.0 and "division by zero" in v.reason


def test_symbols_and_whitespace():
    task = make_task([3, 3, 8, 8])
    for reply in ("8 ÷ (3 − 8 ÷ 3)", "8/(3-8/3)", "  8 /\n(3 -\t8 / 3)  ", "((8 / (3 - (8 / 3))))"):
        assert score(task, block(reply)) == 1.0, reply
    assert score(task, "```Python\n8/(3-8/3)\n```") == 1.0
    assert score(task, "```py\n8/(3-8/3)\n```") == 1.0
    # no language tag: read when the reply has no ```python block (issue 12), never over one
    assert score(task, "```\n8/(3-8/3)\n```") == 1.0
    assert score(task, block("None") + "\n```\n8/(3-8/3)\n```") == 0.0
    assert score(task, "```text\n8/(3-8/3)\n```") == 0.0  # another language: not an answer
    # a trailing comment is decoration unless it states another expression or number
    assert score(task, block("8 / (3 - 8 / 3)  # = 24")) == 1.0
    assert score(task, block("8 / (3 - 8 / 3)  # equals 24, done")) == 1.0
    assert score(task, block("8 / (3 - 8 / 3)  # or 3 * 8")) == 0.0
    assert score(task, block("8 / (3 - 8 / 3)  # = 25")) == 0.0
    assert score(task, "8/(3-8/3)") == 0.0  # no block at all
    task = make_task([2, 3, 4, 1])
    assert score(task, block("2 × 3 × 4 × 1")) == 1.0


def test_the_last_python_block_counts_and_hedging_does_not_help():
    task = make_task([3, 3, 8, 8])
    right, wrong = block("8 / (3 - 8 / 3)"), block("None")
    assert score(task, wrong + "\n" + right) == 1.0
    assert score(task, right + "\n" + wrong) == 0.0
    assert score(task, right + "\n```text\nNone\n```") == 1.0  # other languages are not answers
    assert score(task, "Let me think.\n" + block("8 * 3 + 3 - 8") + "\nFinal:\n" + right) == 1.0
    assert score(task, (block("1") + "\n") * 70 + right) == 0.0  # too many blocks to tell the last


def test_none_rules():
    unsolvable = make_task([1, 1, 1, 1])
    assert not unsolvable.metadata["solvable"]
    assert score(unsolvable, block("None")) == 1.0
    assert score(unsolvable, "No expression works.\n" + block(" None ")) == 1.0
    assert score(unsolvable, block("None  # impossible")) == 1.0
    for reply in (block("none"), block("NONE"), block("None."), block("None # (1 + 1) * (1 + 1)"), "None",
                  block("(1 + 1) * (1 + 1)"), block("1 + 1 + 1 + 1")):
        assert score(unsolvable, reply) == 0.0, reply
    solvable = make_task([1, 2, 3, 4])
    assert solvable.metadata["solvable"]
    assert score(solvable, block("None")) == 0.0
    assert score(solvable, block("1 * 2 * 3 * 4")) == 1.0


def test_alternative_correct_expressions_score_one():
    checked = 0
    for seed in range(40):
        task = generate("game_of_24", seed, 1)
        meta = task.metadata
        if not meta["solvable"]:
            continue
        solutions = brute_force_solutions(meta["numbers"], "".join(meta["operators"]), meta["target"])
        assert solutions
        for text in solutions:
            assert score(task, block(text)) == 1.0, (meta, text)
            checked += 1
    assert checked >= 100


def test_huge_or_hostile_expressions_are_cheap():
    task = make_task([9, 9, 9, 9])
    for reply in ("9**9**9**9", "9" * 5000, "(" * 10_000 + "9" + ")" * 10_000, "9*" * 20_000 + "9",
                  "((((((((((((((((((((((((((((((((((((9))))))))))))))))))))))))))))))))))) + 9 + 9 + 9"):
        start = time.perf_counter()
        v = verify(task, block(reply))
        assert v.score == 0.0 and not v.reason.startswith("verifier error"), (reply[:40], v)
        assert time.perf_counter() - start < 0.5


def test_parser_trees_and_errors():
    assert parse_expression("8 / (3 - 8/3)") == ("/", 8, ("-", 3, ("/", 8, 3)))
    assert parse_expression("1 - 2 - 3") == ("-", ("-", 1, 2), 3)
    assert parse_expression("2 * 3 + 4") == ("+", ("*", 2, 3), 4)
    for bad, why in (("2 ** 3", "**"), ("6 // 3", "//"), ("-1", "unary"), ("2(3)", "implicit"),
                     ("(2", "never closed"), ("2)", "unexpected"), ("", "empty"), ("07", "leading zero"),
                     ("1.5", "decimal"), ("2 % 3", "not allowed"), ("(" * 40 + "1" + ")" * 40, "nested")):
        with pytest.raises(ExprError, match=re.escape(why)):
            parse_expression(bad)


# -- worked solutions and near misses -------------------------------------------------------------

_STEP = re.compile(r"^\d+\. \(?(-?\d+(?:/\d+)?)\)? ([-+*/]) \(?(-?\d+(?:/\d+)?)\)? = (-?\d+(?:/\d+)?)")


def test_worked_solution_steps_are_true_arithmetic():
    for seed in range(60):
        for language in ("en", "zh"):
            task = generate("game_of_24", seed, None, language)
            text = worked_solution(task)
            assert text.rstrip().endswith(task.answer)
            if task.metadata["solvable"]:
                steps = [_STEP.match(line) for line in text.splitlines() if _STEP.match(line)]
                assert len(steps) == len(task.metadata["numbers"]) - 1, text
                for m in steps:
                    a, op, b, c = Fraction(m[1]), m[2], Fraction(m[3]), Fraction(m[4])
                    assert {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op] == c, m[0]
                assert Fraction(steps[-1][4]) == task.metadata["target"]
            else:
                assert "None" in text and str(task.metadata["target"]) in text


def test_wrong_answers_cover_the_named_near_misses():
    task = next(generate("game_of_24", s, 2) for s in range(100) if generate("game_of_24", s, 2).metadata["solvable"])
    wrong = wrong_answers(task)
    assert block("None") in wrong
    assert any("**" in w for w in wrong)
    assert any(w.startswith(task.answer) and w.rstrip().endswith(block("None")) for w in wrong)
    for w in wrong:
        assert score(task, w) == 0.0, w
    unsolvable = next(generate("game_of_24", s, 2) for s in range(100) if not generate("game_of_24", s, 2).metadata["solvable"])
    for w in wrong_answers(unsolvable):
        assert score(unsolvable, w) == 0.0, w


# -- hypothesis: any expression over the given numbers scores exactly when it hits the target -----

def _random_expression(draw, numbers: list[int], ops: str) -> tuple[str, Fraction | None, set]:
    """(text, exact value or None on a division by zero, operators used), drawn by hypothesis."""
    order = draw(st.permutations(numbers))
    spell = {"+": ["+"], "-": ["-", "\u2212"], "*": ["*", "\u00d7"], "/": ["/", "\u00f7"]}
    used: set = set()

    def build(items):
        if len(items) == 1:
            return str(items[0]), Fraction(items[0])
        cut = draw(st.integers(1, len(items) - 1))
        (lt, lv), (rt, rv) = build(items[:cut]), build(items[cut:])
        op = draw(st.sampled_from(ops))
        used.add(op)
        if lv is None or rv is None or (op == "/" and rv == 0):
            value = None
        elif op == "+":
            value = lv + rv
        elif op == "-":
            value = lv - rv
        elif op == "*":
            value = lv * rv
        else:
            value = lv / rv
        gap = draw(st.sampled_from(["", " ", "  "]))
        return f"({lt}{gap}{draw(st.sampled_from(spell[op]))}{gap}{rt})", value

    text, value = build(list(order))
    return text, value, used


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_generated_expressions_score_exactly_when_they_hit_the_target(data):
    seed = data.draw(st.integers(0, 300))
    task = generate("game_of_24", seed, data.draw(st.sampled_from([1, 2, 3, 4])))
    meta = task.metadata
    allowed = "".join(meta["operators"])
    text, value, used = _random_expression(data.draw, meta["numbers"], data.draw(st.sampled_from([allowed, ALL])))
    expected = 1.0 if value is not None and value == meta["target"] and used <= set(allowed) else 0.0
    assert score(task, block(text)) == expected, (meta, text, value)
    if value is not None and value == meta["target"]:
        # Whatever the operators, an expression over allowed ones that hits the target means solvable.
        assert meta["solvable"] or not used <= set(allowed)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_operand_swaps_of_the_reference_score_exactly_when_the_value_is_kept(data):
    """Swapping the operands of any nodes: free for + and *, value-changing (usually) for - and /."""
    seed = data.draw(st.integers(0, 400))
    task = generate("game_of_24", seed, data.draw(st.sampled_from([1, 2, 3, 4, 5])))
    meta = task.metadata
    if not meta["solvable"]:
        return

    def mutate(node):
        if isinstance(node, int):
            return node
        op, left, right = node
        left, right = mutate(left), mutate(right)
        if data.draw(st.booleans()):
            left, right = right, left
        return (op, left, right)

    tree = mutate(parse_expression(meta["solution"]))
    text = g24.render(tree)
    try:
        value = fraction_eval(text)
    except ZeroDivisionError:
        value = None
    assert score(task, block(text)) == (1.0 if value == meta["target"] else 0.0), (meta["solution"], text)


def test_tasks_do_not_depend_on_the_solver_speed_knob(monkeypatch):
    from veritas.envs.tasks import _arith_search

    reference = [generate("game_of_24", seed, level) for level in (1, 3, 5) for seed in range(6)]
    for limit in (2, 5):
        monkeypatch.setattr(_arith_search, "default_materialise_up_to", lambda count, limit=limit: limit)
        assert [generate("game_of_24", seed, level) for level in (1, 3, 5) for seed in range(6)] == reference
