"""Expression productions of the program generator: literals, ints, strings, lists, dicts,
tuples, conditions and calls, each with the bounds of its value (see values.py).

A production takes an expression budget `b` (how much deeper it may nest) and returns an `E`,
or None when it does not apply here (no variable of the kind it needs, a result that would
grow too large...); `gen` then tries another. Lists and dicts are never produced as a bare
variable name: a copy or a transformation is always a fresh object, so no two names alias one
list and a loop can never mutate the container it walks.
"""

from __future__ import annotations

import re
from bisect import bisect

from veritas.envs.tasks.trace import vocab
from veritas.envs.tasks.trace.values import (
    ADD,
    AND,
    ATOM,
    BOOL,
    CMP,
    COND,
    DICT,
    INT,
    LINT,
    LSTR,
    MAX_ABS,
    MAX_LIST,
    MAX_STR,
    MUL,
    NOT,
    OR,
    POW,
    STR,
    TUP,
    UNARY,
    E,
    Choice,
    Info,
    Var,
    I_int,
    I_str,
    fits,
    int_repr_len,
    digits,
    is_constant,
    is_small,
    par,
    repr_len,
)

IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")  # identifiers in generated text
OPS = Choice(((3, "+"), (2, "-"), (2, "*"), (1, "//"), (1.5, "%"), (0.3, "**")))


