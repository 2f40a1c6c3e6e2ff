"""What the program generator knows about values: kinds, bounds, and how loops change them.

An `Info` describes every value a variable or expression may hold: its kind and bounds (the
interval of an int, the length range of a str/list/dict, the bounds of elements). Productions
compute their result's Info from their operands', soundly; the generator relies on it to keep
indexes in range, divisors non-zero, max() arguments non-empty and numbers small.
"""

from __future__ import annotations

from itertools import accumulate

INT, STR, LINT, LSTR, DICT, TUP, BOOL = "int", "str", "lint", "lstr", "dict", "tup", "bool"
LIST_KINDS = (LINT, LSTR)
MAX_ABS = 10**6  # no int value may exceed this in absolute value
MAX_STR = 48  # longest string a production may build
MAX_LIST = 24  # longest list a production may build
MAX_PRINT_REPR = 110  # longest repr a print may show (prints of longer values show len() instead)
MAX_LINE = 120  # longest line a print statement may write

# Operator precedence, for parenthesising only where Python needs it.
ATOM, POW, UNARY, MUL, ADD, CMP, NOT, AND, OR, COND = 100, 90, 80, 70, 60, 40, 30, 20, 10, 5


class Info:
    """What the generator knows about a value (see the module docstring)."""

    __slots__ = ("kind", "lo", "hi", "minlen", "maxlen", "smin", "smax", "keys")

    def __init__(self, kind, lo=0, hi=0, minlen=0, maxlen=0, smin=0, smax=0, keys=()):
        self.kind = kind
        self.lo, self.hi = lo, hi  # int value; list elements; dict values; tuple elements
        self.minlen, self.maxlen = minlen, maxlen  # str/list length; dict size; tuple length
        self.smin, self.smax = smin, smax  # lstr element lengths; dict key lengths
        self.keys = keys  # dict: keys certainly present

    def union(self, other: "Info") -> "Info | None":
        if other.kind != self.kind or (self.kind == TUP and other.maxlen != self.maxlen):
            return None
        return Info(
            self.kind,
            min(self.lo, other.lo),
            max(self.hi, other.hi),
            min(self.minlen, other.minlen),
            max(self.maxlen, other.maxlen),
            min(self.smin, other.smin),
            max(self.smax, other.smax),
            tuple(k for k in self.keys if k in other.keys),
        )


def I_int(lo, hi):
    return Info(INT, lo, hi)


def I_str(minlen, maxlen):
    return Info(STR, minlen=minlen, maxlen=maxlen)


class E:
    """A generated expression: source text, precedence, and what its value is."""

    __slots__ = ("text", "prec", "info")

    def __init__(self, text, prec, info):
        self.text, self.prec, self.info = text, prec, info


def par(e: E, need: int) -> str:
    return e.text if e.prec >= need else f"({e.text})"


class Growth:
    """The total effect of a loop on one frozen variable, accumulated while the body is written."""

    __slots__ = ("plus", "minus", "resets", "len_plus", "elem", "shown")

    def __init__(self):
        self.plus = 0  # most the value (or a dict value) can rise through additions
        self.minus = 0  # most it can fall
        self.resets: list[Info] = []  # values it may be set to outright (mod, max, plain assignment)
        self.len_plus = 0  # most elements/characters/keys it can gain
        self.elem: Info | None = None  # what new elements / values / keys look like
        self.shown = False  # printed whole inside the loop: its repr must stay printable

    def add_elem(self, info: Info) -> None:
        self.elem = info if self.elem is None else (self.elem.union(info) or self.elem)

    def snapshot(self) -> tuple:
        return (self.plus, self.minus, len(self.resets), self.len_plus, self.elem)

    def restore(self, snap: tuple) -> None:
        self.plus, self.minus, n_resets, self.len_plus, self.elem = snap
        del self.resets[n_resets:]


class Var:
    __slots__ = ("name", "info", "depth", "frozen", "growth", "readonly")

    def __init__(self, name, info, depth, frozen=False, growth=None, readonly=False):
        self.name, self.info, self.depth = name, info, depth
        self.frozen, self.growth, self.readonly = frozen, growth, readonly


