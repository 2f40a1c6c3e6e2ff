"""boolean_expressions (lgc-v2 type 6): which of the labelled Python boolean expressions are True?

The prompt lists options A, B, C, ... Each is a Python boolean expression: `not` / `and` / `or`
over facts that are computed, never looked up - integer comparisons (`3 + 4 * 2 > 10`,
`(12 + 5) % 2 == 0`, `47 // 6 <= 7`), `is_prime(n)` for n < 200 (defined in the prompt),
`len("garden") == 6`, `"banana".count("a") >= 2`, `"nan" in "banana"`, `abs`, `max`, `min` and
the constants True / False. Python precedence applies and is stated in the prompt (comparisons,
then `not`, then `and`, then `or`); `//` and `%` only ever see non-negative operands. Between 1
and n-1 of the n options are True (never none, never all).

The reply gives the letters of ALL true options in the last `\\boxed{}`, e.g. `\\boxed{A,C}`.

Scoring (1 or 0), on the content of the last `\\boxed{...}` only:
- LaTeX decoration is removed: font commands (`\\text{...}`, `\\mathrm{...}`, `\\textbf{...}`, ...)
  around the whole list or around each letter, and spacing commands (`\\,` `\\ ` `\\;` `~` `\\quad`).
- Items are separated by commas (`,`, `，` or `、`) and/or whitespace; each item must be exactly
  one UPPERCASE option letter. `\\boxed{ca}` (no separator, lower case), `\\boxed{A and C}`, an
  empty item (`A,,C`, a trailing comma) or a letter past the last option make the answer
  unreadable: score 0, format_ok False.
- A letter listed twice (`\\boxed{A,A,C}`) scores 0: the answer is a set, written once.
- Order does not matter (`\\boxed{C,A}` == `\\boxed{A,C}`); the prompt asks for alphabetical
  order, the verifier does not insist.
- The set must equal the true options exactly: a missing or an extra letter scores 0, so listing
  every letter (which is never correct: at least one option is False) scores 0.

Difficulty (options / nesting depth of and-or-not / facts per option / fact kinds / brackets):
  1: 6 options, depth 1,   <= 2 facts; +, - comparisons, True/False;        fully bracketed
  2: 6 options, depth 1-2, <= 3 facts; + *, parity via % 2;                  fully bracketed
  3: 6 options, depth 2-3, <= 4 facts; + is_prime, //, %, abs;               precedence only
  4: 7 options, depth 2-3, <= 5 facts; + len, count, in, max/min, 3-term arithmetic, both sides
                                        of a comparison computed;           precedence only
  5: 7 options, depth 3-4, <= 6 facts; as 4, larger numbers;                 precedence only
("fully bracketed": every and/or inside another operator is in parentheses; "precedence only":
only the brackets Python needs are written.)
"""

from __future__ import annotations

import random
import re

from veritas.envs.answers import last_boxed
from veritas.envs.base import Built, Task, TaskFamily, Verdict
from veritas.envs.registry import register
from veritas.envs.tasks._picks import below, between

LETTERS = "ABCDEFGHIJ"

# level -> (options, min depth, max depth, most facts per option, fully bracketed, fact kinds)
_K1 = ("const", "addsub", "addsub")  # a repeated kind is drawn more often
_K2 = _K1 + ("mul", "parity")
_K3 = _K2 + ("prime", "divmod", "abs")
_K4 = _K3 + ("len", "count", "in", "maxmin", "three")
LEVELS: dict[int, tuple[int, int, int, int, bool, tuple[str, ...]]] = {
    1: (6, 1, 1, 2, True, _K1),
    2: (6, 1, 2, 3, True, _K2),
    3: (6, 2, 3, 4, False, _K3),
    4: (7, 2, 3, 5, False, _K4),
    5: (7, 3, 4, 6, False, _K4),
}

# ASCII words without repeated-letter surprises beyond what count() is meant to test; no "zz".
WORDS = (
    "apple", "banana", "cherry", "orange", "window", "garden", "rabbit", "pencil", "river",
    "planet", "silver", "button", "candle", "mirror", "tomato", "coffee", "bridge", "forest",
    "letter", "pepper", "kitten", "lemon", "marble", "basket", "ladder", "puzzle", "meadow",
    "tunnel", "violin", "wallet", "carrot", "dinner", "yellow", "summer", "mountain", "balloon",
    "library", "cabbage", "teacher", "mission", "parallel", "committee", "bookkeeper", "assessment",
    "grammar", "address", "success", "spaghetti", "umbrella", "elephant",
)

