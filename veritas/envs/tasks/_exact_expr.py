"""A safe parser for untrusted arithmetic: non-negative integer literals, binary + - * /, and
round brackets. Nothing is evaluated by Python; the result is a tree that _arith_search
evaluates exactly.

    parse_expression("8 / (3 - 8/3)")  ->  ("/", 8, ("-", 3, ("/", 8, 3)))

Accepted spellings: ``+``; ``-`` or ``−`` (U+2212); ``*`` or ``×``; ``/`` or ``÷``; any
whitespace between tokens. Everything else is an ExprError whose message says what was wrong:
``**`` and ``//`` (named, because Python users reach for them), any other character (``%``,
``^``, ``.``, letters, ``=``, other brackets), unary plus or minus, a number directly before a
bracket or a bracket directly before a number (implicit multiplication), literals with a leading
zero (``08`` must not pass for 8), brackets nested deeper than ``max_depth``, more than
``max_numbers`` literals, and text longer than ``max_chars``. The work is linear in the text,
and the recursion depth is bounded by ``max_depth``.
"""

from __future__ import annotations

from veritas.envs.tasks._arith_search import Expr

_OPERATOR_SPELLINGS = {"+": "+", "-": "-", "\u2212": "-", "*": "*", "\u00d7": "*", "/": "/", "\u00f7": "/"}
_DIGITS = frozenset("0123456789")


class ExprError(ValueError):
    """The text is not an expression this parser accepts; str(error) says why."""


def tokenize(text: str, max_chars: int = 500, max_numbers: int = 16) -> list[tuple[str, object]]:
    """Tokens as (kind, value): ("num", int), ("op", "+-*/"), ("(", None), (")", None)."""
    if len(text) > max_chars:
        raise ExprError(f"expression longer than {max_chars} characters")
    tokens: list[tuple[str, object]] = []
    numbers = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in _DIGITS:
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] in ".,eE_":
                raise ExprError(f"not an integer literal at position {i}: decimals and digit separators are not allowed")
            literal = text[i:j]
            if len(literal) > 1 and literal[0] == "0":
                raise ExprError(f"number with a leading zero: {literal!r}")
            numbers += 1
            if numbers > max_numbers:
                raise ExprError(f"more than {max_numbers} numbers")
            tokens.append(("num", int(literal)))
            i = j
            continue
        if c in _OPERATOR_SPELLINGS:
            op = _OPERATOR_SPELLINGS[c]
            nxt = text[i + 1] if i + 1 < n else ""
            if op == "*" and c == "*" and nxt == "*":
                raise ExprError("the power operator ** is not allowed")
            if op == "/" and c == "/" and nxt == "/":
                raise ExprError("floor division // is not allowed")
            tokens.append(("op", op))
            i += 1
            continue
        if c == "(" or c == ")":
            tokens.append((c, None))
            i += 1
            continue
        raise ExprError(f"character {c!r} is not allowed (only integers, + - * / and round brackets)")
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ; factor := NUM | '(' expr ')'"""

    def __init__(self, tokens: list[tuple[str, object]], max_depth: int):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.max_depth = max_depth

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expr(self) -> Expr:
        node = self.term()
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "op" or tok[1] not in ("+", "-"):
                return node
            self.pos += 1
            node = (tok[1], node, self.term())

    def term(self) -> Expr:
        node = self.factor()
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "op" or tok[1] not in ("*", "/"):
                return node
            self.pos += 1
            node = (tok[1], node, self.factor())

    def factor(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise ExprError("expression ends where a number or '(' was expected")
        kind, value = tok
        if kind == "num":
            self.pos += 1
            self._no_implicit_product()
            return value  # type: ignore[return-value]
        if kind == "(":
            self.depth += 1
            if self.depth > self.max_depth:
                raise ExprError(f"brackets nested deeper than {self.max_depth}")
            self.pos += 1
            node = self.expr()
            closing = self.peek()
            if closing is None or closing[0] != ")":
                raise ExprError("'(' is never closed")
            self.pos += 1
            self.depth -= 1
            self._no_implicit_product()
            return node
        if kind == "op" and value in ("+", "-"):
            raise ExprError(f"unary {value} is not allowed")
        if kind == "op":
            raise ExprError(f"operator {value} where a number was expected")
        raise ExprError("')' where a number was expected")

    def _no_implicit_product(self) -> None:
        tok = self.peek()
        if tok is not None and tok[0] in ("num", "("):
            raise ExprError("implicit multiplication (a number or bracket right after another) is not allowed")


def parse_expression(text: str, max_chars: int = 500, max_numbers: int = 16, max_depth: int = 32) -> Expr:
    """The expression tree of text, or ExprError."""
    tokens = tokenize(text, max_chars=max_chars, max_numbers=max_numbers)
    if not tokens:
        raise ExprError("empty expression")
    parser = _Parser(tokens, max_depth)
    tree = parser.expr()
    if parser.pos != len(tokens):
        kind, value = tokens[parser.pos]
        raise ExprError(f"unexpected {value if kind == 'op' else kind!r} after a complete expression")
    return tree
