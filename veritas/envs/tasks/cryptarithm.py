"""cryptarithm (lgc-v2, ids 300_000_000 + seed): letter arithmetic with a unique solution.

`SEND + MORE = MONEY`: every letter is one digit, distinct letters are distinct digits, a word of
two or more letters does not start with 0 (a one-letter word may be 0), `*` binds tighter than
`+` and `-`. An exhaustive solver (veritas/envs/tasks/_cryptarithm_solver.py) proves at
generation time that the solution is unique.

Levels (docs/envs/cryptarithm.md):
    1  A + B = C                  words of 3-4 letters
    2  A + B = C or A - B = C     words of 5-6 letters
    3  A + B + C = D, A + B - C = D
    4  A * B = C (3-4 by 2-3 letters), A + B + C + D = E, A + B - C + D = E
    5  A * B + C = D, A * B - C = D, A * B * C = D, A * B + C - D = E

The reply must END with `The answer is <equation>` (or `答案是 <equation>`), the equation being
the puzzle with digits for letters. The last such marker counts. Markdown/LaTeX decoration around
the one equation (`**`, backticks, `$`, a colon, final full stops) is removed. The verifier parses the equation
(never evaluates text), checks that it has the puzzle's shape (operands, operators, word
lengths), that it is an instance of the puzzle (one digit per letter, distinct letters distinct,
no leading zeros) and that its arithmetic is exactly right.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from veritas.envs.base import Built, Task, TaskFamily, Verdict
from veritas.envs.registry import register
from veritas.envs.tasks._cryptarithm_solver import column_roles, evaluate, solve

# I and O are left out: they read like 1 and 0.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"

MARKERS = ("The answer is", "the answer is", "答案是")
# Operator spellings accepted in replies, and the one used in puzzles and answers.
_OPERATOR_SPELLINGS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "\u00d7": "*"}
_MAX_EQUATION_CHARS = 500
# Characters stripped around the equation after the marker: whitespace, a colon, emphasis and code
# marks, `$`, and at the end full stops. (A `*` at either end cannot be multiplication.)
_LEAD_DECORATION = " \t\r\n:：*_`$"
_TRAIL_DECORATION = " \t\r\n*_`$.。"


@dataclass(frozen=True)
class Shape:
    """One kind of puzzle: operand lengths and operators, plus generator knobs.

    Operand digits come from a random set of `alphabet` digits (a range), which makes letters
    repeat; `max_expected` bounds a cheap estimate of the number of solutions (free assignments of
    the operand letters over the result's constrained digits) so that the exact solver mostly
    sees candidates that will turn out unique."""

    lengths: tuple[int, ...]
    ops: tuple[str, ...]
    alphabet: tuple[int, int] = (4, 7)
    max_expected: float = 5.0
    min_letters: int = 5
    min_result_len: int = 1


LEVELS: dict[int, tuple[Shape, ...]] = {
    1: (
        Shape((3, 3), ("+",), (3, 6), 5.0, 3),
        Shape((4, 3), ("+",), (3, 6), 5.0, 4),
        Shape((4, 4), ("+",), (3, 6), 5.0, 4),
    ),
    2: (
        Shape((5, 5), ("+",)),
        Shape((6, 6), ("+",), min_letters=6),
        Shape((6, 5), ("-",), min_result_len=4),
        Shape((6, 6), ("-",), min_result_len=5),
    ),
    3: (
        Shape((4, 4, 4), ("+", "+")),
        Shape((5, 5, 5), ("+", "+")),
        Shape((6, 6, 5), ("+", "-"), min_letters=6),
    ),
    4: (
        Shape((3, 2), ("*",)),
        Shape((4, 2), ("*",)),
        Shape((3, 3), ("*",)),
        Shape((4, 3), ("*",), min_letters=6),
        Shape((4, 4, 4, 4), ("+", "+", "+")),
        Shape((5, 5, 5, 5), ("+", "-", "+"), min_letters=6),
    ),
    5: (
        Shape((3, 2, 3), ("*", "+")),
        Shape((3, 2, 3), ("*", "-"), min_result_len=3),
        Shape((2, 2, 2), ("*", "*")),
        Shape((3, 2, 3, 3), ("*", "+", "-")),
    ),
}

_MAX_ATTEMPTS = 200_000


def format_equation(operands: list[str], ops: list[str], result: str) -> str:
    parts = [operands[0]]
    for op, word in zip(ops, operands[1:]):
        parts.extend((op, word))
    return " ".join(parts) + " = " + result


def _expected_solutions(operand_digits: str, result_digits: str) -> float:
    """Free assignments of the operand letters, times 1/10 for each result digit that is already
    pinned (a letter seen in an operand or lower in the result)."""
    seen = set(operand_digits)
    pinned = 0
    for ch in reversed(result_digits):
        if ch in seen:
            pinned += 1
        seen.add(ch)
    return math.perm(10, len(set(operand_digits))) / 10 ** pinned


def generate_puzzle(rng: random.Random, level: int) -> tuple[list[str], list[str], str, dict[str, int]]:
    """(operands, operators, result, solution) with a unique solution, drawn for `level`."""
    shape = rng.choice(LEVELS[level])
    ops = list(shape.ops)
    for _ in range(_MAX_ATTEMPTS):
        digits = rng.sample(range(10), rng.randint(*shape.alphabet))
        leading = [d for d in digits if d]
        numbers = []
        for length in shape.lengths:
            first = rng.choice(leading) if length > 1 else rng.choice(digits)
            numbers.append(str(first) + "".join(str(rng.choice(digits)) for _ in range(length - 1)))
        value = evaluate([int(n) for n in numbers], ops)
        if value <= 0 or len(str(value)) < shape.min_result_len:
            continue
        total = str(value)
        used = sorted(set("".join(numbers) + total))
        if len(used) < shape.min_letters or _expected_solutions("".join(numbers), total) > shape.max_expected:
            continue
        letter_of = dict(zip(used, rng.sample(ALPHABET, len(used))))
        words = ["".join(letter_of[ch] for ch in n) for n in numbers]
        result = "".join(letter_of[ch] for ch in total)
        solutions = solve(words, ops, result, limit=2)
        if len(solutions) == 1:
            solution = {letter_of[ch]: int(ch) for ch in used}
            if solutions[0] != solution:  # pragma: no cover - the solver found the generating digits
                raise AssertionError("cryptarithm solver disagrees with the generator")
            return words, ops, result, dict(sorted(solution.items()))
    raise RuntimeError(f"cryptarithm: no unique puzzle after {_MAX_ATTEMPTS} attempts at level {level}")


def substitute(words: list[str], solution: dict[str, int]) -> list[str]:
    return ["".join(str(solution[ch]) for ch in w) for w in words]


# --------------------------------------------------------------------------------------------
# Reading replies.


def find_final_equation(text: str) -> tuple[str | None, str]:
    """The text after the last answer marker, with an optional leading colon and one optional
    trailing full stop removed; (None, why) when there is no marker."""
    best = -1
    best_marker = ""
    for marker in MARKERS:
        at = text.rfind(marker)
        if at > best:
            best, best_marker = at, marker
    if best < 0:
        return None, "no 'The answer is' / '答案是' line"
    tail = text[best + len(best_marker):]
    if len(tail) > _MAX_EQUATION_CHARS:
        return None, "text after the final 'The answer is' is too long to be an equation"
    # Markdown or LaTeX around the one equation (`**The answer is 1 + 2 = 3**`, a line in backticks
    # as the prompt shows it, `The answer is: $1 + 2 = 3$.`) is decoration: none of these
    # characters can begin or end an equation, so stripping them cannot change which one it is.
    tail = tail.strip().lstrip(_LEAD_DECORATION).rstrip(_TRAIL_DECORATION)
    return tail, ""


def tokenize(equation: str) -> tuple[list[str] | None, str]:
    """Numbers (ASCII digit runs) and the operators + - * = (with − and × accepted), or why not."""
    tokens: list[str] = []
    number = ""
    for ch in equation:
        if "0" <= ch <= "9":
            number += ch
            continue
        if number:
            tokens.append(number)
            number = ""
        if ch in " \t":
            continue
        if ch == "=":
            tokens.append("=")
        elif ch in _OPERATOR_SPELLINGS:
            tokens.append(_OPERATOR_SPELLINGS[ch])
        else:
            return None, f"unexpected character {ch!r} in the final equation"
    if number:
        tokens.append(number)
    return tokens, ""


def equation_problem(tokens: list[str], operands: list[str], ops: list[str], result: str) -> tuple[str, bool]:
    """('', True) when the tokens are a correct instance of the puzzle; else (why, format_ok)."""
    expected = 2 * len(operands) + 1
    if len(tokens) != expected:
        return f"the equation has {len(tokens)} tokens, the puzzle needs {expected}", False
    numbers = tokens[0:2 * len(operands):2] + [tokens[-1]]
    reply_ops = tokens[1:2 * len(operands) - 1:2]
    if tokens[-2] != "=" or reply_ops != ops or not all(n.isdigit() and n.isascii() for n in numbers):
        return "the equation does not have the puzzle's form (numbers, operators, '=')", False
    words = list(operands) + [result]
    for word, number in zip(words, numbers):
        if len(number) != len(word):
            return f"{number} has {len(number)} digits but {word} has {len(word)} letters", False
    digit_of: dict[str, str] = {}
    letter_of: dict[str, str] = {}
    for word, number in zip(words, numbers):
        if len(number) > 1 and number[0] == "0":
            return f"{number} starts with 0", True
        for letter, digit in zip(word, number):
            if digit_of.setdefault(letter, digit) != digit:
                return f"letter {letter} stands for both {digit_of[letter]} and {digit}", True
            if letter_of.setdefault(digit, letter) != letter:
                return f"digit {digit} is used for both {letter_of[digit]} and {letter}", True
    value = evaluate([int(n) for n in numbers[:-1]], ops)
    if value != int(numbers[-1]):
        return f"the arithmetic is wrong: the left side is {value}", True
    return "", True


@register
class Cryptarithm(TaskFamily):
    name = "cryptarithm"
    env = "lgc-v2"
    id_offset = 300_000_000
    num_seeds = 100_000_000
    languages = ("en", "zh")
    description = "letter arithmetic (+ - *) with a unique solution; answer 'The answer is <equation>'"

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        operands, ops, result, solution = generate_puzzle(rng, difficulty)
        equation = format_equation(substitute(operands, solution), ops, substitute([result], solution)[0])
        puzzle = format_equation(operands, ops, result)
        texts = _TEXTS[language]
        rules = [texts["zero"]]
        if "*" in ops:
            rules.append(texts["times"])
        if "-" in ops:
            rules.append(texts["minus"])
        prompt = wording.choice(texts["templates"]).format(puzzle=puzzle, rules=("" if language == "zh" else " ").join(rules), fmt=wording.choice(texts["formats"]))
        metadata = {
            "operands": operands,
            "operators": ops,
            "result": result,
            "solution": solution,
            "equation": equation,
        }
        return Built(prompt=prompt, answer="The answer is " + equation, metadata=metadata)

    def check(self, task: Task, text: str) -> Verdict:
        equation, why = find_final_equation(text)
        if equation is None:
            return Verdict(0.0, why, False)
        tokens, why = tokenize(equation)
        if tokens is None:
            return Verdict(0.0, why, False)
        meta = task.metadata
        problem, format_ok = equation_problem(tokens, meta["operands"], meta["operators"], meta["result"])
        if problem:
            return Verdict(0.0, problem, format_ok)
        return Verdict(1.0, "a correct instance of the puzzle", True)

    def worked_solution(self, task: Task) -> str:
        meta = task.metadata
        return explain(meta["operands"], meta["operators"], meta["result"], meta["solution"], task.language)

    def styled_answers(self, task: Task) -> list[str]:
        eq = task.answer[len("The answer is "):]
        return [
            f"**The answer is {eq}**",
            f"**The answer is:** {eq}",
            f"The answer is: **{eq}**.",
            f"`The answer is {eq}`",
            f"The answer is `{eq}`",
            f"The answer is ${eq}$.",
            f"So the answer is {eq}.",
            f"The answer is:\n\n{eq}",
            f"答案是 {eq}",
            f"**答案是 {eq}**",
            f"答案是：`{eq}`。",
            f"`答案是 {eq}`",
            f"所以答案是：{eq}。",
        ]

    def trivial_replies(self, difficulty: int) -> list[str]:
        return ["The answer is 0", "The answer is 1 + 2 = 3", "答案是 0"]

    def wrong_answers(self, task: Task) -> list[str]:
        meta = task.metadata
        operands, ops, result = meta["operands"], meta["operators"], meta["result"]
        solution: dict[str, int] = meta["solution"]
        numbers = substitute(operands, solution)
        total = substitute([result], solution)[0]
        letters = sorted(solution)
        replies = []

        def reply(nums: list[str], res: str) -> str:
            return "The answer is " + format_equation(nums, ops, res)

        # One digit off (the result's last digit).
        replies.append(reply(numbers, total[:-1] + str((int(total[-1]) + 1) % 10)))
        # Two letters' digits swapped: another assignment, so not a solution (uniqueness).
        a, b = letters[0], letters[-1]
        swapped = dict(solution, **{a: solution[b], b: solution[a]})
        replies.append(reply(substitute(operands, swapped), substitute([result], swapped)[0]))
        # A leading zero: the first letter of a long word gets 0 (trading with the letter that has 0).
        zero_letter = next((ch for ch, d in solution.items() if d == 0), None)
        lead = next((w[0] for w in operands + [result] if len(w) > 1), None)
        if zero_letter is not None and lead is not None and zero_letter != lead:
            led = dict(solution, **{lead: 0, zero_letter: solution[lead]})
            replies.append(reply(substitute(operands, led), substitute([result], led)[0]))
        # A zero written in front of an operand (the word-length rule).
        replies.append(reply(["0" + numbers[0]] + numbers[1:], total))
        # True arithmetic that is not an instance of the puzzle: change an operand, recompute.
        changed = list(numbers)
        changed[0] = changed[0][:-1] + str((int(changed[0][-1]) + 1) % 10)
        value = evaluate([int(n) for n in changed], ops)
        if value >= 0:
            replies.append(reply(changed, str(value)))
        # The letters themselves, a wrong marker, and trailing text after the equation.
        replies.append("The answer is " + format_equation(operands, ops, result))
        replies.append("Answer: " + format_equation(numbers, ops, total))
        replies.append(task.answer + "\nI hope this helps.")
        # Hedging: the right equation first, a wrong one last (only the last marker counts).
        replies.append(task.answer + "\n" + replies[0])
        # Two equations after one marker.
        replies.append(task.answer + ", " + format_equation(numbers, ops, total))
        # Decoration around two equations: still two answers.
        eq = task.answer[len("The answer is "):]
        other = format_equation(numbers, ops, total[:-1] + str((int(total[-1]) + 1) % 10))
        replies.append(f"**The answer is {eq}** or {other}")
        replies.append(f"The answer is `{eq}`, `{other}`")
        replies.append(f"**答案是 {other}**")
        return replies


# --------------------------------------------------------------------------------------------
# Prompts and worked solutions.

_TEXTS = {
    "en": {
        "templates": (
            ("Solve this cryptarithm (letter arithmetic):\n\n    {puzzle}\n\nEach letter stands for one digit from 0 to 9. "
            "Different letters stand for different digits, and the same letter always stands for the same digit. "
            "{rules} The puzzle has exactly one solution.\n\n{fmt}"),
            ("In the equation below, every letter replaces a digit:\n\n    {puzzle}\n\nDistinct letters are distinct digits "
            "and each letter keeps its digit everywhere. {rules} Find the digits; the solution is unique.\n\n{fmt}"),
            ("Crack the letter equation\n\n    {puzzle}\n\nby replacing each letter with a digit (0-9) so that the arithmetic is "
            "correct. No two letters share a digit. {rules} Exactly one assignment works.\n\n{fmt}"),
        ),
        "formats": (
            ("End your reply with a line of the form `The answer is <equation>`, where <equation> is the puzzle with every "
            "letter replaced by its digit (for example, a solved ABC + DEF = GHJ would end `The answer is 123 + 456 = 579`)."),
            ("Finish with the final line `The answer is <the puzzle written with digits instead of letters>`, e.g. "
            "`The answer is 123 + 456 = 579` for a puzzle ABC + DEF = GHJ. Write nothing after it."),
        ),
        "zero": "A word of two or more letters does not start with 0 (a one-letter word may be 0).",
        "times": "The sign * means multiplication, done before + and -.",
        "minus": "The sign - means subtraction.",
    },
    "zh": {
        "templates": (
            ("请解这道字母算式（密码算术）：\n\n    {puzzle}\n\n每个字母代表 0 到 9 中的一个数字，不同字母代表不同数字，"
            "同一字母始终代表同一数字。{rules}本题有且只有一个解。\n\n{fmt}"),
            ("下面的等式中，每个字母都替换了一个数字：\n\n    {puzzle}\n\n不同的字母是不同的数字，同一个字母处处代表同一数字。"
            "{rules}请求出各字母代表的数字，解是唯一的。\n\n{fmt}"),
            ("破解下面的字母等式：\n\n    {puzzle}\n\n把每个字母换成一个数字（0-9），使算式成立，任意两个字母的数字都不相同。"
            "{rules}恰好只有一种填法。\n\n{fmt}"),
        ),
        "formats": (
            ("请在回复的最后一行写 `答案是 <等式>`，其中 <等式> 是把谜题中的字母全部换成数字后的等式"
            "（例如谜题 ABC + DEF = GHJ 解出后写 `答案是 123 + 456 = 579`）。也可以写 `The answer is <等式>`。"),
            ("最后一行请写 `答案是 <用数字代替字母后的谜题>`，例如谜题 ABC + DEF = GHJ 对应 `答案是 123 + 456 = 579`。"
            "这一行之后不要再写任何内容。"),
        ),
        "zero": "两个或更多字母组成的词首位不能是 0（单个字母的词可以是 0）。",
        "times": "* 表示乘法，先于 + 和 - 计算。",
        "minus": "- 表示减法。",
    },
}


def _place_name(k: int, zh: bool) -> str:
    if zh:
        names = ("个位", "十位", "百位", "千位", "万位", "十万位", "百万位", "千万位")
        return names[k] if k < len(names) else f"第 {k + 1} 列"
    names = ("ones", "tens", "hundreds", "thousands", "ten-thousands", "hundred-thousands", "millions", "ten-millions")
    return names[k] if k < len(names) else f"10^{k}"


def explain(operands: list[str], ops: list[str], result: str, solution: dict[str, int], language: str) -> str:
    """Column-by-column solution, ones column first, in the order the exhaustive search fixes the
    letters: letters it has to try are named as tried (and the uniqueness proof is what rules the
    other values out), letters a column determines are derived with the column's arithmetic."""
    zh = language == "zh"
    numbers = substitute(operands, solution)
    total = substitute([result], solution)[0]
    equation = format_equation(numbers, ops, total)
    linear = "*" not in ops
    signs = [1] + [1 if op == "+" else -1 for op in ops]
    lines = []
    if zh:
        lines.append(f"谜题：{format_equation(operands, ops, result)}。从个位开始逐列求解（列号从右往左数）。"
                     "每个字母是一个数字，不同字母数字不同，多字母的词首位不为 0。")
        if linear:
            lines.append("每一列满足：各加数该位之和（减数取负）+ 进位 = 结果该位 + 10 × 向下一列的进位（借位时进位为负）。")
        else:
            lines.append("含乘法时，左边的末 k 位只取决于各运算数的末 k 位，所以可以逐列确定结果的末位数字。")
    else:
        lines.append(f"Puzzle: {format_equation(operands, ops, result)}. Solve it column by column, starting with the ones "
                     "column. Each letter is one digit, different letters are different digits, and a word of two or more "
                     "letters does not start with 0.")
        if linear:
            lines.append("In every column: (sum of the operand digits, subtracted ones counted negative) + carry in "
                         "= result digit + 10 x carry out (a borrow is a negative carry).")
        else:
            lines.append("With a multiplication, the last k digits of the left side depend only on the last k digits of each "
                         "operand, so the result can be pinned down one column at a time.")
    carry = 0
    for k, (tried, forced) in enumerate(column_roles(operands, ops, result)):
        place = _place_name(k, zh)
        header = f"第 {k + 1} 列（{place}）：" if zh else f"Column {k + 1} ({place}):"
        body: list[str] = []
        if tried:
            names = ", ".join(f"{ch} = {solution[ch]}" for ch in tried)
            if zh:
                body.append(f"新字母 {'、'.join(tried)} 需要试值；逐一尝试剩余数字，只有 {names} 能一直推到最后一列而不矛盾"
                            "（其他取值都会在后面的列中出现矛盾）。")
            else:
                body.append(f"New letter(s) {', '.join(tried)} must be tried. Of the free digits, only {names} can be carried "
                            "through every later column; every other choice runs into a contradiction further on.")
        if linear:
            terms = []
            digits = []
            for sign, word, num in zip(signs, operands, numbers):
                if k < len(word):
                    terms.append(("- " if sign < 0 else "+ ") + word[-1 - k])
                    digits.append(("- " if sign < 0 else "+ ") + num[-1 - k])
            left_letters = " ".join(terms).lstrip("+ ").strip()
            left_digits = " ".join(digits).lstrip("+ ").strip()
            column_sum = carry + sum(s * int(n[-1 - k]) for s, w, n in zip(signs, operands, numbers) if k < len(w))
            res_digit = int(total[-1 - k]) if k < len(total) else 0
            next_carry = (column_sum - res_digit) // 10
            res_letter = result[-1 - k] if k < len(result) else "0"
            shown_left = (left_digits or "0") + (f" + ({carry})" if carry < 0 else f" + {carry}" if carry else "")
            if forced is not None:
                if zh:
                    body.append(f"{forced} 由本列算式确定：{left_letters or '0'}（+ 进位 {carry}）的末位必须与 {res_letter} 一致，"
                                f"所以 {forced} = {solution[forced]}。")
                else:
                    body.append(f"{forced} is fixed by the column: {left_letters or '0'} + carry {carry} must end in the "
                                f"digit of {res_letter}, so {forced} = {solution[forced]}.")
            if zh:
                body.append(f"验算：{shown_left} = {column_sum} = {res_digit} + 10 × {next_carry}，向下一列进位 {next_carry}。")
            else:
                body.append(f"Check: {shown_left} = {column_sum} = {res_digit} + 10 x {next_carry}; carry {next_carry} "
                            "into the next column.")
            carry = next_carry
        else:
            modulus = 10 ** (k + 1)
            lows = [str(int(n) % modulus) for n in numbers]
            low_value = evaluate([int(x) for x in lows], ops)
            shown = format_equation(lows, ops, str(low_value)).rsplit(" = ", 1)[0]
            res_digit = (low_value % modulus) // 10 ** k
            res_letter = result[-1 - k] if k < len(result) else None
            if zh:
                body.append(f"取各运算数的末 {k + 1} 位：{shown} = {low_value}，其{place}数字是 {res_digit}。")
            else:
                body.append(f"Last {k + 1} digit(s) of each operand: {shown} = {low_value}, whose {place} digit is {res_digit}.")
            if forced is not None and forced == res_letter:
                body.append(f"所以 {forced} = {res_digit}。" if zh else f"So {forced} = {res_digit}.")
            elif forced is not None:
                if zh:
                    body.append(f"{forced} 由本列确定：结果在{place}上必须是 {res_letter} = {solution[res_letter]}，只有 "
                                f"{forced} = {solution[forced]} 满足。")
                else:
                    body.append(f"{forced} is fixed by this column: the result's {place} digit must be {res_letter} = "
                                f"{solution[res_letter]}, and only {forced} = {solution[forced]} gives that.")
            elif res_letter is not None:
                body.append(f"与 {res_letter} = {solution[res_letter]} 一致。" if zh
                            else f"This agrees with {res_letter} = {solution[res_letter]}.")
            else:
                body.append("结果没有这一位，数字必须是 0，成立。" if zh else "The result has no digit here, so it must be 0, and it is.")
        lines.append(header + ("" if zh else " ").join([""] + body))
    mapping = ", ".join(f"{ch} = {d}" for ch, d in sorted(solution.items()))
    if zh:
        lines.append(f"所有列都成立{'，最后的进位为 0' if linear else ''}。字母对应：{mapping}。")
        lines.append(f"完整验算：{equation}。")
        lines.append("")
        lines.append(f"答案是 {equation}")
    else:
        lines.append(f"Every column checks{' and the final carry is 0' if linear else ''}. Letters: {mapping}.")
        lines.append(f"Full check: {equation}.")
        lines.append("")
        lines.append(f"The answer is {equation}")
    return "\n".join(lines)