_PRIMES = tuple(n for n in range(2, 200) if all(n % d for d in range(2, int(n ** 0.5) + 1)))
_PRIME_SET = frozenset(_PRIMES)
# Composites that look prime (odd, not obviously divisible), plus the edge cases 0, 1 and 2's neighbours.
_TRICKY_COMPOSITES = (1, 9, 15, 21, 25, 27, 33, 35, 39, 49, 51, 57, 63, 69, 77, 81, 85, 87, 91, 93,
                      95, 111, 119, 121, 133, 143, 161, 169, 187)

# (level 5, wanted truth) -> the numbers is_prime is asked about: up to 200 at level 5, else 100.
_PRIME_POOLS = {
    (big, truth): tuple(n for n in (_PRIMES if truth else _TRICKY_COMPOSITES) if n < (200 if big else 100))
    for big in (False, True) for truth in (False, True)
}

_CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")
_ARITH_PREC = {"+": 1, "-": 1, "*": 2, "//": 2, "%": 2}
_BOOL_PREC = {"or": 1, "and": 2, "not": 3}

_SEPARATORS = re.compile(r"\s*[,，、]\s*|\s+")
# LaTeX a model puts around the letters: a font command around the whole list or around each
# letter (`\\text{A}, \\text{B}`), and spacing commands (`A,\\ B`, `A,\\,B`, `A,~B`). None of them
# can name a letter, so removing them cannot turn one set into another.
_FONT_COMMAND = re.compile(r"\\(?:text|mathrm|textbf|mathbf|mathit|textit|textsf|mathsf|texttt|mathtt)\s*\{([^{}]*)\}")
_LATEX_SPACE = re.compile(r"\\(?:[,;:! ]|quad|qquad)|~")


# --------------------------------------------------------------------------- evaluation
# Trees are JSON lists (they travel in metadata):
#   arithmetic: int | [op, l, r] (op in + - * // %) | ["abs", x] | ["max", [..]] | ["min", [..]]
#               | ["len", word] | ["count", word, letter]
#   boolean:    ["cmp", op, l, r] | ["prime", n] | ["in", part, word] | ["const", bool]
#               | ["not", x] | ["and", x, y] | ["or", x, y]

def _arith_value(node) -> int:
    if type(node) is int:
        return node
    op = node[0]
    if op == "+":
        return _arith_value(node[1]) + _arith_value(node[2])
    if op == "-":
        return _arith_value(node[1]) - _arith_value(node[2])
    if op == "*":
        return _arith_value(node[1]) * _arith_value(node[2])
    if op == "//":
        return _arith_value(node[1]) // _arith_value(node[2])
    if op == "%":
        return _arith_value(node[1]) % _arith_value(node[2])
    if op == "abs":
        return abs(_arith_value(node[1]))
    if op == "max":
        return max(_arith_value(x) for x in node[1])
    if op == "min":
        return min(_arith_value(x) for x in node[1])
    if op == "len":
        return len(node[1])
    if op == "count":
        return node[1].count(node[2])
    raise ValueError(f"unknown arithmetic node {op!r}")


def _compare(op: str, x: int, y: int) -> bool:
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    if op == ">=":
        return x >= y
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    raise ValueError(f"unknown comparison {op!r}")


def _bool_value(node) -> bool:
    kind = node[0]
    if kind == "cmp":
        return _compare(node[1], _arith_value(node[2]), _arith_value(node[3]))
    if kind == "prime":
        return node[1] in _PRIME_SET
    if kind == "in":
        return node[1] in node[2]
    if kind == "const":
        return node[1]
    if kind == "not":
        return not _bool_value(node[1])
    if kind == "and":
        return _bool_value(node[1]) and _bool_value(node[2])
    if kind == "or":
        return _bool_value(node[1]) or _bool_value(node[2])
    raise ValueError(f"unknown boolean node {kind!r}")


# --------------------------------------------------------------------------- rendering (Python syntax)

def _arith_prec(node) -> int:
    if isinstance(node, list) and node[0] in _ARITH_PREC:
        return _ARITH_PREC[node[0]]
    return 3


