"""operation (lgc-v2 type 2): evaluate an expression built from operators the prompt defines.

The prompt defines one to four operators on numbers, e.g. `a ⊕ b = 2*a + b` or, with a
condition, `a ⊗ b = a*b - 3 if a > b, otherwise a ⊗ b = a + b`; states their precedence and
associativity (and, where the expression also uses ordinary + - *, that every defined operator
binds tighter than those); and asks for the exact value of an expression such as
`3 ⊕ 4 ⊗ (-2)`. Everything needed is stated in the prompt:
- `a` and `b` are the values of the operands after they are computed; `*` is multiplication,
  `/` exact division (results may be fractions: arithmetic is exact, never rounded).
- Conditions are tested on exact values, fractions included (`7/2 > 3` is true).
- `x is even` / `x is odd` hold only for integers: for a non-integer x both are false, so the
  "otherwise" case applies. (The original generator silently used the default branch whenever an
  operand was not a Python int, and did not say so; here the rule is stated whenever a parity
  condition appears, and comparisons are always tested.)
Generation uses exact arithmetic (ints, fractions.Fraction); a candidate whose intermediate
values leave the level's bound (|value| and denominator) is redrawn.

The reply gives the value in the last `\\boxed{}`. Accepted forms (whitespace ignored, `−` read
as `-`), compared by exact value:
- an integer: `\\boxed{-12}`;
- a fraction `p/q` with an optional leading minus, q > 0, not necessarily reduced: `\\boxed{-7/2}`
  (and `\\boxed{-14/4}`) for -3.5;
- LaTeX `\\frac{p}{q}` / `\\dfrac` / `\\tfrac`, optionally preceded by `-`;
- a terminating decimal that equals the value exactly: `\\boxed{-3.5}`; `0.333` for 1/3 is wrong.
Anything else in the box (`x = 5`, `3 or 4`, `7/2 ≈ 3.5`, `2 1/2`, a unit) is unreadable:
score 0, format_ok False. Scores are 1 or 0.

Difficulty (operators / applications in the expression / features):
  1: 1 operator,   1-2 applications; no conditions; operands 1..19
  2: 2 operators,  2-3 applications; comparison conditions; distinct precedence levels
  3: 2-3 operators, 3-4 applications; + parity conditions, division (fractions), negative operands
  4: 3 operators,  4-5 applications; + ordinary + - * in the expression, right-to-left groups,
     shared precedence levels
  5: 3-4 operators, 5-6 applications; + an operator defined through an earlier one
(value bound: |intermediate| <= 1,000 at level 1, 10,000 at 2-3, 100,000 at 4-5; denominators
<= 64.)
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

from veritas.envs.answers import last_boxed
from veritas.envs.base import Built, Task, TaskFamily, Verdict
from veritas.envs.registry import register
from veritas.envs.tasks._picks import below, between

SYMBOLS = ("⊕", "⊗", "⊙", "⊘", "⊛", "△", "▽", "◇", "☆", "♠", "♣", "♦", "⊞", "⊠")

# level -> settings
LEVELS: dict[int, dict] = {
    1: dict(ops=(1, 1), apps=(1, 2), cond=0.0, parity=False, div=False, neg=0.0, ordinary=(0, 0),
            right=0.0, shared=False, ref=False, bound=1_000, operand_max=19),
    2: dict(ops=(2, 2), apps=(2, 3), cond=0.5, parity=False, div=False, neg=0.0, ordinary=(0, 0),
            right=0.0, shared=False, ref=False, bound=10_000, operand_max=9),
    3: dict(ops=(2, 3), apps=(3, 4), cond=0.6, parity=True, div=True, neg=0.15, ordinary=(0, 0),
            right=0.0, shared=False, ref=False, bound=10_000, operand_max=12),
    4: dict(ops=(3, 3), apps=(4, 5), cond=0.6, parity=True, div=True, neg=0.15, ordinary=(1, 1),
            right=0.5, shared=True, ref=False, bound=100_000, operand_max=12),
    5: dict(ops=(3, 4), apps=(5, 6), cond=0.7, parity=True, div=True, neg=0.15, ordinary=(1, 2),
            right=0.5, shared=True, ref=True, bound=100_000, operand_max=12),
}
MAX_DENOMINATOR = 64
_ATTEMPTS = 200

# Ordinary operators: precedence 1 (+ -) and 2 (* /), left to right. A defined operator on
# level L has precedence 10 + L: every defined operator binds tighter than ordinary arithmetic.
_ORDINARY = {"+": 1, "-": 1, "*": 2, "/": 2}
_CUSTOM_BASE = 10


class _OutOfBounds(Exception):
    """A candidate's value left the level's bound; the generator draws another."""


# --------------------------------------------------------------------------- exact numbers

def _norm(x):
    """Fractions with denominator 1 become ints: ints are much faster and print plainly."""
    if type(x) is Fraction and x.denominator == 1:
        return x.numerator
    return x


def _arith(op: str, x, y):
    if op == "+":
        return _norm(x + y)
    if op == "-":
        return _norm(x - y)
    if op == "*":
        return _norm(x * y)
    if op == "/":
        if y == 0:
            raise ZeroDivisionError("division by zero")
        return _norm(Fraction(x) / y)
    raise ValueError(f"unknown operator {op!r}")


def _is_integer(x) -> bool:
    return type(x) is int


def fmt_value(x) -> str:
    """An exact value as the answer writes it: 12, -7/2."""
    if type(x) is int:
        return str(x)
    return f"{x.numerator}/{x.denominator}"


def _fmt_operand(x) -> str:
    """A value inside a larger expression: negative numbers and fractions in brackets."""
    if type(x) is int and x >= 0:
        return str(x)
    return f"({fmt_value(x)})"


# --------------------------------------------------------------------------- trees
# Nodes (tuples internally, parsed back from the metadata strings):
#   int | Fraction      a number
#   "a" | "b"           an operand of the definition being applied
#   (op, l, r)          ordinary + - * /
#   ("app", sym, l, r)  a defined operator
#   conditions: ("cmp", op, l, r) with op in > < >= <=, ("even", x), ("odd", x)

def _prec(node, custom_prec: dict) -> int:
    if type(node) is tuple:
        if node[0] == "app":
            return custom_prec.get(node[1], _CUSTOM_BASE)
        return _ORDINARY[node[0]]
    return 100


def render(node, custom_prec: dict, custom_assoc: dict, full: bool = False, top: bool = True) -> str:
    """The text of an expression with only the brackets its precedence rules need (or, with
    full=True, every operation bracketed). Inside a definition every application of a defined
    operator is bracketed, which `custom_prec` = {} signals."""
    if type(node) is not tuple:
        if node == "a" or node == "b":
            return node
        return fmt_value(node) if top else _fmt_operand(node)
    if node[0] == "app":
        sym, left, right = node[1], node[2], node[3]
        if sym in custom_prec:
            p, assoc = custom_prec[sym], custom_assoc[sym]
        else:  # inside a definition
            p, assoc = _CUSTOM_BASE, "left"
        sep = f" {sym} "
    else:
        sym, left, right = node[0], node[1], node[2]
        p, assoc = _ORDINARY[sym], "left"
        # Definitions write 2*a; expressions space every operator, so that `2 * 3 ⊕ 4` does not
        # look like (2*3) ⊕ 4.
        sep = f" {sym} " if sym in "+-" or custom_prec else sym
    ls = render(left, custom_prec, custom_assoc, full, False)
    rs = render(right, custom_prec, custom_assoc, full, False)
    lp, rp = _prec(left, custom_prec), _prec(right, custom_prec)
    if type(left) is tuple and (full or lp < p or (lp == p and assoc == "right")):
        ls = f"({ls})"
    if type(right) is tuple and (full or rp < p or (rp == p and assoc == "left")):
        rs = f"({rs})"
    text = f"{ls}{sep}{rs}"
    if node[0] == "app" and node[1] not in custom_prec and not top:
        text = f"({text})"
    return text


def render_formula(node) -> str:
    return render(node, {}, {}, False, True)


def render_condition(cond, language: str = "canonical") -> str:
    kind = cond[0]
    if kind == "cmp":
        return f"{render_formula(cond[2])} {cond[1]} {render_formula(cond[3])}"
    inner = render_formula(cond[1])
    if language == "en":
        return f"{inner} is {'even' if kind == 'even' else 'odd'}"
    if language == "zh":
        return f"{inner} 是{'偶数' if kind == 'even' else '奇数'}"
    return f"{kind}({inner})"


# --------------------------------------------------------------------------- evaluation

class Operators:
    """The defined operators of one task: cases, precedence and associativity."""

    __slots__ = ("defs", "prec", "assoc")

    def __init__(self, defs: dict, prec: dict, assoc: dict):
        self.defs = defs    # sym -> [(condition or None, formula), ...]; the None case is "otherwise"
        self.prec = prec    # sym -> precedence (10 + level)
        self.assoc = assoc  # sym -> "left" | "right"


def _condition_holds(cond, a, b, legacy: bool = False, bound: int = 0) -> bool:
    if legacy and not (_is_integer(a) and _is_integer(b)):
        # The original generator's bug, kept only to produce a plausible wrong answer.
        return False
    kind = cond[0]
    if kind == "cmp":
        # The reader computes the condition's sides too, so they obey the same bound.
        x, y = _eval_formula(cond[2], a, b, None, bound), _eval_formula(cond[3], a, b, None, bound)
        op = cond[1]
        return x > y if op == ">" else x < y if op == "<" else x >= y if op == ">=" else x <= y
    x = _eval_formula(cond[1], a, b, None, bound)
    if not _is_integer(x):
        return False
    return (x % 2 == 0) == (kind == "even")


def _choose_case(ops: Operators, sym: str, a, b, legacy: bool = False, bound: int = 0):
    for cond, formula in ops.defs[sym]:
        if cond is None or _condition_holds(cond, a, b, legacy, bound):
            return cond, formula
    raise ValueError(f"operator {sym} has no case for {a}, {b}")


def _check_bound(x, bound: int):
    if bound:
        if type(x) is int:
            if x > bound or x < -bound:
                raise _OutOfBounds
        elif x.denominator > MAX_DENOMINATOR or abs(x.numerator) > bound * x.denominator:
            raise _OutOfBounds
    return x


def _eval_formula(node, a, b, ops, bound: int, legacy: bool = False):
    t = type(node)
    if t is str:
        return a if node == "a" else b
    if t is not tuple:
        return node
    if node[0] == "app":
        x = _eval_formula(node[2], a, b, ops, bound, legacy)
        y = _eval_formula(node[3], a, b, ops, bound, legacy)
        return apply_op(ops, node[1], x, y, bound, legacy)
    x = _eval_formula(node[1], a, b, ops, bound, legacy)
    y = _eval_formula(node[2], a, b, ops, bound, legacy)
    return _check_bound(_arith(node[0], x, y), bound)


def apply_op(ops: Operators, sym: str, x, y, bound: int = 0, legacy: bool = False):
    _, formula = _choose_case(ops, sym, x, y, legacy, bound)
    return _check_bound(_eval_formula(formula, x, y, ops, bound, legacy), bound)


def evaluate(node, ops: Operators, bound: int = 0, legacy: bool = False):
    """The exact value of an expression (no free a/b). bound > 0 raises _OutOfBounds."""
    return _eval_formula(node, None, None, ops, bound, legacy)


# --------------------------------------------------------------------------- parsing (metadata strings)

_TOKEN = re.compile(r"\s*(?:(\d+)|([ab])|(>=|<=|[-+*/()<>])|(\S))")


def _tokenize(text: str) -> list:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read {text!r} at {pos}")
        num, var, punct, other = m.groups()
        if num is not None:
            tokens.append(int(num))
        else:
            tokens.append(var or punct or other)
        pos = m.end()
    return tokens


class _Parser:
    """Precedence climbing over the token list; custom symbols take their precedence and
    associativity from the task (generator-written strings only: model text is never parsed
    here)."""

    def __init__(self, tokens: list, prec: dict, assoc: dict):
        self.tokens = tokens
        self.i = 0
        self.prec = prec
        self.assoc = assoc

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def binary_info(self, tok):
        if type(tok) is str:
            if tok in _ORDINARY:
                return _ORDINARY[tok], "left"
            if tok in self.prec:
                return self.prec[tok], self.assoc[tok]
        return None

    def expr(self, min_prec: int = 0):
        left = self.primary()
        while True:
            info = self.binary_info(self.peek())
            if info is None or info[0] < min_prec:
                return left
            op = self.take()
            p, assoc = info
            right = self.expr(p + 1 if assoc == "left" else p)
            left = ("app", op, left, right) if op in self.prec else (op, left, right)

    def primary(self):
        tok = self.take()
        if type(tok) is int or tok in ("a", "b"):
            return tok
        if tok == "-" and type(self.peek()) is int:
            return -self.take()
        if tok == "(":
            inner = self.expr()
            if self.take() != ")":
                raise ValueError("unbalanced brackets")
            return inner
        raise ValueError(f"unexpected token {tok!r}")


def parse(text: str, prec: dict, assoc: dict):
    parser = _Parser(_tokenize(text), prec, assoc)
    node = parser.expr()
    if parser.i != len(parser.tokens):
        raise ValueError(f"trailing text in {text!r}")
    return node


def parse_condition(text: str, prec: dict, assoc: dict):
    text = text.strip()
    for kind in ("even", "odd"):
        if text.startswith(kind + "(") and text.endswith(")"):
            return (kind, parse(text[len(kind) + 1:-1], prec, assoc))
    for op in (">=", "<=", ">", "<"):
        at = text.find(f" {op} ")
        if at >= 0:
            return ("cmp", op, parse(text[:at], prec, assoc), parse(text[at + len(op) + 2:], prec, assoc))
    raise ValueError(f"cannot read condition {text!r}")


def operators_from_metadata(meta: dict) -> Operators:
    prec = {o["symbol"]: _CUSTOM_BASE + o["level"] for o in meta["operators"]}
    assoc = {o["symbol"]: o["assoc"] for o in meta["operators"]}
    defs = {}
    for o in meta["operators"]:
        defs[o["symbol"]] = [
            (None if cond is None else parse_condition(cond, prec, assoc), parse(formula, prec, assoc))
            for cond, formula in o["cases"]
        ]
    return Operators(defs, prec, assoc)


# --------------------------------------------------------------------------- generation

def _formula(rng: random.Random, allow_div: bool, ref: str | None):
    p, q, c = between(rng, 2, 4), between(rng, 2, 4), between(rng, 1, 9)
    if ref is not None and rng.random() < 0.6:
        app = ("app", ref, "a", "b")
        k = below(rng, 5)
        if k == 0:
            return ("+", app, c)
        if k == 1:
            return ("*", app, p)
        if k == 2:
            return ("-", app, "a")
        if k == 3:
            return ("app", ref, ("+", "b", c), "a")
        return ("-", app, ("*", q, "b"))
    if allow_div and rng.random() < 0.3:
        k = below(rng, 5)
        if k == 0:
            return ("/", ("+", "a", "b"), p)
        if k == 1:
            return ("/", ("-", "a", "b"), p)
        if k == 2:
            return ("+", ("/", "a", p), "b")
        if k == 3:
            return ("/", ("*", "a", "b"), p)
        return ("-", "a", ("/", "b", p))
    k = below(rng, 11)
    if k == 0:
        return ("+", ("*", p, "a"), "b")
    if k == 1:
        return ("-", ("*", p, "a"), "b")
    if k == 2:
        return ("+", "a", ("*", q, "b"))
    if k == 3:
        return ("-", ("+", "a", "b"), c)
    if k == 4:
        return ("+", ("*", "a", "b"), c)
    if k == 5:
        return ("-", ("*", "a", "b"), "a")
    if k == 6:
        return ("-", ("*", "a", "b"), ("+", "a", "b"))
    if k == 7:
        return ("-", ("*", "a", "a"), "b")
    if k == 8:
        return ("*", ("-", "a", "b"), p)
    if k == 9:
        return ("+", ("*", p, "a"), ("*", q, "b"))
    return ("-", ("*", p, "b"), "a")


def _condition(rng: random.Random, parity: bool):
    if parity and rng.random() < 0.5:
        k = below(rng, 5)
        kind = "even" if rng.random() < 0.5 else "odd"
        inner = ("a", "b", ("+", "a", "b"), ("-", "a", "b"), ("*", "a", "b"))[k]
        return (kind, inner)
    k = below(rng, 6)
    if k == 0:
        return ("cmp", ">", "a", "b")
    if k == 1:
        return ("cmp", "<", "a", "b")
    if k == 2:
        return ("cmp", ">=", "a", "b")
    if k == 3:
        return ("cmp", ">", ("+", "a", "b"), between(rng, 4, 15))
    if k == 4:
        return ("cmp", "<", ("*", "a", "b"), between(rng, 10, 40))
    return ("cmp", "<=", "a", ("*", 2, "b"))


def _shape(rng: random.Random, n: int, labels: list, leaf):
    """A random binary tree with n internal nodes labelled in pre-order from `labels`."""
    if n == 0:
        return leaf()
    label = labels.pop()
    k = below(rng, n)
    left = _shape(rng, k, labels, leaf)
    right = _shape(rng, n - 1 - k, labels, leaf)
    if label in _ORDINARY:
        return (label, left, right)
    return ("app", label, left, right)


def _draw(rng: random.Random, cfg: dict):
    """One candidate: (Operators, levels, expression)."""
    n_ops = between(rng, *cfg["ops"])
    syms = rng.sample(SYMBOLS, n_ops)
    # Precedence levels 1..n: distinct, or (shared=True) possibly equal for neighbours.
    if cfg["shared"] and n_ops > 1 and rng.random() < 0.5:
        levels = [1 + below(rng, n_ops - 1) for _ in syms]
    else:
        levels = list(range(1, n_ops + 1))
        rng.shuffle(levels)
    distinct = sorted(set(levels))
    right_levels = [lv for lv in distinct if rng.random() < cfg["right"]] if cfg["right"] else []
    prec = {s: _CUSTOM_BASE + lv for s, lv in zip(syms, levels)}
    assoc = {s: ("right" if lv in right_levels else "left") for s, lv in zip(syms, levels)}
    defs = {}
    used: list = []  # formulas already given to an operator: each operator gets its own
    for i, s in enumerate(syms):
        ref = syms[i - 1] if cfg["ref"] and i > 0 and rng.random() < 0.5 else None
        first = _formula(rng, cfg["div"], ref)
        for _ in range(4):
            if first not in used:
                break
            first = _formula(rng, cfg["div"], ref)
        used.append(first)
        if rng.random() < cfg["cond"]:
            second = _formula(rng, cfg["div"], None)
            for _ in range(4):
                if second not in used:
                    break
                second = _formula(rng, cfg["div"], None)
            used.append(second)
            defs[s] = [(_condition(rng, cfg["parity"]), first), (None, second)]
        else:
            defs[s] = [(None, first)]
    ops = Operators(defs, prec, assoc)

    n_apps = between(rng, *cfg["apps"])
    labels = list(syms) + [syms[below(rng, n_ops)] for _ in range(max(0, n_apps - n_ops))]
    labels += ["+-*"[below(rng, 3)] for _ in range(between(rng, *cfg["ordinary"]))]
    rng.shuffle(labels)

    # Level 1 draws operands from 1..19 (not 1..9): with one or two applications of a small
    # formula, single digits made a few values (0, -1) common enough to learn as a constant.
    neg = cfg["neg"]
    hi = cfg["operand_max"]

    def leaf():
        v = between(rng, 1, hi)
        return -v if neg and rng.random() < neg else v

    expr = _shape(rng, len(labels), labels, leaf)
    return ops, dict(zip(syms, levels)), expr


def _generate(rng: random.Random, level: int):
    cfg = LEVELS[level]
    for _ in range(_ATTEMPTS):
        ops, levels, expr = _draw(rng, cfg)
        try:
            value = evaluate(expr, ops, cfg["bound"])
        except _OutOfBounds:
            continue
        return ops, levels, expr, value
    raise RuntimeError(f"operation: no candidate within bounds after {_ATTEMPTS} draws at level {level}")


# --------------------------------------------------------------------------- prompt wording

_INTROS = {
    "en": (
        "New operators are defined on numbers as follows:",
        "Consider the following operators, defined for any numbers a and b:",
        "In this problem some unusual operators are defined:",
    ),
    "zh": (
        "对任意数 a、b，定义如下新运算：",
        "下面定义了几种新的运算符：",
        "本题中定义了以下运算：",
    ),
}
_TASK_LINE = {
    "en": ("Compute:", "Evaluate:", "Find the value of:"),
    "zh": ("计算：", "求值：", "求下式的值："),
}
_FORMATS = {
    "en": (
        "Give the exact value in \\boxed{}: an integer such as \\boxed{-12}, or a fraction such as \\boxed{7/2}.",
        "Write the exact result in \\boxed{} at the end - an integer (e.g. \\boxed{15}) or a fraction p/q "
        "(e.g. \\boxed{-5/3}).",
    ),
    "zh": (
        "请把精确结果写在 \\boxed{} 中：整数如 \\boxed{-12}，分数如 \\boxed{7/2}。",
        "最后请在 \\boxed{} 中给出精确值——整数（如 \\boxed{15}）或分数 p/q（如 \\boxed{-5/3}）。",
    ),
}


def _definition_line(sym: str, cases: list, texts: list[str], language: str) -> str:
    """cases: [(condition, formula)]; texts: the formulas' texts, rendered once by build()."""
    cond = cases[0][0]
    if cond is None:
        return f"a {sym} b = {texts[0]}"
    c = render_condition(cond, language)
    if language == "zh":
        return f"当 {c} 时，a {sym} b = {texts[0]}；否则 a {sym} b = {texts[1]}"
    return f"a {sym} b = {texts[0]} if {c}, otherwise a {sym} b = {texts[1]}"