class Loop:
    __slots__ = ("max_iter", "min_iter")

    def __init__(self, max_iter, min_iter):
        self.max_iter, self.min_iter = max_iter, min_iter


class FuncSig:
    __slots__ = ("name", "params", "ret")

    def __init__(self, name, params, ret):
        self.name, self.params, self.ret = name, params, ret


class Choice:
    """A weighted choice table, prepared once (cumulative weights + bisect)."""

    __slots__ = ("cum", "total", "items")

    def __init__(self, pairs):
        self.cum = tuple(accumulate(w for w, _ in pairs))
        self.total = self.cum[-1]
        self.items = tuple(item for _, item in pairs)


def is_constant(e: E) -> bool:
    return e.info.lo == e.info.hi and e.text.lstrip("-").isdigit()


def digits(n: int) -> int:
    return len(str(abs(n))) + (1 if n < 0 else 0)


def int_repr_len(info: Info) -> int:
    return max(digits(info.lo), digits(info.hi))


def repr_len(info: Info) -> int:
    """An upper bound on len(repr(value)) (used to keep printed lines short)."""
    k = info.kind
    if k == INT:
        return int_repr_len(info)
    if k == STR:
        return info.maxlen + 2
    if k == BOOL:
        return 5
    if k == LINT or k == TUP:
        return 2 + info.maxlen * (int_repr_len(info) + 2)
    if k == LSTR:
        return 2 + info.maxlen * (info.smax + 4)
    if k == DICT:
        return 2 + info.maxlen * (info.smax + 6 + int_repr_len(info))
    return 1000


def fits(value: Info, slot: Info) -> bool:
    """True when every value described by `value` is also described by `slot` (for arguments)."""
    if value.kind != slot.kind:
        return False
    k = value.kind
    if k == INT:
        return slot.lo <= value.lo and value.hi <= slot.hi
    if k == STR:
        return slot.minlen <= value.minlen and value.maxlen <= slot.maxlen
    if k == LINT:
        return (
            slot.minlen <= value.minlen and value.maxlen <= slot.maxlen and slot.lo <= value.lo and value.hi <= slot.hi
        )
    if k == LSTR:
        return (
            slot.minlen <= value.minlen
            and value.maxlen <= slot.maxlen
            and slot.smin <= value.smin
            and value.smax <= slot.smax
        )
    return k == BOOL


def is_small(info: Info) -> bool:
    return -MAX_ABS <= info.lo and info.hi <= MAX_ABS


def apply_growth(info: Info, g: Growth) -> Info:
    k = info.kind
    if k == INT:
        base = info
        for r in g.resets:
            base = base.union(r) or base
        return I_int(base.lo - g.minus, base.hi + g.plus)
    if k == STR:
        return I_str(info.minlen, info.maxlen + g.len_plus)
    if k in LIST_KINDS:
        e = g.elem
        if e is None:
            return info
        if k == LINT:
            return Info(
                LINT,
                min(info.lo, e.lo) if info.maxlen else e.lo,
                max(info.hi, e.hi) if info.maxlen else e.hi,
                info.minlen,
                info.maxlen + g.len_plus,
            )
        return Info(
            LSTR,
            minlen=info.minlen,
            maxlen=info.maxlen + g.len_plus,
            smin=min(info.smin, e.minlen) if info.maxlen else e.minlen,
            smax=max(info.smax, e.maxlen),
        )
    if k == DICT:
        lo, hi = info.lo, info.hi
        if info.maxlen == 0 and g.resets:
            lo, hi = g.resets[0].lo, g.resets[0].hi
        for r in g.resets:
            lo, hi = min(lo, r.lo), max(hi, r.hi)
        smin, smax = info.smin, info.smax
        if g.elem is not None:
            smin = min(smin, g.elem.smin) if info.maxlen else g.elem.smin
            smax = max(smax, g.elem.smax)
        return Info(DICT, lo - g.minus, hi + g.plus, info.minlen, info.maxlen + g.len_plus, smin, smax, info.keys)
    return info