def _render_arith(node, top: bool = True) -> str:
    if type(node) is int:
        # A negative number inside an operation is bracketed for the reader; Python would not need it.
        return str(node) if node >= 0 or top else f"({node})"
    op = node[0]
    if op in _ARITH_PREC:
        p = _ARITH_PREC[op]
        left, right = node[1], node[2]
        ls = _render_arith(left, False)
        rs = _render_arith(right, False)
        if _arith_prec(left) < p:
            ls = f"({ls})"
        if _arith_prec(right) <= p:
            rs = f"({rs})"
        return f"{ls} {op} {rs}"
    if op == "abs":
        return f"abs({_render_arith(node[1])})"
    if op in ("max", "min"):
        return f"{op}({', '.join(_render_arith(x) for x in node[1])})"
    if op == "len":
        return f'len("{node[1]}")'
    if op == "count":
        return f'"{node[1]}".count("{node[2]}")'
    raise ValueError(f"unknown arithmetic node {op!r}")


def _render_fact(node) -> str:
    kind = node[0]
    if kind == "cmp":
        return f"{_render_arith(node[2])} {node[1]} {_render_arith(node[3])}"
    if kind == "prime":
        return f"is_prime({node[1]})"
    if kind == "in":
        return f'"{node[1]}" in "{node[2]}"'
    if kind == "const":
        return "True" if node[1] else "False"
    raise ValueError(f"unknown fact {kind!r}")


def _bracketed(child, text: str, parent: str, side: int, full: bool) -> str:
    """A child's text as it appears under `parent` ("not", "and", "or"); side 0 left, 1 right."""
    kind = child[0]
    if kind != "and" and kind != "or":
        return text
    if parent == "not":
        return f"({text})"
    cp, p = _BOOL_PREC[kind], _BOOL_PREC[parent]
    # Fully bracketed: every nested and/or. Otherwise only what Python needs, plus a right-nested
    # operand of the same operator, so that the text still shows the tree's grouping.
    if full or cp < p or (side == 1 and cp == p):
        return f"({text})"
    return text


def _compose(node, texts: list[str], full: bool) -> str:
    kind = node[0]
    if kind == "not":
        return "not " + _bracketed(node[1], texts[0], "not", 0, full)
    return f"{_bracketed(node[1], texts[0], kind, 0, full)} {kind} {_bracketed(node[2], texts[1], kind, 1, full)}"


def _render_bool(node, full: bool) -> str:
    kind = node[0]
    if kind == "not":
        return _compose(node, [_render_bool(node[1], full)], full)
    if kind == "and" or kind == "or":
        return _compose(node, [_render_bool(node[1], full), _render_bool(node[2], full)], full)
    return _render_fact(node)


# --------------------------------------------------------------------------- generation
def _rhs_for(rng: random.Random, v: int, target: bool, nonneg: bool = False) -> tuple[str, int]:
    """A comparison operator and right-hand side that make `v op rhs` equal target, close to the
    boundary so that the comparison has to be computed, not guessed."""
    op = _CMP_OPS[below(rng, 6)]
    d = below(rng, 3)  # 0, 1 or 2
    if op == "==":
        rhs = v if target else v + (d + 1) * (1 if rng.random() < 0.5 else -1)
    elif op == "!=":
        rhs = v + (d + 1) * (1 if rng.random() < 0.5 else -1) if target else v
    elif op == "<":
        rhs = v + d + 1 if target else v - d
    elif op == "<=":
        rhs = v + d if target else v - d - 1
    elif op == ">":
        rhs = v - d - 1 if target else v + d
    else:  # >=
        rhs = v - d if target else v + d + 1
    if nonneg and rhs < 0:
        op, rhs = ("==", v) if target else ("!=", v)
    return op, rhs


def _split_rhs(rng: random.Random, rhs: int):
    """rhs as a small sum or difference, so both sides of a comparison need computing."""
    x = between(rng, 1, 9)
    if rhs < 0:
        return ["-", x, x - rhs]  # e.g. -11 as 3 - 14: no negative literal inside arithmetic
    if rhs - x >= 0 and rng.random() < 0.6:
        return ["+", x, rhs - x]
    return ["-", rhs + x, x]


def _cmp_fact(rng: random.Random, lhs, target: bool, split: bool, nonneg: bool = False) -> list:
    op, rhs = _rhs_for(rng, _arith_value(lhs), target, nonneg)
    right = _split_rhs(rng, rhs) if split and rng.random() < 0.35 else rhs
    return ["cmp", op, lhs, right]