def _join(items: list[str], language: str) -> str:
    if language == "zh":
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _group_text(group: list[str], language: str) -> str:
    if len(group) == 1:
        return group[0]
    joined = _join(group, language)
    return f"{joined}（同级）" if language == "zh" else f"{joined} (equal)"


def _grouping_rule(group: list[str], by_level: dict, levels: dict, direction: str, language: str) -> str:
    """'⊕ and ⊗ group from left to right: for example ...'. Associativity belongs to a whole
    precedence level; where two operators share a level, the example mixes them."""
    x = y = group[0]
    for s in group:
        mates = by_level[levels[s]]
        if len(mates) > 1:
            x, y = mates[0], mates[1]
            break
    if direction == "left":
        example = f"x {x} y {y} z", f"(x {x} y) {y} z"
    else:
        example = f"x {x} y {y} z", f"x {x} (y {y} z)"
    names = _join(group, language)
    if language == "zh":
        way = "从左到右" if direction == "left" else "从右到左"
        return f"{names} {way}结合：例如 {example[0]} 表示 {example[1]}。"
    way = "from left to right" if direction == "left" else "from right to left"
    verb = "groups" if len(group) == 1 else "group"
    return f"{names} {verb} {way}: for example {example[0]} means {example[1]}."


def _rules(ops: Operators, levels: dict, syms: list, has_ordinary: bool, has_div: bool,
           has_parity: bool, language: str) -> list[str]:
    zh = language == "zh"
    by_level: dict[int, list[str]] = {}
    for s in syms:
        by_level.setdefault(levels[s], []).append(s)
    order = sorted(by_level, reverse=True)  # tightest first
    rules = []
    if len(syms) > 1:
        groups = [_group_text(by_level[lv], language) for lv in order]
        if len(groups) == 1:
            rules.append("所有自定义运算优先级相同。" if zh else "All defined operators have the same precedence.")
        else:
            rules.append(("优先级从高到低：" if zh else "Precedence, from tightest to loosest: ")
                         + ("，然后 " if zh else ", then ").join(groups) + ("。" if zh else "."))
    for direction in ("left", "right"):
        group = [s for s in syms if ops.assoc[s] == direction]
        if group:
            rules.append(_grouping_rule(group, by_level, levels, direction, language))
    if has_ordinary:
        s0 = syms[0]
        if zh:
            rules.append(f"自定义运算比普通的 +、-、* 结合得更紧（普通运算按通常规则）：2 * 3 {s0} 4 表示 2 * (3 {s0} 4)。")
        else:
            rules.append(f"Every defined operator binds tighter than the ordinary +, - and * (which follow the "
                         f"usual rules): 2 * 3 {s0} 4 means 2 * (3 {s0} 4).")
    if zh:
        rules.append("定义中的 a、b 是左右两个运算对象算出的值；* 是乘法，/ 是精确除法。括号内的部分先算。")
    else:
        rules.append("In a definition, a and b are the values of the left and right operands once computed; "
                     "* is multiplication and / exact division. Brackets are evaluated first.")
    if has_div:
        rules.append("所有运算都是精确的，除法不取整，结果可以是分数，如 7/2。" if zh else
                     "All arithmetic is exact: nothing is rounded, so values may be fractions such as 7/2.")
    if any(cases[0][0] is not None for cases in ops.defs.values()):
        rules.append("条件按精确值判断（分数也一样）：例如 7/2 > 3 成立。" if zh else
                     "Conditions are tested on the exact values, fractions included: 7/2 > 3 is true.")
    if has_parity:
        rules.append("“是偶数”“是奇数”只对整数成立：非整数既不是偶数也不是奇数，因此对非整数这两个条件都不成立，"
                     "使用“否则”的定义。" if zh else
                     "\"x is even\" and \"x is odd\" can only hold for integers: a non-integer is neither even nor "
                     "odd, so for a non-integer x both conditions are false and the \"otherwise\" case applies.")
    return rules