class ExpressionWriter:
    """The expression half of ProgramGenerator (which sets up the state used here: rng, vars,
    loops, functions, safe_index, lv)."""

    # -- randomness helpers (rng.random() based: fast and stable across Python versions) -----

    def randint(self, lo: int, hi: int) -> int:
        return lo + int(self.r() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self.r() * len(seq))]

    def pick_var(self, vs: list):
        """A variable, favouring the most recently defined ones (code reads what it just made)."""
        x = self.r()
        return vs[int((1.0 - x * x) * len(vs))]

    def chance(self, p: float) -> bool:
        return self.r() < p

    def weighted(self, choice: Choice):
        return choice.items[bisect(choice.cum, self.r() * choice.total)]

    # -- output ------------------------------------------------------------------------------

    def emit(self, text: str) -> None:
        self.out.append("    " * self.indent + text)

    # -- names -------------------------------------------------------------------------------

    def fresh(self, pool, avoid=()) -> str:
        """A name from the pool (sometimes with a prefix or suffix) not in use here."""
        for attempt in range(12):
            name = self.pick(pool)
            roll = self.r()
            if roll < 0.15:
                name = self.pick(vocab.NAME_PREFIXES) + name
            elif roll < 0.27:
                name = name + self.pick(vocab.NAME_SUFFIXES)
            if name not in self.vars and name not in self.reserved and name not in avoid:
                return name
        n = 2
        base = self.pick(pool)
        while f"{base}{n}" in self.vars or f"{base}{n}" in self.reserved or f"{base}{n}" in avoid:
            n += 1
        return f"{base}{n}"

    def name_pool(self, kind):
        return {
            INT: vocab.INT_NAMES,
            STR: vocab.STR_NAMES,
            LINT: vocab.LINT_NAMES,
            LSTR: vocab.LSTR_NAMES,
            DICT: vocab.DICT_NAMES,
            TUP: vocab.TUP_NAMES,
            BOOL: vocab.BOOL_NAMES,
        }[kind]

    def define(self, name: str, info: Info, readonly: bool = False) -> None:
        self.vars[name] = Var(name, info, len(self.loops), readonly=readonly)
        if name in self.recent:
            self.recent.remove(name)
        self.recent.append(name)

    def readable(self, kind) -> list[Var]:
        """Variables of this kind whose bounds may be used (not loop-carried in a loop)."""
        return [v for v in self.vars.values() if v.info.kind == kind and not v.frozen]

    # -- literals ----------------------------------------------------------------------------

    def word(self, minlen: int = 1, maxlen: int = 99) -> str:
        for _ in range(6):
            w = self.pick(vocab.WORDS)
            if minlen <= len(w) <= maxlen:
                return w
        letters = vocab.LETTERS
        start = self.randint(0, 20)
        return letters[start : start + max(minlen, min(maxlen, 3))]

    def q(self, s: str) -> str:
        return f'"{s}"'

    def lit_int(self, lo=None, hi=None) -> E:
        if lo is None:
            roll = self.r()
            if roll < 0.6:
                v = self.randint(0, 12)
            elif roll < 0.85:
                v = self.randint(10, 99)
            elif roll < 0.95:
                v = -self.randint(1, 9)
            else:
                v = self.randint(100, 999)
        else:
            v = self.randint(lo, hi)
        return E(str(v), ATOM if v >= 0 else UNARY, I_int(v, v))

    def lit_str(self, minlen=1, maxlen=MAX_STR) -> E:
        roll = self.r()
        if roll < 0.75 or maxlen < 7:
            s = self.word(minlen, maxlen)
        elif roll < 0.9:
            s = self.word(1, 6) + self.pick(vocab.SEPARATORS[:10]) + self.word(1, 6)
        else:
            start = self.randint(0, 22)
            s = vocab.LETTERS[start : start + self.randint(2, 4)]
        if not minlen <= len(s) <= maxlen:
            s = self.word(minlen, maxlen)
        return E(self.q(s), ATOM, I_str(len(s), len(s)))

    def lit_lint(self, minlen=2, maxlen=6, lo=-9, hi=30) -> E:
        n = self.randint(minlen, maxlen)
        vals = [self.randint(lo, hi) for _ in range(n)]
        return E(
            "[" + ", ".join(map(str, vals)) + "]", ATOM, Info(LINT, min(vals, default=0), max(vals, default=0), n, n)
        )

    def lit_lstr(self, minlen=2, maxlen=5, smin=1, smax=8) -> E:
        n = self.randint(minlen, maxlen)
        ws = [self.word(smin, smax) for _ in range(n)]
        lens = [len(w) for w in ws]
        return E(
            "[" + ", ".join(self.q(w) for w in ws) + "]",
            ATOM,
            Info(LSTR, minlen=n, maxlen=n, smin=min(lens, default=0), smax=max(lens, default=0)),
        )

    def lit_dict(self) -> E:
        n = self.randint(1, 4)
        keys: list[str] = []
        for _ in range(n * 2):
            w = self.word(1, 7)
            if w not in keys:
                keys.append(w)
            if len(keys) == n:
                break
        vals = [self.randint(0, 20) for _ in keys]
        text = "{" + ", ".join(f"{self.q(k)}: {v}" for k, v in zip(keys, vals)) + "}"
        lens = [len(k) for k in keys]
        return E(text, ATOM, Info(DICT, min(vals), max(vals), len(keys), len(keys), min(lens), max(lens), tuple(keys)))

    def literal_fitting(self, slot: Info) -> E:
        k = slot.kind
        if k == INT:
            return self.lit_int(slot.lo, slot.hi)
        if k == STR:
            return self.lit_str(slot.minlen, slot.maxlen)
        if k == LINT:
            return self.lit_lint(slot.minlen, slot.maxlen, slot.lo, slot.hi)
        if k == LSTR:
            return self.lit_lstr(slot.minlen, slot.maxlen, slot.smin, slot.smax)
        return E(self.pick(("True", "False")), ATOM, Info(BOOL))

    # -- expressions -------------------------------------------------------------------------

    def gen(self, kind, b: int) -> E:
        """An expression of this kind: a production drawn by weight, retried when it does not
        apply here, a literal as the last resort. (The hottest function of the generator.)"""
        table = self._productions[kind]
        cum, total, items, r = table.cum, table.total, table.items, self.r
        for _ in range(4):
            e = items[bisect(cum, r() * total)](self, b)
            if e is not None:
                return e
        return self._literal[kind](self)

    def gen_fitting(self, slot: Info, b: int) -> E:
        for _ in range(3):
            e = self.gen(slot.kind, b)
            if fits(e.info, slot):
                return e
        return self.literal_fitting(slot)

    # ints

    def int_lit(self, b):
        return self.lit_int()

    def int_var(self, b):
        vs = self.readable(INT)
        if not vs:
            return None
        v = self.pick_var(vs)
        return E(v.name, ATOM, v.info)

    def int_arith(self, b):
        if b <= 0:
            return None
        a = self.gen(INT, b - 1)
        if is_constant(a):
            a = self.int_var(b) or a
        op = self.weighted(OPS)
        if op in ("+", "-"):
            c = self.gen(INT, b - 1)
            if c.info.lo == c.info.hi and c.info.lo < 0:  # a + -3 reads badly: a - 3
                c = E(str(-c.info.lo), ATOM, I_int(-c.info.lo, -c.info.lo))
                op = "-" if op == "+" else "+"
            if op == "+":
                info = I_int(a.info.lo + c.info.lo, a.info.hi + c.info.hi)
            else:
                info = I_int(a.info.lo - c.info.hi, a.info.hi - c.info.lo)
            text = f"{par(a, ADD)} {op} {par(c, ADD + 1)}"
            prec = ADD
        elif op == "*":
            if self.chance(0.6) or max(abs(a.info.lo), abs(a.info.hi)) > 1000:
                c = self.lit_int(2, 9)
            else:
                c = self.gen(INT, b - 1)
            corners = (a.info.lo * c.info.lo, a.info.lo * c.info.hi, a.info.hi * c.info.lo, a.info.hi * c.info.hi)
            info = I_int(min(corners), max(corners))
            text, prec = f"{par(a, MUL)} * {par(c, MUL + 1)}", MUL
        elif op == "//":
            d = self.randint(2, 9)
            info = I_int(a.info.lo // d, a.info.hi // d)
            text, prec = f"{par(a, MUL)} // {d}", MUL
        elif op == "%":
            d = self.randint(2, 13)
            info = I_int(0, d - 1)
            text, prec = f"{par(a, MUL)} % {d}", MUL
        else:
            m = max(abs(a.info.lo), abs(a.info.hi))
            if m > 300:
                return None
            info = I_int(0 if a.info.lo < 0 < a.info.hi or a.info.lo == 0 else min(a.info.lo**2, a.info.hi**2), m * m)
            text, prec = f"{par(a, ATOM)} ** 2", POW
        if not is_small(info):
            return None
        return E(text, prec, info)

    def int_len(self, b):
        kinds = (STR, LINT, LSTR, DICT)
        vs = [v for v in self.vars.values() if v.info.kind in kinds and not v.frozen]
        if vs and self.chance(0.75):
            v = self.pick_var(vs)
            return E(f"len({v.name})", ATOM, I_int(v.info.minlen, v.info.maxlen))
        if b <= 0:
            return None
        e = self.gen(self.pick(kinds), b - 1)
        return E(f"len({e.text})", ATOM, I_int(e.info.minlen, e.info.maxlen))

    def int_aggregate(self, b):
        vs = self.readable(LINT)
        if not vs:
            return None
        v = self.pick_var(vs)
        i = v.info
        roll = self.r()
        if roll < 0.35:
            lo = min(i.minlen * i.lo, i.maxlen * i.lo)
            hi = max(i.minlen * i.hi, i.maxlen * i.hi)
            return E(f"sum({v.name})", ATOM, I_int(lo, hi))
        if roll < 0.65:
            fn = self.pick(("max", "min"))
            if i.minlen >= 1:
                return E(f"{fn}({v.name})", ATOM, I_int(i.lo, i.hi))
            return E(f"{fn}({v.name}, default=0)", ATOM, I_int(min(i.lo, 0), max(i.hi, 0)))
        if roll < 0.8:
            x = self.fresh(vocab.LOOP_ELEM_INT_NAMES)
            c = self.randint(i.lo, i.hi) if i.lo <= i.hi else 0
            op = self.pick((">", "<", ">=", "!=", "=="))
            if self.chance(0.5):
                return E(f"sum(1 for {x} in {v.name} if {x} {op} {c})", ATOM, I_int(0, i.maxlen))
            return E(f"len([{x} for {x} in {v.name} if {x} % 2 == {self.randint(0, 1)}])", ATOM, I_int(0, i.maxlen))
        if roll < 0.9:
            c = self.randint(i.lo, i.hi) if i.lo <= i.hi else 0
            return E(f"{v.name}.count({c})", ATOM, I_int(0, i.maxlen))
        x = self.fresh(vocab.LOOP_ELEM_INT_NAMES)
        m = max(abs(i.lo), abs(i.hi))
        if m > 1000:
            return None
        hi = i.maxlen * m * m
        if hi > MAX_ABS:
            return None
        return E(f"sum({x} * {x} for {x} in {v.name})", ATOM, I_int(0, hi))

    def int_index(self, b):
        for name, idx in self.safe_index:
            v = self.vars.get(name)
            if v is not None and v.info.kind == LINT and not v.frozen and idx in self.vars and self.chance(0.5):
                return E(f"{name}[{idx}]", ATOM, I_int(v.info.lo, v.info.hi))
        vs = [v for v in self.vars.values() if v.info.kind in (LINT, TUP) and v.info.minlen >= 1 and not v.frozen]
        if not vs:
            return None
        v = self.pick_var(vs)
        n = v.info.minlen
        roll = self.r()
        if roll < 0.45:
            idx = str(self.randint(0, n - 1))
        elif roll < 0.75:
            idx = str(-self.randint(1, n))
        else:
            idx = f"len({v.name}) // 2" if v.info.kind == LINT else "0"
        return E(f"{v.name}[{idx}]", ATOM, I_int(v.info.lo, v.info.hi))

    def int_of_str(self, b):
        vs = self.readable(STR)
        if not vs:
            return None
        v = self.pick_var(vs)
        roll = self.r()
        if roll < 0.4:
            return E(f'{v.name}.count("{self.pick(vocab.VOWELS + "rstln")}")', ATOM, I_int(0, v.info.maxlen))
        if roll < 0.7:
            return E(f'{v.name}.find("{self.pick(vocab.LETTERS)}")', ATOM, I_int(-1, max(0, v.info.maxlen - 1)))
        if v.info.minlen >= 1:
            return E(f"ord({v.name}[0])", ATOM, I_int(32, 126))
        return E(f"len({v.name}.split())", ATOM, I_int(0, v.info.maxlen))

    def int_of_dict(self, b):
        vs = self.readable(DICT)
        if not vs:
            return None
        v = self.pick_var(vs)
        i = v.info
        roll = self.r()
        if roll < 0.2 and i.keys:
            return E(f"{v.name}[{self.q(self.pick(i.keys))}]", ATOM, I_int(i.lo, i.hi))
        if roll < 0.55:
            key = self.pick(i.keys) if i.keys and self.chance(0.6) else self.word(1, 7)
            d = self.pick((0, 0, -1, 1))
            return E(f"{v.name}.get({self.q(key)}, {d})", ATOM, I_int(min(i.lo, d), max(i.hi, d)))
        if roll < 0.8:
            lo = min(i.minlen * i.lo, i.maxlen * i.lo)
            hi = max(i.minlen * i.hi, i.maxlen * i.hi)
            return E(f"sum({v.name}.values())", ATOM, I_int(lo, hi))
        if i.minlen >= 1:
            return E(f"{self.pick(('max', 'min'))}({v.name}.values())", ATOM, I_int(i.lo, i.hi))
        return None

    def int_call(self, b):
        return self.call(INT, b)

    def conditional(self, kind, b, hull):
        """`a if cond else c`; hull(a.info, c.info) bounds a value that may come from either branch."""
        if b <= 0:
            return None
        a = self.gen(kind, b - 1)
        c = self.gen(kind, b - 1)
        cond = self.gen(BOOL, b - 1)
        return E(f"{par(a, OR)} if {par(cond, OR)} else {par(c, COND)}", COND, hull(a.info, c.info))

    def int_cond(self, b):
        return self.conditional(INT, b, lambda x, y: I_int(min(x.lo, y.lo), max(x.hi, y.hi)))

    def int_misc(self, b):
        if b <= 0:
            return None
        a = self.gen(INT, b - 1)
        i = a.info
        roll = self.r()
        if roll < 0.3:
            lo = 0 if i.lo <= 0 <= i.hi else min(abs(i.lo), abs(i.hi))
            return E(f"abs({a.text})", ATOM, I_int(lo, max(abs(i.lo), abs(i.hi))))
        if roll < 0.65:
            c = self.gen(INT, b - 1)
            fn = self.pick(("min", "max"))
            if fn == "min":
                info = I_int(min(i.lo, c.info.lo), min(i.hi, c.info.hi))
            else:
                info = I_int(max(i.lo, c.info.lo), max(i.hi, c.info.hi))
            return E(f"{fn}({a.text}, {c.text})", ATOM, info)
        if roll < 0.8 and i.lo >= 0:
            return E(f"int(str({a.text})[::-1])", ATOM, I_int(0, 10 ** digits(i.hi) - 1))
        return E(f"round({a.text}, -1)", ATOM, I_int(i.lo - 5, i.hi + 5))

    # strings

    def str_lit(self, b):
        return self.lit_str()

    def str_var(self, b):
        vs = self.readable(STR)
        if not vs:
            return None
        v = self.pick_var(vs)
        return E(v.name, ATOM, v.info)

    def str_method(self, b):
        a = self.str_var(b) if self.chance(0.7) else None
        if a is None:
            if b <= 0:
                return None
            a = self.gen(STR, b - 1)
        i = a.info
        roll = self.r()
        if roll < 0.4:
            m = self.pick(("upper", "lower", "title", "capitalize", "swapcase"))
            return E(f"{par(a, ATOM)}.{m}()", ATOM, i)
        if roll < 0.6:
            c1 = self.pick(vocab.VOWELS)
            c2 = self.pick(vocab.LETTERS + "*-_" + "!")
            if self.chance(0.3):
                return E(f'{par(a, ATOM)}.replace("{c1}", "")', ATOM, I_str(0, i.maxlen))
            return E(f'{par(a, ATOM)}.replace("{c1}", "{c2}")', ATOM, i)
        if roll < 0.75:
            c1, c2 = self.pick(vocab.LETTERS), self.pick(vocab.VOWELS)
            chars = c1 + c2 if c1 != c2 else c1
            return E(f'{par(a, ATOM)}.strip("{chars}")', ATOM, I_str(0, i.maxlen))
        if roll < 0.88:
            w = self.randint(i.maxlen + 1, i.maxlen + 4) if i.maxlen < 20 else i.maxlen
            fill = self.pick(("*", ".", "-", "0", "#"))
            fn = self.pick(("rjust", "center", "zfill"))
            if fn == "zfill":
                return E(f"{par(a, ATOM)}.zfill({w})", ATOM, I_str(max(w, i.minlen), max(w, i.maxlen)))
            return E(f'{par(a, ATOM)}.{fn}({w}, "{fill}")', ATOM, I_str(max(w, i.minlen), max(w, i.maxlen)))
        if i.minlen >= 1:
            return E(f"{par(a, ATOM)}[{self.pick(('0', '-1'))}]", ATOM, I_str(1, 1))
        return None

    def str_slice(self, b):
        a = self.str_var(b)
        if a is None:
            if b <= 0:
                return None
            a = self.gen(STR, b - 1)
        i = a.info
        roll = self.r()
        if roll < 0.3:
            return E(f"{par(a, ATOM)}[::-1]", ATOM, i)
        if roll < 0.45:
            return E(f"{par(a, ATOM)}[::2]", ATOM, I_str((i.minlen + 1) // 2, (i.maxlen + 1) // 2))
        if roll < 0.65:
            k = self.randint(1, 4)
            return E(f"{par(a, ATOM)}[-{k}:]", ATOM, I_str(min(i.minlen, k), min(i.maxlen, k)))
        s = self.randint(0, 2)
        e = s + self.randint(1, 4)
        text = f"{par(a, ATOM)}[{s if s else ''}:{e}]"
        return E(text, ATOM, I_str(max(0, min(i.minlen, e) - s), max(0, min(i.maxlen, e) - s)))

    def str_concat(self, b):
        if b <= 0:
            return None
        a = self.gen(STR, b - 1)
        if self.chance(0.25):
            k = self.randint(2, 3)
            if a.info.maxlen * k > MAX_STR:
                return None
            return E(f"{par(a, MUL)} * {k}", MUL, I_str(a.info.minlen * k, a.info.maxlen * k))
        c = self.gen(STR, b - 1)
        if a.info.maxlen + c.info.maxlen > MAX_STR:
            return None
        return E(
            f"{par(a, ADD)} + {par(c, ADD + 1)}",
            ADD,
            I_str(a.info.minlen + c.info.minlen, a.info.maxlen + c.info.maxlen),
        )

    def _fmt_slot(self) -> tuple[str, Info] | None:
        """A name that may appear inside an f-string: an int or str variable (a bool with a
        width spec would format as 1/0, a trap we do not need)."""
        vs = [v for v in self.vars.values() if v.info.kind in (INT, STR) and not v.frozen]
        if not vs:
            return None
        v = self.pick_var(vs)
        return v.name, v.info

    def str_format(self, b):
        a = self._fmt_slot()
        if a is None:
            return None
        c = self._fmt_slot() or a
        la, lc = repr_len(a[1]) - (2 if a[1].kind == STR else 0), repr_len(c[1]) - (2 if c[1].kind == STR else 0)
        sep = self.pick(vocab.SEPARATORS)
        roll = self.r()
        if roll < 0.35:
            text = f'f"{{{a[0]}}}{sep}{{{c[0]}}}"'
            n = la + lc + len(sep)
        elif roll < 0.5:
            w = self.randint(3, 6)
            text = f'f"{{{a[0]}:>{w}}}|"'
            n = max(la, w) + 1
        elif roll < 0.6 and a[1].kind == INT:
            w = self.randint(3, 5)
            text = f'f"{{{a[0]}:0{w}d}}"'
            n = max(la, w)
        elif roll < 0.75:
            text = f'"{{}}{sep}{{}}".format({a[0]}, {c[0]})'
            n = la + lc + len(sep)
        elif roll < 0.88 and a[1].kind == STR and c[1].kind == INT:
            text = f'"%s{sep}%d" % ({a[0]}, {c[0]})'
            n = la + lc + len(sep)
        else:
            label = self.word(1, 6)
            text = f'f"{label}={{{a[0]}}}"'
            n = len(label) + 1 + la
        return E(text, ATOM if not text.startswith('"%') else MUL, I_str(0, n))

    def str_of_int(self, b):
        a = self.int_var(b) if self.chance(0.7) else None
        if a is None:
            if b <= 0:
                return None
            a = self.gen(INT, b - 1)
        if self.chance(0.7):
            n = int_repr_len(a.info)
            return E(f"str({a.text})", ATOM, I_str(1, n))
        return E(f"chr(97 + {par(a, MUL)} % 26)", ATOM, I_str(1, 1))

    def str_join(self, b):
        sep = self.pick(vocab.SEPARATORS)
        q = self.q(sep)
        roll = self.r()
        vs = self.readable(LSTR)
        if roll < 0.5 and vs:
            v = self.pick_var(vs)
            i = v.info
            n = i.maxlen * i.smax + max(0, i.maxlen - 1) * len(sep)
            if n > MAX_STR:
                return None
            src = v.name if self.chance(0.6) else f"sorted({v.name})"
            if i.smin >= 1 and self.chance(0.3):
                w = self.fresh(vocab.LOOP_ELEM_STR_NAMES)
                n = i.maxlen + max(0, i.maxlen - 1) * len(sep)
                return E(f"{q}.join({w}[0] for {w} in {v.name})", ATOM, I_str(0, n))
            return E(f"{q}.join({src})", ATOM, I_str(0, n))
        vs = self.readable(LINT)
        if roll < 0.8 and vs:
            v = self.pick_var(vs)
            i = v.info
            n = i.maxlen * int_repr_len(i) + max(0, i.maxlen - 1) * len(sep)
            if n > MAX_STR:
                return None
            x = self.fresh(vocab.LOOP_ELEM_INT_NAMES)
            return E(f"{q}.join(str({x}) for {x} in {v.name})", ATOM, I_str(0, n))
        vs = self.readable(STR)
        if vs:
            v = self.pick_var(vs)
            if v.info.maxlen * 2 > MAX_STR:
                return None
            if self.chance(0.5):
                return E(f'"".join(sorted({v.name}))', ATOM, v.info)
            return E(f"{q}.join({v.name})", ATOM, I_str(v.info.minlen, v.info.maxlen * (1 + len(sep))))
        return None

    def str_index(self, b):
        for name, idx in self.safe_index:
            v = self.vars.get(name)
            if v is not None and v.info.kind == LSTR and not v.frozen and idx in self.vars and self.chance(0.6):
                return E(f"{name}[{idx}]", ATOM, I_str(v.info.smin, v.info.smax))
        vs = [v for v in self.readable(LSTR) if v.info.minlen >= 1]
        if not vs:
            return None
        v = self.pick_var(vs)
        roll = self.r()
        if roll < 0.6:
            idx = self.randint(0, v.info.minlen - 1) if self.chance(0.6) else -self.randint(1, v.info.minlen)
            return E(f"{v.name}[{idx}]", ATOM, I_str(v.info.smin, v.info.smax))
        if roll < 0.85:
            return E(f"{self.pick(('max', 'min'))}({v.name})", ATOM, I_str(v.info.smin, v.info.smax))
        return E(f"{self.pick(('max', 'min'))}({v.name}, key=len)", ATOM, I_str(v.info.smin, v.info.smax))

    def str_call(self, b):
        return self.call(STR, b)

    def str_cond(self, b):
        return self.conditional(STR, b, lambda x, y: I_str(min(x.minlen, y.minlen), max(x.maxlen, y.maxlen)))

    # lists of ints

    def lint_lit(self, b):
        return self.lit_lint()

    def lint_range(self, b):
        start = self.randint(-3, 6)
        n = self.randint(2, 7)
        step = self.pick((1, 1, 2, 3))
        stop = start + n * step
        text = f"list(range({start}, {stop}))" if step == 1 else f"list(range({start}, {stop}, {step}))"
        if start == 0 and step == 1:
            text = f"list(range({stop}))"
        return E(text, ATOM, Info(LINT, start, start + (n - 1) * step, n, n))

    def _list_source(self, kind, b):
        """An existing list variable (or, failing that, a fresh list expression) to transform."""
        vs = self.readable(kind)
        if vs and self.chance(0.8):
            v = self.pick_var(vs)
            return E(v.name, ATOM, v.info)
        if b <= 0:
            return None
        return self.gen(kind, b - 1)

    def list_copy(self, kind, b):
        src = self._list_source(kind, b)
        if src is None:
            return None
        i = src.info
        roll = self.r()
        if roll < 0.2:
            return E(f"list({src.text})", ATOM, i)
        if roll < 0.45:
            return E(f"sorted({src.text})", ATOM, i)
        if roll < 0.55:
            return E(f"sorted({src.text}, reverse=True)", ATOM, i)
        if roll < 0.7:
            return E(f"{par(src, ATOM)}[::-1]", ATOM, i)
        if roll < 0.8:
            return E(
                f"{par(src, ATOM)}[::2]",
                ATOM,
                Info(kind, i.lo, i.hi, (i.minlen + 1) // 2, (i.maxlen + 1) // 2, i.smin, i.smax),
            )
        if roll < 0.9:
            s = self.randint(0, 2)
            e = s + self.randint(1, 4)
            return E(
                f"{par(src, ATOM)}[{s if s else ''}:{e}]",
                ATOM,
                Info(kind, i.lo, i.hi, max(0, min(i.minlen, e) - s), max(0, min(i.maxlen, e) - s), i.smin, i.smax),
            )
        other = self._list_source(kind, b)
        if other is None or i.maxlen + other.info.maxlen > MAX_LIST:
            return None
        u = i.union(other.info)
        return E(
            f"{par(src, ADD)} + {par(other, ADD + 1)}",
            ADD,
            Info(kind, u.lo, u.hi, i.minlen + other.info.minlen, i.maxlen + other.info.maxlen, u.smin, u.smax),
        )

    def lint_copy(self, b):
        return self.list_copy(LINT, b)

    def _comprehension_source(self):
        """(text, element kind, element info, minlen, maxlen) of something to iterate over."""
        roll = self.r()
        vs = [v for v in self.vars.values() if v.info.kind in (LINT, LSTR, STR) and not v.frozen]
        if vs and roll < 0.75:
            v = self.pick_var(vs)
            i = v.info
            if i.kind == LINT:
                return v.name, INT, I_int(i.lo, i.hi), i.minlen, i.maxlen
            if i.kind == LSTR:
                return v.name, STR, I_str(i.smin, i.smax), i.minlen, i.maxlen
            return v.name, STR, I_str(1, 1), i.minlen, i.maxlen
        start = self.randint(0, 3)
        n = self.randint(2, 7)
        return (f"range({start}, {start + n})" if start else f"range({n})"), INT, I_int(start, start + n - 1), n, n

    def _with_temp(self, name, info, fn):
        """Generate with a comprehension variable in scope (it is local to the comprehension)."""
        self.vars[name] = Var(name, info, len(self.loops), readonly=True)
        try:
            return fn()
        finally:
            del self.vars[name]

    def comprehension(self, kind, b):
        if b <= 0:
            return None
        src, ekind, einfo, minlen, maxlen = self._comprehension_source()
        x = self.fresh(vocab.LOOP_ELEM_INT_NAMES if ekind == INT else vocab.LOOP_ELEM_STR_NAMES)
        out_kind = INT if kind == LINT else STR

        def body():
            val = self.gen(out_kind, b - 1)
            cond = self.cond_on(x, einfo) if self.chance(0.35) else None
            return val, cond

        if einfo.kind == out_kind and self.chance(0.3):
            val, cond = E(x, ATOM, einfo), self.cond_on(x, einfo)
        else:
            val, cond = self._with_temp(x, einfo, body)
        if x not in val.text and (cond is None or x not in cond) and self.chance(0.8):
            return None  # a comprehension that ignores its variable reads oddly
        text = f"[{val.text} for {x} in {src}" + (f" if {cond}]" if cond else "]")
        lo_len = 0 if cond else minlen
        if kind == LINT:
            return E(text, ATOM, Info(LINT, val.info.lo, val.info.hi, lo_len, maxlen))
        return E(text, ATOM, Info(LSTR, minlen=lo_len, maxlen=maxlen, smin=val.info.minlen, smax=val.info.maxlen))

    def cond_on(self, x: str, info: Info) -> str:
        if info.kind == INT:
            roll = self.r()
            if roll < 0.4:
                return f"{x} % {self.randint(2, 4)} == {self.randint(0, 1)}"
            c = self.randint(info.lo, info.hi) if info.lo <= info.hi else 0
            return f"{x} {self.pick(('>', '<', '>=', '<=', '!='))} {c}"
        roll = self.r()
        if roll < 0.4:
            return f"len({x}) {self.pick(('>', '<', '>=', '<='))} {self.randint(max(1, info.smin if info.kind == LSTR else info.minlen), 5)}"
        if roll < 0.7:
            return f'"{self.pick(vocab.VOWELS)}" in {x}'
        return f'{x}.{self.pick(("startswith", "endswith"))}("{self.pick(vocab.LETTERS)}")'

    def lint_comp(self, b):
        return self.comprehension(LINT, b)

    def lint_misc(self, b):
        roll = self.r()
        vs = self.readable(DICT)
        if roll < 0.35 and vs:
            v = self.pick_var(vs)
            fn = self.pick(("list", "sorted"))
            return E(f"{fn}({v.name}.values())", ATOM, Info(LINT, v.info.lo, v.info.hi, v.info.minlen, v.info.maxlen))
        vs = self.readable(LSTR)
        if roll < 0.7 and vs:
            v = self.pick_var(vs)
            w = self.fresh(vocab.LOOP_ELEM_STR_NAMES)
            return E(
                f"[len({w}) for {w} in {v.name}]",
                ATOM,
                Info(LINT, v.info.smin, v.info.smax, v.info.minlen, v.info.maxlen),
            )
        vs = self.readable(LINT)
        if vs:
            v = self.pick_var(vs)
            i = v.info
            return E(
                f"list(map(abs, {v.name}))",
                ATOM,
                Info(
                    LINT,
                    0 if i.lo <= 0 <= i.hi else min(abs(i.lo), abs(i.hi)),
                    max(abs(i.lo), abs(i.hi)),
                    i.minlen,
                    i.maxlen,
                ),
            )
        return None

    def lint_call(self, b):
        return self.call(LINT, b)

    # lists of strs

    def lstr_lit(self, b):
        return self.lit_lstr()

    def lstr_split(self, b):
        roll = self.r()
        vs = self.readable(STR)
        if roll < 0.25 and vs:
            v = self.pick_var(vs)
            sep = self.pick(vocab.VOWELS + "-")
            return E(
                f'{v.name}.split("{sep}")',
                ATOM,
                Info(LSTR, minlen=1, maxlen=v.info.maxlen + 1, smin=0, smax=v.info.maxlen),
            )
        if roll < 0.4 and vs:
            v = self.pick_var(vs)
            return E(f"list({v.name})", ATOM, Info(LSTR, minlen=v.info.minlen, maxlen=v.info.maxlen, smin=1, smax=1))
        n = self.randint(2, 5)
        ws = [self.word(1, 7) for _ in range(n)]
        lens = [len(w) for w in ws]
        if self.chance(0.5):
            return E(f'"{" ".join(ws)}".split()', ATOM, Info(LSTR, minlen=n, maxlen=n, smin=min(lens), smax=max(lens)))
        sep = self.pick((",", ";", "/", "-"))
        return E(
            f'"{sep.join(ws)}".split("{sep}")', ATOM, Info(LSTR, minlen=n, maxlen=n, smin=min(lens), smax=max(lens))
        )

    def lstr_copy(self, b):
        return self.list_copy(LSTR, b)

    def lstr_comp(self, b):
        return self.comprehension(LSTR, b)

    def lstr_misc(self, b):
        roll = self.r()
        vs = self.readable(DICT)
        if roll < 0.5 and vs:
            v = self.pick_var(vs)
            i = v.info
            fn = self.pick(("list", "sorted"))
            return E(f"{fn}({v.name})", ATOM, Info(LSTR, minlen=i.minlen, maxlen=i.maxlen, smin=i.smin, smax=i.smax))
        vs = self.readable(LINT)
        if vs:
            v = self.pick_var(vs)
            x = self.fresh(vocab.LOOP_ELEM_INT_NAMES)
            return E(
                f"[str({x}) for {x} in {v.name}]",
                ATOM,
                Info(LSTR, minlen=v.info.minlen, maxlen=v.info.maxlen, smin=1, smax=int_repr_len(v.info)),
            )
        return None

    def lstr_call(self, b):
        return self.call(LSTR, b)

    # dicts

    def dict_lit(self, b):
        return self.lit_dict()

    def dict_comp(self, b):
        vs = self.readable(LSTR)
        if not vs:
            return None
        v = self.pick_var(vs)
        i = v.info
        roll = self.r()
        w = self.fresh(vocab.LOOP_ELEM_STR_NAMES)
        minkeys = 1 if i.minlen >= 1 else 0
        if roll < 0.45 and b > 0:
            val = self._with_temp(w, I_str(i.smin, i.smax), lambda: self.gen(INT, b - 1))
            if w not in val.text and self.chance(0.7):
                val = E(f"len({w})", ATOM, I_int(i.smin, i.smax))
            return E(
                f"{{{w}: {val.text} for {w} in {v.name}}}",
                ATOM,
                Info(DICT, val.info.lo, val.info.hi, minkeys, i.maxlen, i.smin, i.smax),
            )
        if roll < 0.7:
            k = self.fresh(vocab.LOOP_INT_NAMES)
            return E(
                f"{{{w}: {k} for {k}, {w} in enumerate({v.name})}}",
                ATOM,
                Info(DICT, 0, max(0, i.maxlen - 1), minkeys, i.maxlen, i.smin, i.smax),
            )
        ls = self.readable(LINT)
        if ls:
            n = self.pick(ls)
            return E(
                f"dict(zip({v.name}, {n.name}))",
                ATOM,
                Info(
                    DICT,
                    n.info.lo,
                    n.info.hi,
                    1 if min(i.minlen, n.info.minlen) >= 1 else 0,
                    min(i.maxlen, n.info.maxlen),
                    i.smin,
                    i.smax,
                ),
            )
        c = self.randint(0, 3)
        return E(f"dict.fromkeys({v.name}, {c})", ATOM, Info(DICT, c, c, minkeys, i.maxlen, i.smin, i.smax))

    def dict_copy(self, b):
        vs = self.readable(DICT)
        if not vs:
            return None
        v = self.pick_var(vs)
        i = v.info
        roll = self.r()
        if roll < 0.35:
            return E(f"dict({v.name})" if self.chance(0.5) else f"{v.name}.copy()", ATOM, i)
        k, x = self.fresh(("k", "key", "name_k")), self.fresh(("v", "val", "n_v", "cnt"))
        if roll < 0.7:
            c = self.randint(2, 4)
            op = self.pick(("*", "+", "-"))
            lo, hi = (
                (i.lo * c, i.hi * c) if op == "*" else ((i.lo + c, i.hi + c) if op == "+" else (i.lo - c, i.hi - c))
            )
            return E(
                f"{{{k}: {x} {op} {c} for {k}, {x} in {v.name}.items()}}",
                ATOM,
                Info(DICT, lo, hi, i.minlen, i.maxlen, i.smin, i.smax),
            )
        c = self.randint(i.lo, i.hi) if i.lo <= i.hi else 0
        return E(
            f"{{{k}: {x} for {k}, {x} in {v.name}.items() if {x} {self.pick(('>', '<', '>=', '!='))} {c}}}",
            ATOM,
            Info(DICT, i.lo, i.hi, 0, i.maxlen, i.smin, i.smax),
        )

    # tuples and bools

    def tup_lit(self, b):
        n = self.randint(2, 3)
        parts = [self.gen(INT, max(0, b - 1)) for _ in range(n)]
        return E(
            "(" + ", ".join(p.text for p in parts) + ")",
            ATOM,
            Info(TUP, min(p.info.lo for p in parts), max(p.info.hi for p in parts), n, n),
        )

    def tup_misc(self, b):
        roll = self.r()
        vs = [v for v in self.readable(LINT) if v.info.minlen >= 1]
        if roll < 0.4 and vs:
            v = self.pick_var(vs)
            return E(f"(min({v.name}), max({v.name}))", ATOM, Info(TUP, v.info.lo, v.info.hi, 2, 2))
        a = self.gen(INT, max(0, b - 1))
        d = self.randint(2, 9)
        return E(f"divmod({a.text}, {d})", ATOM, Info(TUP, min(a.info.lo // d, 0), max(a.info.hi // d, d - 1), 2, 2))

    def bool_expr(self, b):
        return self.condition(b, allow_frozen=False)

    def bool_var(self, b):
        vs = self.readable(BOOL)
        if not vs:
            return None
        v = self.pick_var(vs)
        return E(v.name, ATOM, Info(BOOL))

    def condition(self, b, allow_frozen=True) -> E:
        """A bool expression. Frozen variables may appear in it: a comparison needs no bounds."""
        roll = self.r()
        if allow_frozen and roll < 0.3:
            e = self._frozen_condition()
            if e is not None:
                return e
            roll = self.r()
        if roll < 0.45:
            a = self.gen(INT, max(0, b - 1))
            for _ in range(3):
                if not is_constant(a):
                    break
                a = self.int_var(0) or self.int_len(0) or self.gen(INT, max(0, b - 1))
            if self.chance(0.25):
                text = f"{par(a, MUL)} % {self.randint(2, 5)} == {self.randint(0, 1)}"
            else:
                c = (
                    self.lit_int(a.info.lo, a.info.hi)
                    if a.info.hi - a.info.lo < 10**4 and self.chance(0.7)
                    else self.gen(INT, 0)
                )
                op = self.pick(("<", "<=", ">", ">=", "==", "!="))
                text = f"{par(a, CMP + 1)} {op} {par(c, CMP + 1)}"
            return E(text, CMP, Info(BOOL))
        if roll < 0.7:
            e = self._membership()
            if e is not None:
                return e
        if roll < 0.8:
            vs = self.readable(STR)
            if vs:
                v = self.pick_var(vs)
                return E(
                    f'{v.name}.{self.pick(("startswith", "endswith"))}("{self.pick(vocab.LETTERS)}")', ATOM, Info(BOOL)
                )
        if roll < 0.88:
            vs = self.readable(LINT)
            if vs:
                v = self.pick_var(vs)
                x = self.fresh(vocab.LOOP_ELEM_INT_NAMES)
                c = self.randint(v.info.lo, v.info.hi) if v.info.lo <= v.info.hi else 0
                return E(
                    f"{self.pick(('any', 'all'))}({x} {self.pick(('>', '<', '!='))} {c} for {x} in {v.name})",
                    ATOM,
                    Info(BOOL),
                )
        if b > 0 and roll < 0.95:
            a = self.condition(b - 1, allow_frozen)
            c = self.condition(b - 1, allow_frozen)
            op = self.pick(("and", "or"))
            prec = AND if op == "and" else OR
            return E(f"{par(a, prec)} {op} {par(c, prec + 1)}", prec, Info(BOOL))
        vs = self.readable(BOOL)
        if vs:
            v = self.pick_var(vs)
            return E(f"not {v.name}" if self.chance(0.4) else v.name, NOT, Info(BOOL))
        a = self.int_var(0) or self.int_len(0) or self.gen(INT, 0)
        return E(f"{par(a, CMP + 1)} > {self.randint(0, 10)}", CMP, Info(BOOL))

    def _membership(self):
        roll = self.r()
        vs = self.readable(LSTR)
        if roll < 0.35 and vs:
            v = self.pick_var(vs)
            s = self.str_var(0) if self.chance(0.3) else None
            return E(
                f"{s.text if s else self.q(self.word(1, 7))} {self.pick(('in', 'not in'))} {v.name}", CMP, Info(BOOL)
            )
        vs = self.readable(DICT)
        if roll < 0.6 and vs:
            v = self.pick_var(vs)
            key = self.pick(v.info.keys) if v.info.keys and self.chance(0.4) else self.word(1, 7)
            return E(f"{self.q(key)} in {v.name}", CMP, Info(BOOL))
        vs = self.readable(LINT)
        if roll < 0.85 and vs:
            v = self.pick_var(vs)
            c = self.randint(v.info.lo, v.info.hi) if v.info.lo <= v.info.hi else 0
            return E(f"{c} in {v.name}", CMP, Info(BOOL))
        vs = self.readable(STR)
        if vs:
            v = self.pick_var(vs)
            return E(f'"{self.pick(vocab.VOWELS)}" in {v.name}', CMP, Info(BOOL))
        return None

    def _frozen_condition(self):
        vs = [v for v in self.vars.values() if v.frozen]
        if not vs:
            return None
        v = self.pick_var(vs)
        k = v.info.kind
        if k == INT:
            if self.chance(0.3):
                return E(f"{v.name} % 2 == {self.randint(0, 1)}", CMP, Info(BOOL))
            return E(
                f"{v.name} {self.pick(('>', '<', '>=', '<='))} {self.randint(max(-50, v.info.lo), min(50, v.info.hi) + 10)}",
                CMP,
                Info(BOOL),
            )
        if k in (STR, LINT, LSTR, DICT):
            return E(f"len({v.name}) {self.pick(('>', '<', '>=', '<='))} {self.randint(1, 6)}", CMP, Info(BOOL))
        if k == BOOL:
            return E(f"not {v.name}" if self.chance(0.5) else v.name, NOT, Info(BOOL))
        return None

    # function calls

    def call(self, kind, b):
        fs = [f for f in self.functions if f.ret.kind == kind]
        if not fs or b <= 0:
            return None
        f = self.pick(fs)
        args = [self.gen_fitting(slot, max(0, b - 1)).text for _, slot in f.params]
        self.called.add(f.name)
        return E(f"{f.name}({', '.join(args)})", ATOM, f.ret)

    _production_pairs = {
        INT: (
            (3, int_lit),
            (4, int_var),
            (4, int_arith),
            (1.5, int_len),
            (1.5, int_aggregate),
            (1.2, int_index),
            (0.8, int_of_str),
            (0.8, int_of_dict),
            (1.5, int_call),
            (0.4, int_cond),
            (0.8, int_misc),
        ),
        STR: (
            (3, str_lit),
            (3, str_var),
            (2, str_method),
            (1.5, str_slice),
            (1.2, str_concat),
            (1.5, str_format),
            (0.8, str_of_int),
            (1, str_join),
            (1, str_index),
            (1.5, str_call),
            (0.3, str_cond),
        ),
        LINT: ((2.5, lint_lit), (1.5, lint_range), (2, lint_copy), (2.5, lint_comp), (1, lint_misc), (1.5, lint_call)),
        LSTR: ((2.5, lstr_lit), (1.5, lstr_split), (2, lstr_copy), (2, lstr_comp), (1, lstr_misc), (1.5, lstr_call)),
        DICT: ((2.5, dict_lit), (2, dict_comp), (1.5, dict_copy)),
        TUP: ((2, tup_lit), (1.5, tup_misc)),
        BOOL: ((4, bool_expr), (1, bool_var)),
    }
    _productions = {kind: Choice(pairs) for kind, pairs in _production_pairs.items()}
    _literal = {
        INT: lit_int,
        STR: lit_str,
        LINT: lit_lint,
        LSTR: lit_lstr,
        DICT: lit_dict,
        TUP: lambda self: self.tup_lit(0),
        BOOL: lambda self: E(self.pick(("True", "False")), ATOM, Info(BOOL)),
    }