def _fact(rng: random.Random, kinds: tuple[str, ...], target: bool, level: int) -> list:
    kind = kinds[below(rng, len(kinds))]
    big = level >= 5
    split = level >= 4
    if kind == "const":
        return ["const", target]
    if kind == "addsub":
        hi = 50 if big else 20
        a, b = between(rng, 1, hi), between(rng, 1, hi)
        lhs = ["+" if rng.random() < 0.5 else "-", a, b]
        return _cmp_fact(rng, lhs, target, split)
    if kind == "mul":
        hi = 15 if big else 12
        return _cmp_fact(rng, ["*", between(rng, 2, hi), between(rng, 2, hi)], target, split)
    if kind == "parity":
        a, b = between(rng, 2, 40), between(rng, 2, 40)
        inner = ["+" if rng.random() < 0.5 else "*", a, b] if rng.random() < 0.7 else a
        remainder = _arith_value(inner) % 2
        want = remainder if target else 1 - remainder
        return ["cmp", "==", ["%", inner, 2], want] if rng.random() < 0.7 else \
            ["cmp", "!=", ["%", inner, 2], 1 - want]
    if kind == "prime":
        pool = _PRIME_POOLS[(big, target)]
        return ["prime", pool[below(rng, len(pool))]]
    if kind == "divmod":
        a, b = between(rng, 10, 99), between(rng, 2, 9)
        return _cmp_fact(rng, ["//" if rng.random() < 0.5 else "%", a, b], target, split)
    if kind == "abs":
        a = between(rng, 1, 20)
        b = a + between(rng, 1, 20)
        return _cmp_fact(rng, ["abs", ["-", a, b]], target, split)
    if kind == "len":
        word = WORDS[below(rng, len(WORDS))]
        return _cmp_fact(rng, ["len", word], target, split, nonneg=True)
    if kind == "count":
        word = WORDS[below(rng, len(WORDS))]
        if rng.random() < 0.75:
            letter = word[below(rng, len(word))]
        else:
            absent = [c for c in "abcdefghijklmnoprstuvwy" if c not in word]
            letter = absent[below(rng, len(absent))]
        return _cmp_fact(rng, ["count", word, letter], target, split, nonneg=True)
    if kind == "in":
        word = WORDS[below(rng, len(WORDS))]
        size = between(rng, 2, 4)
        if target:
            start = below(rng, len(word) - size + 1)
            return ["in", word[start:start + size], word]
        for _ in range(8):
            other = WORDS[below(rng, len(WORDS))]
            start = below(rng, max(1, len(other) - size + 1))
            part = other[start:start + size]
            if part not in word:
                return ["in", part, word]
            # A near miss: the word's own letters, reversed, often is not a substring.
            start = below(rng, len(word) - size + 1)
            part = word[start:start + size][::-1]
            if part not in word:
                return ["in", part, word]
        return ["in", "qx", word]
    if kind == "maxmin":
        values = [between(rng, 1, 60) for _ in range(between(rng, 2, 4))]
        return _cmp_fact(rng, ["max" if rng.random() < 0.5 else "min", values], target, split)
    if kind == "three":
        a, b, c = between(rng, 2, 20), between(rng, 2, 12), between(rng, 2, 12)
        shape = below(rng, 5)
        if shape == 0:
            lhs = ["+", a, ["*", b, c]]
        elif shape == 1:
            lhs = ["*", ["+", a, b], c]
        elif shape == 2:
            lhs = ["-", ["*", b, c], a]
        elif shape == 3:
            lhs = ["-", ["-", a + b + c, b], c]
        else:
            lhs = ["%", ["+", a, ["*", b, c]], between(rng, 3, 9)]
        return _cmp_fact(rng, lhs, target, split)
    raise ValueError(f"unknown fact kind {kind!r}")


def _expr(rng: random.Random, depth: int, target: bool, kinds, level: int, budget: int, full: bool,
          allow_not: bool = True) -> tuple[list, str, int]:
    """A tree whose value is `target`, `depth` operators deep on its deepest path (shallower
    where the budget of facts runs out), its text (rendered on the way: one pass), and the
    number of facts it used (<= budget)."""
    if depth <= 0 or budget <= 1:
        fact = _fact(rng, kinds, target, level)
        return fact, _render_fact(fact), 1
    if allow_not and rng.random() < 0.2:
        child, text, used = _expr(rng, depth - 1, not target, kinds, level, budget, full, allow_not=False)
        node = ["not", child]
        return node, _compose(node, [text], full), used
    op = "and" if rng.random() < 0.5 else "or"
    if (op == "and") == target:
        values = (target, target)  # and->True and or->False need both sides equal to the result
    else:
        combos = ((True, False), (False, True), (target, target))
        values = combos[below(rng, 3)]
    depths = [depth - 1, below(rng, depth)]  # one side keeps the full depth
    if rng.random() < 0.5:
        depths.reverse()
    # The left side may use all but one fact; the right side gets what is left.
    left, left_text, used_left = _expr(rng, depths[0], values[0], kinds, level, budget - 1, full)
    right, right_text, used_right = _expr(rng, depths[1], values[1], kinds, level, budget - used_left, full)
    node = [op, left, right]
    return node, _compose(node, [left_text, right_text], full), used_left + used_right