def _features(ops: Operators, texts: dict, expr) -> tuple[bool, bool, bool]:
    """(ordinary operators in the expression, a division in a definition, a parity condition)."""
    has_div = any("/" in t for ts in texts.values() for t in ts)
    has_parity = any(cond is not None and cond[0] in ("even", "odd")
                     for cases in ops.defs.values() for cond, _ in cases)
    return _has_ordinary(expr), has_div, has_parity


def _has_ordinary(node) -> bool:
    if type(node) is not tuple:
        return False
    if node[0] == "app":
        return _has_ordinary(node[2]) or _has_ordinary(node[3])
    return True


# --------------------------------------------------------------------------- reply parsing

_INT_OR_FRACTION = re.compile(r"(-?\d{1,60})(?:/(\d{1,60}))?")
_DECIMAL = re.compile(r"(-?)(\d{1,60})\.(\d{1,60})")
_LATEX_FRACTION = re.compile(r"(-?)\\[dt]?frac\{(-?\d{1,60})\}\{(\d{1,60})\}")


# LaTeX decoration around one value: `\\text{17}`, `\\mathbf{17}`, spacing `\\,` `\\ ` `\\;` `~`.
_LATEX_SPACE = re.compile(r"\\(?:[,;:! ]|quad|qquad)|~")
_FONT_WRAPPED = re.compile(r"\\(?:text|mathrm|textbf|mathbf)\{([^{}]*)\}")


