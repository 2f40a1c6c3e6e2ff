"""game_of_24: reach a target with 4-6 given numbers, each used exactly once, and a stated subset of
+ - * / with any bracketing; or answer None when no expression can.

Generation (docs/envs/game_of_24.md has the difficulty table): the level fixes how many numbers,
their range, the target (24 on levels 1-2, drawn from a range on 3-5), the operator sets and the
share of unsolvable tasks. Each task first picks its operators and its class (solvable or not),
then draws numbers and targets uniformly until the exact solver's verdict matches the class
(_draw_task). The verdict comes from veritas.envs.tasks._arith_search: every order, every
bracketing, exact rationals; the original checked left-to-right only and so rewarded "None" for
puzzles with a bracketed solution. The reference expression of a solvable task is the solver's.

Scoring (check): the last ```python block of the reply is the answer. Its content, stripped, must be
exactly `None` or one expression that _exact_expr parses (never eval: no `**`, `//`, `%`, unary
signs, decimals, implicit products); its numbers must be the given multiset exactly; it must use
only the allowed operators, never divide by zero, and equal the target exactly. `None` scores 1
only when the task is unsolvable; for a solvable task any such expression scores 1, not only the
reference.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from veritas.envs.answers import fenced_blocks
from veritas.envs.base import Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import register
from veritas.envs.rng import derive_rng
from veritas.envs.tasks._arith_search import (
    OPERATORS,
    ExactSolver,
    Expr,
    apply_op,
    evaluate,
    format_value,
    leaves,
    render,
)
from veritas.envs.tasks._exact_expr import ExprError, parse_expression

ALL_OPERATORS = "".join(OPERATORS)
# A reply with this many fenced blocks may hide its real last block beyond what fenced_blocks
# scans; no genuine answer needs that many, so it scores 0.
MAX_BLOCKS = 64
# The answer block: 6 numbers of <= 3 digits, 5 operators and brackets fit in far less.
MAX_EXPRESSION_CHARS = 300
ANSWER_LANGUAGES = ("python", "py", "python3")


@dataclass(frozen=True)
class Level:
    count: int  # how many numbers
    low: int  # numbers are drawn uniformly from [low, high]
    high: int
    target_low: int  # targets lie in [target_low, target_high]; 24 for both means "always 24"
    target_high: int
    operator_sets: tuple[tuple[str, int], ...]  # (operators, weight)
    unsolvable_percent: int  # share of tasks whose answer is None


# Large targets need *, so from level 3 on every operator set has it (+-/ could never reach 500).
_WITH_TIMES = (("+-*", 3), ("+*/", 3), ("-*/", 3))
LEVELS: dict[int, Level] = {
    1: Level(4, 1, 9, 24, 24, (("+-*/", 1),), 10),
    2: Level(4, 1, 13, 24, 24, (("+-*/", 6), ("+-*", 1), ("+-/", 1), ("+*/", 1), ("-*/", 1)), 15),
    3: Level(5, 1, 13, 10, 150, (("+-*/", 11),) + _WITH_TIMES, 15),
    4: Level(5, 1, 25, 50, 500, (("+-*/", 10),) + _WITH_TIMES + (("+*", 1),), 20),
    5: Level(6, 1, 10, 100, 999, (("+-*/", 10),) + _WITH_TIMES + (("+*", 1),), 20),
}
# Levels 3-5: uniform candidate targets tried per number draw before the numbers are redrawn.
CANDIDATES_PER_DRAW = 12
# Bounds that a correct generator never reaches; hitting one is a bug, reported loudly.
MAX_DRAWS = 20_000


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in options)
    pick = rng.randrange(total)
    for value, weight in options:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")


def _draw_numbers(rng: random.Random, level: Level) -> list[int]:
    return sorted(rng.randint(level.low, level.high) for _ in range(level.count))


def random_tree(rng: random.Random, numbers: list[int], ops: str) -> Expr:
    """A uniformly split random binary tree over the numbers in a random order."""
    items = list(numbers)
    rng.shuffle(items)

    def build(lo: int, hi: int) -> Expr:
        if hi - lo == 1:
            return items[lo]
        cut = rng.randint(lo + 1, hi - 1)
        op = ops[rng.randrange(len(ops))]
        return (op, build(lo, cut), build(cut, hi))

    return build(0, len(items))


def _draw_task(rng: random.Random, level: Level, ops: str, solvable: bool) -> tuple[list[int], int, Expr | None]:
    """Numbers and a target whose exact verdict is `solvable`, and a solution when there is one.

    Numbers are drawn uniformly, then up to CANDIDATES_PER_DRAW targets uniformly from the
    level's range (just 24 on fixed-target levels); the first whose verdict matches wins, else
    the numbers are redrawn. Both classes come from the same draws, so neither is marked by its
    numbers or target much beyond what the arithmetic implies (large targets are unsolvable more
    often). Trying several targets per draw saves rebuilding the solver's value sets; it slightly
    favours number sets with few unsolvable targets among the unsolvable tasks."""
    fixed = level.target_low == level.target_high
    tries = 1 if fixed else CANDIDATES_PER_DRAW
    for _ in range(MAX_DRAWS):
        numbers = _draw_numbers(rng, level)
        solver = ExactSolver(numbers, ops)
        for _ in range(tries):
            target = level.target_low if fixed else rng.randint(level.target_low, level.target_high)
            if solver.solvable(target) == solvable:
                return numbers, target, solver.solve(target) if solvable else None
    raise RuntimeError(f"game_of_24: no {'solvable' if solvable else 'unsolvable'} task in {MAX_DRAWS} draws for {level}, {ops}")


# -- wording -----------------------------------------------------------------------------------

_OP_NAMES = {
    "en": {"+": "+ (addition)", "-": "- (subtraction)", "*": "* (multiplication)", "/": "/ (division)"},
    "zh": {"+": "+（加）", "-": "-（减）", "*": "*（乘）", "/": "/（除）"},
}

_TEMPLATES = {
    "en": (
        "Use the numbers {numbers} to make {target}.\n\n"
        "Rules:\n"
        "- Use every number exactly once, in any order.\n"
        "- Allowed operators: {operators}. Brackets ( ) may be used freely.\n"
        "- Arithmetic is exact: fractions are fine in intermediate steps{symbols}.\n"
        "- Nothing else: no other operators (such as ** or //), no joining digits into a longer number, "
        "no unary minus or plus, no numbers that are not given.\n\n"
        "If no such expression exists, the answer is None.\n"
        "Give your final answer alone in a ```python code block: one expression, or None. "
        "Only the last ```python block of your reply is graded.",

        "Game of {target}. Your numbers: {numbers}.\n"
        "Combine all of them, each exactly once, with the operators {operators} and any brackets, "
        "so that the result is exactly {target}. Intermediate results may be fractions{symbols}. "
        "Powers, floor division, remainders, unary signs, decimals and gluing digits together are "
        "not allowed.\n\n"
        "Some of these puzzles have no solution; then answer None.\n"
        "Put the answer (the expression, or None) by itself in a final ```python block, e.g.\n"
        "```python\n<expression or None>\n```",

        "Numbers: {numbers}\n"
        "Target: {target}\n"
        "Operators you may use: {operators}\n\n"
        "Find an arithmetic expression that uses each number exactly once and evaluates exactly to "
        "the target. Brackets are allowed; division is exact{symbols}. No other operators, no unary "
        "minus, no concatenated digits. If it is impossible, say None.\n\n"
        "Format: end your reply with a ```python code block containing only the expression (or None). "
        "If you write several such blocks, the last one counts.",
    ),
    "zh": (
        "用数字 {numbers} 算出 {target}。\n\n"
        "规则：\n"
        "- 每个数字恰好使用一次，顺序任意。\n"
        "- 允许的运算符：{operators}。可以任意使用括号 ( )。\n"
        "- 精确计算：中间结果可以是分数{symbols}。\n"
        "- 不允许其他任何东西：不能用其他运算符（如 ** 或 //），不能把数字拼接成更长的数，"
        "不能用一元负号或正号，不能使用未给出的数。\n\n"
        "如果不存在这样的表达式，答案为 None。\n"
        "把最终答案单独放在一个 ```python 代码块中：一个表达式，或 None。只评判回复中最后一个 ```python 代码块。",

        "{target} 点游戏。你的数字：{numbers}。\n"
        "用运算符 {operators} 和任意括号把所有数字组合起来，每个数字恰好用一次，使结果恰好等于 {target}。"
        "中间结果可以是分数{symbols}。不允许乘方、整除、取余、一元正负号、小数或把数字拼在一起。\n\n"
        "有些题目无解；无解时回答 None。\n"
        "把答案（表达式或 None）单独放在最后一个 ```python 代码块中，例如：\n"
        "```python\n<表达式或 None>\n```",

        "数字：{numbers}\n"
        "目标：{target}\n"
        "可用运算符：{operators}\n\n"
        "请找出一个算术表达式，每个数字恰好使用一次，结果精确等于目标。可以使用括号；除法是精确除法{symbols}。"
        "不能使用其他运算符、一元负号或拼接数字。如果做不到，回答 None。\n\n"
        "格式：回复以一个 ```python 代码块结尾，块内只写表达式（或 None）。如果写了多个这样的代码块，以最后一个为准。",
    ),
}

_SYMBOL_NOTE = {
    "en": {"*": "; × may be written for *", "/": "; ÷ may be written for /", "*/": "; × and ÷ may be written for * and /"},
    "zh": {"*": "；* 也可以写作 ×", "/": "；/ 也可以写作 ÷", "*/": "；* 和 / 也可以写作 × 和 ÷"},
}


def _prompt(language: str, wording: random.Random, numbers: list[int], target: int, ops: str) -> str:
    template = _TEMPLATES[language][wording.randrange(len(_TEMPLATES[language]))]
    sep = "，" if language == "zh" else ", "
    operators = sep.join(_OP_NAMES[language][op] for op in ops)
    symbol_key = "".join(op for op in "*/" if op in ops)
    return template.format(
        numbers=", ".join(map(str, numbers)),
        target=target,
        operators=operators,
        symbols=_SYMBOL_NOTE[language].get(symbol_key, ""),
    )


def _block(body: str) -> str:
    return f"```python\n{body}\n```"


# -- the family --------------------------------------------------------------------------------


@register
class GameOf24(TaskFamily):
    name = "game_of_24"
    env = "lgc-v2"
    id_offset = 100_000_000
    num_seeds = 100_000_000
    languages = ("en", "zh")
    description = "Reach a target from 4-6 numbers with + - * / and brackets, or prove it impossible (None)."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        level = LEVELS[difficulty]
        ops = _weighted(rng, level.operator_sets)
        solvable = rng.randrange(100) >= level.unsolvable_percent
        numbers, target, tree = _draw_task(rng, level, ops, solvable)
        solution = render(tree) if tree is not None else None
        metadata = {
            "numbers": numbers,
            "target": target,
            "operators": list(ops),
            "solvable": solvable,
            "solution": solution,
        }
        prompt = _prompt(language, wording, numbers, target, ops)
        return Built(prompt=prompt, answer=_block(solution if solution is not None else "None"), metadata=metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        # The puzzle is the multiset of numbers, the target and the operators; the reference
        # solution is one of many and must not tell two copies of a puzzle apart.
        meta = built.metadata
        return canonical_json(["game_of_24", sorted(meta["numbers"]), meta["target"], sorted(meta["operators"])])

    # -- scoring -----------------------------------------------------------------------------

    def check(self, task: Task, text: str) -> Verdict:
        blocks = fenced_blocks(text, max_blocks=MAX_BLOCKS)
        if len(blocks) >= MAX_BLOCKS:
            return Verdict(0.0, f"{MAX_BLOCKS} or more code blocks: the last one cannot be told", False)
        answer = None
        for info, body in reversed(blocks):
            if info.lower() in ANSWER_LANGUAGES:
                answer = body.strip()
                break
        if answer is None:
            return Verdict(0.0, "no ```python block", False)
        meta = task.metadata
        if answer == "None":
            if meta["solvable"]:
                return Verdict(0.0, "answered None, but an expression exists")
            return Verdict(1.0, "correct: no expression reaches the target")
        try:
            tree = parse_expression(answer, max_chars=MAX_EXPRESSION_CHARS, max_numbers=len(meta["numbers"]) + 1)
        except ExprError as exc:
            return Verdict(0.0, f"not an allowed expression: {exc}", False)
        used = sorted(leaves(tree))
        if used != sorted(meta["numbers"]):
            return Verdict(0.0, f"numbers used {used} are not exactly the given {sorted(meta['numbers'])}")
        allowed = set(meta["operators"])
        bad = sorted(_operators(tree) - allowed)
        if bad:
            return Verdict(0.0, f"operator(s) {' '.join(bad)} not allowed here")
        value = evaluate(tree)
        if value is None:
            return Verdict(0.0, "division by zero")
        if value != (int(meta["target"]), 1):
            return Verdict(0.0, f"expression equals {format_value(value)}, not {meta['target']}")
        return Verdict(1.0, "correct")

    # -- solutions and near misses ------------------------------------------------------------

    def worked_solution(self, task: Task) -> str:
        meta = task.metadata
        zh = task.language == "zh"
        numbers, target, ops = meta["numbers"], meta["target"], "".join(meta["operators"])
        lines = [
            (f"数字：{', '.join(map(str, numbers))}；目标：{target}；可用运算符：{' '.join(ops)}。"
             if zh else
             f"Numbers: {', '.join(map(str, numbers))}. Target: {target}. Allowed operators: {' '.join(ops)}."),
        ]
        if meta["solvable"]:
            tree = parse_expression(meta["solution"])
            lines.append("每次取两个值用一个运算符合并，直到只剩一个值：" if zh else
                         "Combine two values at a time with one operator until a single value is left:")
            pool = [(n, 1) for n in numbers]
            for i, (op, a, b, result) in enumerate(_steps(tree), 1):
                pool.remove(a)
                pool.remove(b)
                pool.append(result)
                left = ", ".join(format_value(v) for v in sorted(pool, key=lambda v: Fraction(*v)))
                lines.append(f"{i}. {_operand(a)} {op} {_operand(b)} = {format_value(result)}   "
                             + (f"（剩下：{left}）" if zh else f"(left: {left})"))
            lines.append(
                f"每个数字恰好用了一次，结果是 {target}。表达式：{meta['solution']}" if zh else
                f"Every number is used exactly once and the result is {target}. The expression: {meta['solution']}"
            )
            lines += ["", task.answer]
            return "\n".join(lines)
        lines += _impossibility_account(numbers, target, ops, zh)
        lines += ["", task.answer]
        return "\n".join(lines)

    def wrong_answers(self, task: Task) -> list[str]:
        meta = task.metadata
        numbers, target, ops = list(meta["numbers"]), int(meta["target"]), "".join(meta["operators"])
        rng = derive_rng("game_of_24.wrong", task.task_id, task.difficulty)
        wrong: list[str] = []
        other = _valid_expression_with_other_value(rng, numbers, target, ops)
        if other is not None:
            wrong.append(_block(render(other)))  # first: the bench times this one (a full parse)
        if meta["solvable"]:
            tree = parse_expression(meta["solution"])
            wrong.append(_block("None"))
            swapped = _swap_two_numbers(tree, target)
            if swapped is not None:
                wrong.append(_block(render(swapped)))
            wrong.append(_block(render(_replace_leaf(tree, 0, _absent_number(numbers, leaves(tree)[0])))))
            wrong.append(_block(render(_drop_one_leaf(tree))))
            dup = _duplicate_a_number(tree)
            if dup is not None:
                wrong.append(_block(render(dup)))
            wrong.append(_block(_power_variant(meta["solution"])))
            wrong.append(_block(f"-(-({meta['solution']}))"))
            wrong.append(_block(f"{meta['solution']} = {target}"))
            wrong.append(meta["solution"])  # right expression, no ```python block
            wrong.append(task.answer + "\n" + _block("None"))  # hedging: the last block is what counts
            first = str(leaves(tree)[0])
            wrong.append(_block(meta["solution"].replace(first, first + ".0", 1)))
            disallowed = _with_a_disallowed_operator(numbers, target, ops)
            if disallowed is not None:
                wrong.append(_block(render(disallowed)))
        else:
            wrong.append(_block(str(target)))
            wrong.append("None")  # right answer, no ```python block
            for expr in _reaches_target_with_one_number_unused(numbers, target, ops):
                wrong.append(_block(render(expr)))
            if other is not None:
                wrong.append(_block(_power_variant(render(other))))
            wrong.append(_block("None") + "\n" + _block(render(other if other is not None else numbers[0])))
        return wrong


# -- helpers for check / worked_solution / wrong_answers ---------------------------------------


def _operators(tree: Expr) -> set[str]:
    if isinstance(tree, int):
        return set()
    return {tree[0]} | _operators(tree[1]) | _operators(tree[2])


def _steps(tree: Expr) -> list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """Post-order combination steps (op, left value, right value, result) of a tree that divides by no zero."""
    out: list = []

    def walk(node: Expr) -> tuple[int, int]:
        if isinstance(node, int):
            return (node, 1)
        op, left, right = node
        a, b = walk(left), walk(right)
        result = apply_op(op, a, b)
        assert result is not None
        out.append((op, a, b, result))
        return result

    walk(tree)
    return out


def _operand(v: tuple[int, int]) -> str:
    text = format_value(v)
    return f"({text})" if v[1] != 1 or v[0] < 0 else text


def _impossibility_account(numbers: list[int], target: int, ops: str, zh: bool) -> list[str]:
    """Why no expression exists, as the exhaustive search sees it: the last operation combines two
    groups of the numbers. Every single number set aside is shown with the values the others would
    need (all unreachable); for four numbers the two-and-two splits are listed with what each pair
    can make; larger splits are covered by the same check, stated in one line. Every claim is
    re-checked here, so the text cannot drift from the solver."""
    solver = ExactSolver(numbers, ops)
    full = (1 << len(numbers)) - 1
    t = (target, 1)
    lines = [
        "任何表达式的最后一步都是把数字分成两组、各自算出一个值、再用一个运算符合并。逐一检查："
        if zh else
        "The last operation of any expression combines two groups of the numbers, each reduced to one value. "
        "Check every possibility:"
    ]
    if "+" in ops and "-" in ops:
        lines.append("（加减都可用时，负的中间值从不需要：任何结果都能只用非负中间值得到。）" if zh else
                     "(With both + and - allowed, negative intermediate values are never needed: any result "
                     "can be reached with non-negative ones.)")
    seen: set[int] = set()
    for i, a in enumerate(numbers):
        if a in seen:
            continue
        seen.add(a)
        rest = [n for j, n in enumerate(numbers) if j != i]
        needs = [(f"{a} {op} x" if a_on_left else f"x {op} {a}", b)
                 for op, b, a_on_left in solver.needed_operands((a, 1), t)]
        assert not any(solver.reachable(full ^ (1 << i), b) for _, b in needs), "an unsolvable task has a solution"
        if zh:
            wanted = "；".join(f"{target} = {shown} 需要 x = {format_value(b)}" for shown, b in needs)
            lines.append(f"- 最后一步用 {a}：{wanted}；但 {', '.join(map(str, rest))} 算不出其中任何一个值。")
        else:
            wanted = "; ".join(f"{target} = {shown} needs x = {format_value(b)}" for shown, b in needs)
            lines.append(f"- Last step with {a}: {wanted}; but {', '.join(map(str, rest))} cannot make any of these.")
    bigger = [(m, full ^ m) for m in range(1, full) if m & 1 and 2 <= m.bit_count() <= len(numbers) - 2]
    bigger = [(a, b) if a.bit_count() <= b.bit_count() else (b, a) for a, b in bigger]
    assert not any(solver.split_makes(a, b, t) for a, b in bigger), "an unsolvable task has a solution"
    if len(numbers) == 4:
        shown_pairs: set[tuple] = set()
        for a_mask, b_mask in bigger:
            left = [n for j, n in enumerate(numbers) if a_mask >> j & 1]
            right = [n for j, n in enumerate(numbers) if b_mask >> j & 1]
            key = tuple(sorted([tuple(left), tuple(right)]))
            if key in shown_pairs:
                continue
            shown_pairs.add(key)
            lv = ", ".join(format_value(v) for v in sorted(solver.values(a_mask), key=lambda v: Fraction(*v)))
            rv = ", ".join(format_value(v) for v in sorted(solver.values(b_mask), key=lambda v: Fraction(*v)))
            lines.append(
                f"- {left[0]} 和 {left[1]} 能算出 {lv}；{right[0]} 和 {right[1]} 能算出 {rv}；两边任意组合都得不到 {target}。"
                if zh else
                f"- {left[0]} and {left[1]} make {lv}; {right[0]} and {right[1]} make {rv}; "
                f"no value of one side combines with one of the other to give {target}."
            )
    elif bigger:
        lines.append(
            f"- 两组都至少有两个数的分法共 {len(bigger)} 种：对每种分法，取一组能算出的每个值，算出另一组需要的值，"
            "都不在另一组能算出的值里。"
            if zh else
            f"- The {len(bigger)} splits with at least two numbers on each side: for each, every value one side "
            "can make was paired with the value the other side would need - never one it can make."
        )
    lines.append(
        f"所有顺序、括号和运算符都检查过了，没有表达式等于 {target}，所以答案是 None。" if zh else
        f"Every order, bracketing and operator has been covered and none gives {target}, so the answer is None."
    )
    return lines


def _absent_number(numbers: list[int], near: int) -> int:
    for delta in (1, -1, 2, -2, 3, -3, 10):
        if near + delta > 0 and near + delta not in numbers:
            return near + delta
    return max(numbers) + 1


def _replace_leaf(tree: Expr, index: int, value: int) -> Expr:
    """The tree with its index-th leaf (left to right) replaced by value."""
    counter = [0]

    def walk(node: Expr) -> Expr:
        if isinstance(node, int):
            counter[0] += 1
            return value if counter[0] - 1 == index else node
        return (node[0], walk(node[1]), walk(node[2]))

    return walk(tree)


def _drop_one_leaf(tree: Expr) -> Expr:
    """The tree with its rightmost leaf removed (its parent replaced by the sibling)."""
    if isinstance(tree, int):
        return tree
    op, left, right = tree
    if isinstance(right, int):
        return left
    return (op, left, _drop_one_leaf(right))


def _swap_two_numbers(tree: Expr, target: int) -> Expr | None:
    """The tree with two of its numbers trading places, such that the value is no longer the target."""
    values = leaves(tree)
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if values[i] != values[j]:
                swapped = _replace_leaf(_replace_leaf(tree, i, values[j]), j, values[i])
                value = evaluate(swapped)
                if value is not None and value != (target, 1):
                    return swapped
    return None


def _duplicate_a_number(tree: Expr) -> Expr | None:
    values = leaves(tree)
    for j in range(1, len(values)):
        if values[j] != values[0]:
            return _replace_leaf(tree, j, values[0])
    return None


def _power_variant(expression: str) -> str:
    for op in (" * ", " + ", " - ", " / "):
        if op in expression:
            return expression.replace(op, " ** ", 1)
    return expression + " ** 1"


def _valid_expression_with_other_value(rng: random.Random, numbers: list[int], target: int, ops: str) -> Expr | None:
    """A well-formed expression over exactly these numbers and operators whose value is not the
    target: the closest to it of 40 random ones, so that it is a near miss."""
    best, best_gap = None, None
    for _ in range(40):
        tree = random_tree(rng, numbers, ops)
        value = evaluate(tree)
        if value is None or value == (target, 1):
            continue
        gap = abs(value[0] - target * value[1]) / value[1]
        if best_gap is None or gap < best_gap:
            best, best_gap = tree, gap
    return best


def _with_a_disallowed_operator(numbers: list[int], target: int, ops: str) -> Expr | None:
    """An expression reaching the target only thanks to an operator the task does not allow."""
    if ops == ALL_OPERATORS:
        return None
    tree = ExactSolver(numbers, ALL_OPERATORS).solve(target)
    if tree is None or _operators(tree) <= set(ops):
        return None
    return tree


def _reaches_target_with_one_number_unused(numbers: list[int], target: int, ops: str) -> list[Expr]:
    out: list[Expr] = []
    for drop in sorted(set(numbers)):
        rest = list(numbers)
        rest.remove(drop)
        tree = ExactSolver(rest, ops).solve(target)
        if tree is not None:
            out.append(tree)
            if len(out) == 2:
                break
    return out