def _facts_in(node, out: list) -> list:
    kind = node[0]
    if kind == "not":
        _facts_in(node[1], out)
    elif kind in ("and", "or"):
        _facts_in(node[1], out)
        _facts_in(node[2], out)
    else:
        out.append(node)
    return out


# --------------------------------------------------------------------------- prompt wording

_FEATURES = ("divmod", "prime", "len", "count", "in", "abs", "maxmin")


_FEATURE_MARKS = {
    "divmod": ("//", "%"),
    "prime": ("is_prime(",),
    "len": ("len(",),
    "count": (".count(",),
    "in": ('" in "',),
    "abs": ("abs(",),
    "maxmin": ("max(", "min("),
}


def _features(texts: list[str]) -> list[str]:
    """The helper notations a task uses, in a fixed order. Words are lowercase letters only, so
    these marks cannot appear inside a string literal."""
    joined = "\n".join(texts)
    return [f for f in _FEATURES if any(mark in joined for mark in _FEATURE_MARKS[f])]


_NOTES = {
    "en": {
        "precedence": "Python rules apply: comparisons are evaluated first, then `not`, then `and`, "
                      "then `or`; parentheses group as usual.",
        "divmod": "`a // b` is integer division rounded down and `a % b` is the remainder "
                  "(only non-negative numbers are divided).",
        "prime": "`is_prime(n)` is True exactly when n is a prime number: an integer greater than 1 "
                 "whose only positive divisors are 1 and n.",
        "len": '`len("word")` is the number of characters in the string.',
        "count": '`"word".count("x")` is how many times the letter x occurs in the string.',
        "in": '`"ab" in "word"` is True when "ab" occurs in the string as a contiguous piece.',
        "abs": "`abs(x)` is the absolute value of x.",
        "maxmin": "`max(...)` and `min(...)` are the largest and the smallest of their arguments.",
    },
    "zh": {
        "precedence": "按 Python 规则计算：先算比较运算，再算 `not`，然后 `and`，最后 `or`；"
                      "括号照常优先。",
        "divmod": "`a // b` 是向下取整的整数除法，`a % b` 是余数（被除的数都是非负数）。",
        "prime": "`is_prime(n)` 当且仅当 n 是质数时为 True：质数是大于 1、且只有 1 和自身两个正因数的整数。",
        "len": '`len("word")` 是字符串的字符个数。',
        "count": '`"word".count("x")` 是字母 x 在字符串中出现的次数。',
        "in": '`"ab" in "word"` 当 "ab" 作为连续的一段出现在字符串中时为 True。',
        "abs": "`abs(x)` 是 x 的绝对值。",
        "maxmin": "`max(...)` 和 `min(...)` 分别是各参数中的最大值和最小值。",
    },
}

_INTROS = {
    "en": (
        "Each option below is a Python boolean expression. Decide which of them evaluate to True.",
        "Evaluate the following Python boolean expressions and find every option whose value is True.",
        "Below are {n} labelled boolean expressions written in Python syntax. Work out the value of "
        "each one and report the options that are True.",
    ),
    "zh": (
        "下面每个选项都是一个 Python 布尔表达式。请判断哪些选项的值为 True。",
        "计算下列 Python 布尔表达式，找出所有值为 True 的选项。",
        "以下是 {n} 个用 Python 语法写成的布尔表达式，请逐个求值，并指出值为 True 的选项。",
    ),
}
_NOTES_HEADER = {"en": ("Notes:", "Rules:"), "zh": ("说明：", "规则：")}
_FORMATS = {
    "en": (
        "At least one option is True. Put the letters of all True options, in alphabetical order "
        "and separated by commas, in \\boxed{{}} at the end of your answer, for example \\boxed{{{ex}}}.",
        "At least one of the options is True. Finish with the letters of every True option inside "
        "\\boxed{{}}, alphabetically and comma-separated, like \\boxed{{{ex}}}.",
    ),
    "zh": (
        "至少有一个选项为 True。请在回答最后把所有值为 True 的选项字母按字母顺序、用逗号隔开写在 "
        "\\boxed{{}} 中，例如 \\boxed{{{ex}}}。",
        "至少有一个选项的值为 True。最后请把全部为 True 的选项字母（按字母顺序，逗号分隔）放进 "
        "\\boxed{{}}，格式如 \\boxed{{{ex}}}。",
    ),
}