def parse_exact_number(content: str) -> Fraction | None:
    """The exact value written in a box, or None when it is not one of the accepted forms.
    LaTeX spacing commands and one font command around the whole value are decoration."""
    s = _LATEX_SPACE.sub(" ", content)
    s = "".join(s.split()).replace("−", "-")
    m = _FONT_WRAPPED.fullmatch(s)
    if m:
        s = m.group(1)
    m = _INT_OR_FRACTION.fullmatch(s)
    if m:
        num, den = m.group(1), m.group(2)
        if den is None:
            return Fraction(int(num))
        if int(den) == 0:
            return None
        return Fraction(int(num), int(den))
    m = _DECIMAL.fullmatch(s)
    if m:
        sign = -1 if m.group(1) else 1
        whole, frac = m.group(2), m.group(3)
        return sign * Fraction(int(whole + frac), 10 ** len(frac))
    m = _LATEX_FRACTION.fullmatch(s)
    if m:
        if int(m.group(3)) == 0:
            return None
        value = Fraction(int(m.group(2)), int(m.group(3)))
        return -value if m.group(1) else value
    return None


# --------------------------------------------------------------------------- worked solution

_SOL = {
    "en": {
        "grouping": "By the precedence and grouping rules the expression reads: {expr}",
        "order": "Evaluate the operations innermost first.",
        "step": "Step {k}: {what}",
        "plain": "{expr} = {value}",
        "rule": "{a} {sym} {b}: rule a {sym} b = {formula} with a = {a}, b = {b}: {chain}",
        "cond_yes": "{a} {sym} {b}: condition {cond} holds ({check}), so a {sym} b = {formula}; with a = {a}, "
                    "b = {b}: {chain}",
        "cond_no": "{a} {sym} {b}: condition {cond} does not hold ({check}), so the otherwise case "
                   "a {sym} b = {formula} applies; with a = {a}, b = {b}: {chain}",
        "inner": "  (inner application) {what}",
        "holds": "{statement} is true",
        "fails": "{statement} is false",
        "nonint": "{chain}, not an integer, so neither even nor odd",
        "parity": "{chain}, which is {kind}",
        "even": "even",
        "odd": "odd",
        "final": "The value of the expression is {value}.",
    },
    "zh": {
        "grouping": "按优先级和结合规则，表达式即：{expr}",
        "order": "从最内层的运算开始逐步计算。",
        "step": "第 {k} 步：{what}",
        "plain": "{expr} = {value}",
        "rule": "{a} {sym} {b}：用 a {sym} b = {formula}，a = {a}，b = {b}：{chain}",
        "cond_yes": "{a} {sym} {b}：条件 {cond} 成立（{check}），所以 a {sym} b = {formula}；a = {a}，b = {b}：{chain}",
        "cond_no": "{a} {sym} {b}：条件 {cond} 不成立（{check}），所以用“否则”的定义 a {sym} b = {formula}；"
                   "a = {a}，b = {b}：{chain}",
        "inner": "  （内层运算）{what}",
        "holds": "{statement} 成立",
        "fails": "{statement} 不成立",
        "nonint": "{chain}，不是整数，既不是偶数也不是奇数",
        "parity": "{chain}，是{kind}",
        "even": "偶数",
        "odd": "奇数",
        "final": "表达式的值为 {value}。",
    },
}