def _prompt(options: list[str], features: list[str], language: str, wording: random.Random) -> str:
    n = len(options)
    intro = _INTROS[language][wording.randrange(len(_INTROS[language]))].format(n=n)
    header = _NOTES_HEADER[language][wording.randrange(2)]
    fmt = _FORMATS[language][wording.randrange(len(_FORMATS[language]))]
    example = "A,C" if wording.random() < 0.5 else "B,C"
    notes = _NOTES[language]
    lines = [intro, ""]
    lines += [f"{LETTERS[i]}. {text}" for i, text in enumerate(options)]
    lines += ["", header, f"- {notes['precedence']}"]
    lines += [f"- {notes[f]}" for f in features]
    lines += ["", fmt.format(ex=example)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- scoring helpers

def _unwrap(content: str) -> str:
    """The box content with LaTeX font commands (around the list or around each letter) and
    spacing commands removed. The content is at most 200 characters, so the loop is short."""
    s = _LATEX_SPACE.sub(" ", content)
    for _ in range(3):  # nested wrappers: \\textbf{\\text{A}}
        s = _FONT_COMMAND.sub(r"\1", s)
    return s.strip()


def parse_letters(content: str, n_options: int) -> tuple[list[str] | None, str]:
    """The letters named in a box's content, in the order written, or (None, why)."""
    s = _unwrap(content)
    if not s:
        return None, "empty box"
    items = _SEPARATORS.split(s)
    letters = []
    valid = LETTERS[:n_options]
    for item in items:
        if len(item) != 1 or item not in valid:
            shown = item[:20]
            return None, f"item {shown!r} is not one of the option letters {','.join(valid)}"
        letters.append(item)
    return letters, ""


# --------------------------------------------------------------------------- worked solution

_SOL = {
    "en": {
        "option": "Option {l}: {expr}",
        "facts": "Evaluate each comparison / fact:",
        "subst": "Substituting the values: {expr}",
        "step": "  {expr}",
        "value": "So option {l} is {v}.",
        "prime_small": "{n} < 2, so it is not prime → False",
        "prime_tiny": "{n} is prime → True",
        "prime_yes": "{n} has no divisor from 2 to {r}, so it is prime → True",
        "prime_no": "{n} = {a} × {b}, so it is not prime → False",
        "in_yes": '"{p}" occurs in "{w}" at position {i} → True',
        "in_no": '"{p}" does not occur in "{w}" → False',
        "summary": "The True options are {ls}.",
    },
    "zh": {
        "option": "选项 {l}：{expr}",
        "facts": "逐个计算比较/事实：",
        "subst": "代入各值：{expr}",
        "step": "  {expr}",
        "value": "所以选项 {l} 的值为 {v}。",
        "prime_small": "{n} < 2，不是质数 → False",
        "prime_tiny": "{n} 是质数 → True",
        "prime_yes": "{n} 在 2 到 {r} 之间没有因数，是质数 → True",
        "prime_no": "{n} = {a} × {b}，不是质数 → False",
        "in_yes": '"{p}" 出现在 "{w}" 的第 {i} 位（从 0 数起）→ True',
        "in_no": '"{p}" 没有出现在 "{w}" 中 → False',
        "summary": "值为 True 的选项是 {ls}。",
    },
}


def _arith_reductions(node) -> list[str]:
    """The expression after each innermost-first reduction step, ending with its value."""
    steps = []
    current = node
    while not isinstance(current, int):
        current = _reduce_once(current)
        steps.append(_render_arith(current))
    return steps


def _reduce_once(node):
    """Replace the leftmost innermost operation (all of whose operands are numbers) by its value."""
    if type(node) is int:
        return node
    op = node[0]
    if op in _ARITH_PREC:
        if not isinstance(node[1], int):
            return [op, _reduce_once(node[1]), node[2]]
        if not isinstance(node[2], int):
            return [op, node[1], _reduce_once(node[2])]
        return _arith_value(node)
    if op == "abs":
        if not isinstance(node[1], int):
            return ["abs", _reduce_once(node[1])]
        return _arith_value(node)
    if op in ("max", "min"):
        for i, x in enumerate(node[1]):
            if not isinstance(x, int):
                args = list(node[1])
                args[i] = _reduce_once(x)
                return [op, args]
        return _arith_value(node)
    return _arith_value(node)  # len / count


def _explain_fact(fact, words: dict) -> str:
    kind = fact[0]
    text = _render_fact(fact)
    if kind == "const":
        return f"{text} → {text}"
    if kind == "prime":
        n = fact[1]
        if n < 2:
            why = words["prime_small"].format(n=n)
        elif n < 4:
            why = words["prime_tiny"].format(n=n)
        elif n in _PRIME_SET:
            why = words["prime_yes"].format(n=n, r=int(n ** 0.5))
        else:
            d = next(d for d in range(2, n) if n % d == 0)
            why = words["prime_no"].format(n=n, a=d, b=n // d)
        return f"{text}: {why}"
    if kind == "in":
        part, word = fact[1], fact[2]
        at = word.find(part)
        why = words["in_yes"].format(p=part, w=word, i=at) if at >= 0 else words["in_no"].format(p=part, w=word)
        return f"{text}: {why}"
    # comparison: reduce each side, then compare
    _, op, left, right = fact
    parts = []
    for side in (left, right):
        if not isinstance(side, int):
            parts.append(" = ".join([_render_arith(side)] + _arith_reductions(side)))
    lv, rv = _arith_value(left), _arith_value(right)
    verdict = "True" if _compare(op, lv, rv) else "False"
    parts.append(f"{_render_arith(lv)} {op} {_render_arith(rv)} → {verdict}")
    return f"{text}: " + "; ".join(parts)


def _substitute(node):
    kind = node[0]
    if kind == "not":
        return ["not", _substitute(node[1])]
    if kind in ("and", "or"):
        return [kind, _substitute(node[1]), _substitute(node[2])]
    return ["const", _bool_value(node)]


def _reduce_bool_once(node):
    kind = node[0]
    if kind == "not":
        child = node[1]
        if child[0] != "const":
            return ["not", _reduce_bool_once(child)]
        return ["const", not child[1]]
    if kind in ("and", "or"):
        if node[1][0] != "const":
            return [kind, _reduce_bool_once(node[1]), node[2]]
        if node[2][0] != "const":
            return [kind, node[1], _reduce_bool_once(node[2])]
        return ["const", _bool_value(node)]
    return node


# --------------------------------------------------------------------------- the family

@register
class BooleanExpressions(TaskFamily):
    name = "boolean_expressions"
    env = "lgc-v2"
    id_offset = 600_000_000
    num_seeds = 100_000_000
    languages = ("en", "zh")
    description = "Which labelled Python boolean expressions (and/or/not over computed facts) are True?"

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        n, dmin, dmax, max_facts, full, kinds = LEVELS[difficulty]
        # Every non-trivial truth pattern is equally likely (each option True with probability
        # 1/2, all-True and all-False redrawn), and there are at least 6 options: a constant
        # reply such as \\boxed{A} matches at most 1 task in 62 (a count-first draw made
        # one-letter answers, and with 3 options any set, far likelier).
        while True:
            true_at = {i for i in range(n) if rng.random() < 0.5}
            if 0 < len(true_at) < n:
                break
        trees: list = []
        texts: list[str] = []
        for i in range(n):
            target = i in true_at
            for _attempt in range(20):
                depth = between(rng, dmin, dmax)
                tree, text, _ = _expr(rng, depth, target, kinds, difficulty, max_facts, full)
                if text not in texts:
                    break
            if _bool_value(tree) != target:  # the generator's own consistency check
                raise AssertionError(f"option {LETTERS[i]} evaluates to {not target}, meant {target}")
            trees.append(tree)
            texts.append(text)
        letters = [LETTERS[i] for i in range(n) if i in true_at]
        prompt = _prompt(texts, _features(texts), language, wording)
        metadata = {
            "options": texts,
            "trees": trees,
            "true_letters": letters,
            "fully_bracketed": full,
        }
        return Built(prompt=prompt, answer=f"\\boxed{{{','.join(letters)}}}", metadata=metadata)

    def check(self, task: Task, text: str) -> Verdict:
        content = last_boxed(text, max_len=200)
        if content is None:
            return Verdict(0.0, "no \\boxed{} answer", False)
        n = len(task.metadata["options"])
        letters, why = parse_letters(content, n)
        if letters is None:
            return Verdict(0.0, why, False)
        if len(set(letters)) != len(letters):
            return Verdict(0.0, "a letter is listed more than once", True)
        expected = set(task.metadata["true_letters"])
        got = set(letters)
        if got == expected:
            return Verdict(1.0, "correct", True)
        missing = sorted(expected - got)
        extra = sorted(got - expected)
        return Verdict(0.0, f"wrong set: missing {missing}, extra {extra}", True)

    def worked_solution(self, task: Task) -> str:
        words = _SOL[task.language if task.language in _SOL else "en"]
        full = task.metadata["fully_bracketed"]
        out: list[str] = []
        true_letters = []
        for i, (text, tree) in enumerate(zip(task.metadata["options"], task.metadata["trees"])):
            letter = LETTERS[i]
            out.append(words["option"].format(l=letter, expr=text))
            out.append(words["facts"])
            for fact in _facts_in(tree, []):
                out.append(f"- {_explain_fact(fact, words)}")
            current = _substitute(tree)
            if current[0] != "const":
                out.append(words["subst"].format(expr=_render_bool(current, full)))
                while current[0] != "const":
                    current = _reduce_bool_once(current)
                    out.append(words["step"].format(expr="= " + _render_bool(current, full)))
            value = current[1]
            out.append(words["value"].format(l=letter, v="True" if value else "False"))
            out.append("")
            if value:
                true_letters.append(letter)
        out.append(words["summary"].format(ls=", ".join(true_letters)))
        out.append(f"\\boxed{{{','.join(true_letters)}}}")
        return "\n".join(out)

    def styled_answers(self, task: Task) -> list[str]:
        t = list(task.metadata["true_letters"])
        styles = [
            "\\boxed{" + ", ".join(t) + "}",
            "\\boxed{" + ", ".join(f"\\text{{{x}}}" for x in t) + "}",
            "\\boxed{" + ",\\ ".join(t) + "}",
            "\\boxed{" + ",\\,".join(t) + "}",
            "\\boxed{\\text{" + ", ".join(t) + "}}",
            "\\boxed{\\textbf{" + ",".join(t) + "}}",
            "\\boxed{" + ",".join(f"\\mathrm{{{x}}}" for x in t) + "}",
            "\\boxed{" + " ".join(t) + "}",
            "**Answer:** $\\boxed{" + ", ".join(t) + "}$",
            "The True options are " + " and ".join(t) + ".\n\n\\[\n\\boxed{" + ",~".join(t) + "}\n\\]",
            "\\boxed{" + ",".join(reversed(t)) + "}",
        ]
        if task.language == "zh":
            styles += ["答案：\\boxed{" + "、".join(t) + "}", "所以答案是 $\\boxed{" + "，".join(t) + "}$。"]
        return list(dict.fromkeys(styles))  # one true letter makes some styles coincide

    def trivial_replies(self, difficulty: int) -> list[str]:
        n = LEVELS[difficulty][0]
        singles = [f"\\boxed{{{LETTERS[i]}}}" for i in range(n)]
        return singles + ["\\boxed{A,B}", "\\boxed{A,C}", "\\boxed{" + ",".join(LETTERS[:n - 1]) + "}"]

    def wrong_answers(self, task: Task) -> list[str]:
        n = len(task.metadata["options"])
        truth = list(task.metadata["true_letters"])
        false = [LETTERS[i] for i in range(n) if LETTERS[i] not in truth]
        box = lambda letters: f"\\boxed{{{','.join(sorted(letters))}}}"  # noqa: E731
        wrong = [
            box(truth + [false[0]]),                      # one letter added
            box(truth + [false[-1]]),
            box(truth[1:] + [false[0]]),                  # one letter swapped for a wrong one
            box(LETTERS[:n]),                             # every letter: stuffing
            f"\\boxed{{{truth[0]},{','.join(truth)}}}",   # a letter repeated
            f"\\boxed{{{''.join(truth).lower()}}}" if len(truth) > 1 else f"\\boxed{{{truth[0]},{truth[0]}}}",
            f"{task.answer} or maybe {box([false[0]])}",  # hedging: the last box counts
            f"\\boxed{{{' or '.join(truth + [false[0]])}}}",
        ]
        if len(truth) > 1:
            wrong.append(box(truth[:-1]))                 # one letter removed
        else:
            wrong.append(box(false))                      # the complement
        # LaTeX decoration around a wrong or a doubled answer still scores 0.
        wrong.append("\\boxed{" + ", ".join(f"\\text{{{x}}}" for x in truth + [false[0]]) + "}")
        wrong.append("\\boxed{\\text{" + " or ".join(truth + [false[0]]) + "}}")
        wrong.append("\\boxed{" + ",\\ ".join(truth) + "} \\boxed{" + ",\\ ".join(sorted(truth + [false[0]])) + "}")
        return wrong