def _substitute(node, a, b):
    t = type(node)
    if t is str:
        return a if node == "a" else b
    if t is not tuple:
        return node
    if node[0] == "app":
        return ("app", node[1], _substitute(node[2], a, b), _substitute(node[3], a, b))
    return (node[0], _substitute(node[1], a, b), _substitute(node[2], a, b))


def _is_number(node) -> bool:
    return type(node) is int or type(node) is Fraction


class _Writer:
    def __init__(self, ops: Operators, words: dict, language: str):
        self.ops = ops
        self.words = words
        self.language = language
        self.lines: list[str] = []

    def arithmetic_chain(self, node, indent: str) -> tuple[str, object]:
        """'2*3 + 4 = 6 + 4 = 10' for a substituted formula, reducing innermost first; applications
        of defined operators met on the way are written as their own inner steps."""
        shown = [render_formula(node)]
        while not _is_number(node):
            node = self.reduce_once(node, indent)
            text = render_formula(node)
            if text != shown[-1]:
                shown.append(text)
        return " = ".join(shown), node

    def reduce_once(self, node, indent: str):
        if node[0] == "app":
            if not _is_number(node[2]):
                return ("app", node[1], self.reduce_once(node[2], indent), node[3])
            if not _is_number(node[3]):
                return ("app", node[1], node[2], self.reduce_once(node[3], indent))
            headline, inner, value = self.application(node[1], node[2], node[3], indent + "  ")
            # Innermost first: the inner application's own inner steps, then the application.
            self.lines.extend(inner)
            self.lines.append(indent + self.words["inner"].format(what=headline))
            return value
        if not _is_number(node[1]):
            return (node[0], self.reduce_once(node[1], indent), node[2])
        if not _is_number(node[2]):
            return (node[0], node[1], self.reduce_once(node[2], indent))
        return _arith(node[0], node[1], node[2])

    def condition_check(self, cond, a, b) -> str:
        """'3 + 4 = 7; 7 > 5 is true' for a condition at the given operands."""
        w = self.words
        if cond[0] == "cmp":
            parts = []
            values = []
            for side in (cond[2], cond[3]):
                chain, value = self._quiet_chain(_substitute(side, a, b))
                if " = " in chain:
                    parts.append(chain)
                values.append(value)
            statement = f"{fmt_value(values[0])} {cond[1]} {fmt_value(values[1])}"
            holds = _condition_holds(cond, a, b)
            parts.append((w["holds"] if holds else w["fails"]).format(statement=statement))
            return "; ".join(parts)
        chain, value = self._quiet_chain(_substitute(cond[1], a, b))
        if not _is_integer(value):
            return w["nonint"].format(chain=chain)
        return w["parity"].format(chain=chain, kind=w["even"] if value % 2 == 0 else w["odd"])

    def _quiet_chain(self, node):
        # Conditions use only + - * on a and b: no inner applications are written.
        saved = self.lines
        self.lines = []
        chain, value = self.arithmetic_chain(node, "")
        self.lines = saved
        return chain, value

    def application(self, sym: str, a, b, indent: str):
        """(headline, lines of inner steps, value) for one application of a defined operator."""
        w = self.words
        saved = self.lines
        self.lines = []
        cond, formula = _choose_case(self.ops, sym, a, b)
        cases = self.ops.defs[sym]
        chain, value = self.arithmetic_chain(_substitute(formula, a, b), indent)
        inner_lines = self.lines
        self.lines = saved
        args = dict(a=_fmt_operand(a), b=_fmt_operand(b), sym=sym, formula=render_formula(formula), chain=chain)
        if len(cases) == 1:
            text = w["rule"].format(**args)
        else:
            first_cond = cases[0][0]
            check = self.condition_check(first_cond, a, b)
            key = "cond_yes" if cond is not None else "cond_no"
            text = w[key].format(cond=render_condition(first_cond, self.language), check=check, **args)
        return text, inner_lines, value


def _post_order(node, out: list) -> list:
    if type(node) is tuple:
        if node[0] == "app":
            _post_order(node[2], out)
            _post_order(node[3], out)
        else:
            _post_order(node[1], out)
            _post_order(node[2], out)
        out.append(node)
    return out


# --------------------------------------------------------------------------- the family

@register
class Operation(TaskFamily):
    name = "operation"
    env = "lgc-v2"
    id_offset = 200_000_000
    num_seeds = 100_000_000
    languages = ("en", "zh")
    description = "Evaluate an expression over operators defined in the prompt (conditions, precedence), exactly."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        ops, levels, expr, value = _generate(rng, difficulty)
        syms = list(ops.defs)
        expression = render(expr, ops.prec, ops.assoc)
        texts = {s: [render_formula(f) for _, f in ops.defs[s]] for s in syms}
        has_ordinary, has_div, has_parity = _features(ops, texts, expr)

        intro = _INTROS[language][wording.randrange(3)]
        task_line = _TASK_LINE[language][wording.randrange(3)]
        fmt = _FORMATS[language][wording.randrange(2)]
        header = ("规则：" if language == "zh" else "Rules:")
        lines = [intro, ""]
        lines += [_definition_line(s, ops.defs[s], texts[s], language) for s in syms]
        lines += ["", header]
        lines += [f"- {r}" for r in _rules(ops, levels, syms, has_ordinary, has_div, has_parity, language)]
        lines += ["", f"{task_line}{'' if language == 'zh' else ' '}{expression}", "", fmt]

        metadata = {
            "operators": [
                {
                    "symbol": s,
                    "level": levels[s],
                    "assoc": ops.assoc[s],
                    "cases": [[None if c is None else render_condition(c), t] for (c, _), t in zip(ops.defs[s], texts[s])],
                }
                for s in syms
            ],
            "expression": expression,
            "value": fmt_value(value),
        }
        return Built(prompt="\n".join(lines), answer=f"\\boxed{{{fmt_value(value)}}}", metadata=metadata)

    def check(self, task: Task, text: str) -> Verdict:
        content = last_boxed(text, max_len=200)
        if content is None:
            return Verdict(0.0, "no \\boxed{} answer", False)
        got = parse_exact_number(content)
        if got is None:
            return Verdict(0.0, f"box content {content[:40]!r} is not an integer, fraction or decimal", False)
        if got == Fraction(task.metadata["value"]):
            return Verdict(1.0, "correct", True)
        return Verdict(0.0, "wrong value", True)

    def styled_answers(self, task: Task) -> list[str]:
        value = Fraction(task.metadata["value"])
        text = fmt_value(value)
        styles = [
            f"The value is $\\boxed{{{text}}}$.",
            f"**Final answer:** \\boxed{{{text}}}",
            f"\\[\n\\boxed{{ {text} }}\n\\]",
            f"\\boxed{{\\text{{{text}}}}}",
            f"\\boxed{{\\mathbf{{{text}}}}}",
            f"\\boxed{{\\, {text}\\,}}",
        ]
        if value.denominator == 1:
            styles.append(f"\\boxed{{{value.numerator}.0}}")
        else:
            sign = "-" if value < 0 else ""
            styles.append(f"\\boxed{{{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}}}")
            styles.append(f"\\boxed{{{sign}\\dfrac{{{abs(value.numerator)}}}{{{value.denominator}}}}}")
        if task.language == "zh":
            styles.append(f"所以结果是 $\\boxed{{{text}}}$。")
        return styles

    def trivial_replies(self, difficulty: int) -> list[str]:
        return [f"\\boxed{{{v}}}" for v in (0, 1, -1, 2, -2, 3, 4, 5, 6, 8, 10, 12, "1/2", "-1/2")]

    def worked_solution(self, task: Task) -> str:
        language = task.language if task.language in _SOL else "en"
        words = _SOL[language]
        ops = operators_from_metadata(task.metadata)
        expr = parse(task.metadata["expression"], ops.prec, ops.assoc)
        writer = _Writer(ops, words, language)
        out = writer.lines
        if len(_post_order(expr, [])) > 1:
            out.append(words["grouping"].format(expr=render(expr, ops.prec, ops.assoc, full=True)))
        out.append(words["order"])
        values: dict[int, object] = {}

        def value_of(node):
            return values[id(node)] if type(node) is tuple else node

        for k, node in enumerate(_post_order(expr, []), 1):
            if node[0] == "app":
                a, b = value_of(node[2]), value_of(node[3])
                headline, inner, value = writer.application(node[1], a, b, "")
                out.extend(inner)
                out.append(words["step"].format(k=k, what=headline))
            else:
                a, b = value_of(node[1]), value_of(node[2])
                value = _arith(node[0], a, b)
                shown = f"{_fmt_operand(a)} {node[0]} {_fmt_operand(b)}"
                out.append(words["step"].format(k=k, what=words["plain"].format(expr=shown, value=fmt_value(value))))
            values[id(node)] = value
        final = fmt_value(value_of(expr))
        out.append(words["final"].format(value=final))
        out.append(f"\\boxed{{{final}}}")
        return "\n".join(out)

    def wrong_answers(self, task: Task) -> list[str]:
        meta = task.metadata
        right = Fraction(meta["value"])
        ops = operators_from_metadata(meta)
        candidates = [right + 1, right - 1, -right, right * 2]
        if right.denominator != 1:
            candidates += [Fraction(int(right)), Fraction(right.numerator), 1 / right]
        # Plausible misreadings: every defined operator on one level, left to right; the levels
        # reversed; the original generator's "non-integers take the default branch" bug.
        flat_prec = {s: _CUSTOM_BASE for s in ops.prec}
        flat_assoc = {s: "left" for s in ops.prec}
        top = max(ops.prec.values())
        reversed_prec = {s: _CUSTOM_BASE + top - p + 1 for s, p in ops.prec.items()}
        readings = [
            (flat_prec, flat_assoc, False),
            (reversed_prec, ops.assoc, False),
            (ops.prec, flat_assoc, False),
            (ops.prec, ops.assoc, True),
        ]
        for prec, assoc, legacy in readings:
            try:
                tree = parse(meta["expression"], prec, assoc)
                misread = Operators(ops.defs, prec, assoc)
                candidates.append(Fraction(evaluate(tree, misread, 0, legacy)))
            except (ValueError, ZeroDivisionError, _OutOfBounds):
                continue
        seen = {right}
        wrong = []
        for c in candidates:
            if c not in seen:
                seen.add(c)
                wrong.append(f"\\boxed{{{fmt_value(_norm(c))}}}")
        wrong.append(f"\\boxed{{{fmt_value(_norm(right))}, {fmt_value(_norm(right + 1))}}}")  # two answers
        wrong.append(f"{task.answer} or \\boxed{{{fmt_value(_norm(right - 1))}}}")        # hedge: last box counts
        return wrong
