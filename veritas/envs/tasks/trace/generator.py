"""A grammar-driven generator of small, valid, terminating Python programs.

`generate_program(rng, difficulty)` is a pure function of the rng state and the level. It writes
source text directly (no ast.unparse: too slow for 1,000 programs a second) while it tracks, for
every variable, a static description of its value (`Info`):

- kind: int, str, list of ints, list of strs, dict str->int, tuple of ints, bool;
- bounds: the interval an int lies in, the length range of a str/list/dict, the bounds of the
  elements. Every production computes its result's bounds from its operands', soundly, so an
  index is in range, a divisor is non-zero, max() gets a non-empty list and no value grows
  past MAX_ABS.

Definedness. `self.vars` is the set of names *certainly defined* at the current point: after an
if, only names assigned on every branch; after a loop, only names defined before it. Every name
a generated expression or debug print reads comes from this set, so no path reaches a NameError.

Loops terminate by construction: a for loop walks a range with literal bounds or a container
that cannot change inside the loop; a while loop is one of three shapes whose counter only moves
towards the exit. Loop-carried variables are "frozen" on entry: inside the loop they are only
updated through accumulate forms (x += e, lst.append(e), d[k] = d.get(k, 0) + e, ...) whose
total effect is bounded by iterations x per-step bound, and their bounds are not used by other
expressions until the loop ends (they may still be printed or tested in a condition).

Debug prints `print("__DBG_k__", ...)` go only where execution certainly passes (the top level,
and loop bodies whose loop certainly runs at least once, outside any if), so each one prints.
No floats (no `/`), no sets, no hash-dependent order, no version-dependent repr: the output is
the same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from veritas.envs.tasks.trace import vocab
from veritas.envs.tasks.trace.expressions import IDENT, ExpressionWriter
from veritas.envs.tasks.trace.values import (
    ADD,
    ATOM,
    BOOL,
    DICT,
    INT,
    LINT,
    LIST_KINDS,
    LSTR,
    MAX_ABS,
    MAX_LINE,
    MAX_LIST,
    MAX_PRINT_REPR,
    MAX_STR,
    STR,
    TUP,
    E,
    Choice,
    Growth,
    Info,
    Loop,
    FuncSig,
    Var,
    I_int,
    I_str,
    apply_growth,
    digits,
    int_repr_len,
    is_small,
    par,
    repr_len,
)


@dataclass(frozen=True)
class Level:
    statements: tuple[int, int]  # statements of the main program, nested ones included
    max_nest: int  # deepest block nesting (if / for / while)
    loop_max: int  # most iterations of one loop
    nest_iters: int  # most iterations of a whole loop nest (product)
    functions: tuple[int, int]
    body: tuple[int, int]  # statements in a block
    debug_prints: tuple[int, int]
    max_lines: int  # most lines the program may print
    stdin_chance: float
    expr_budget: int  # nesting of expressions


LEVELS = {
    1: Level((4, 6), 1, 4, 4, (0, 0), (1, 2), (1, 1), 8, 0.2, 1),
    2: Level((6, 9), 1, 5, 5, (0, 1), (1, 3), (1, 2), 12, 0.25, 2),
    3: Level((9, 13), 2, 6, 18, (1, 1), (2, 3), (1, 3), 18, 0.3, 2),
    4: Level((13, 18), 2, 7, 28, (1, 2), (2, 3), (2, 3), 24, 0.3, 3),
    5: Level((17, 24), 3, 8, 40, (2, 3), (2, 4), (2, 4), 32, 0.35, 3),
}


FLUSH_LINES = 12  # smallest piece worth a message to the sandbox


@dataclass(frozen=True)
class Program:
    source: str
    stdin: str
    debug_tags: int  # number of __DBG_k__ prints (k = 0 .. debug_tags-1)


NEW_VALUE_KINDS = Choice(((6, INT), (3, STR), (2.2, LINT), (1.6, LSTR), (1.2, DICT), (0.6, TUP), (0.6, BOOL)))
ACCUMULATOR_KINDS = Choice(((5, INT), (2, STR), (2, LINT), (1, LSTR), (1.5, DICT), (0.6, BOOL)))
PARAM_KINDS = Choice(((5, INT), (2, STR), (2, LINT), (1, LSTR)))
RETURN_KINDS = Choice(((5.5, INT), (2.5, STR), (1, LINT), (1, BOOL)))


class ProgramGenerator(ExpressionWriter):
    def __init__(self, rng: random.Random, difficulty: int, sink=None):
        self.sink = sink  # receives finished top-level code as it is written (see flush)
        self.flushed = 0  # lines already handed to the sink
        self.rng = rng
        self.r = rng.random
        self.level = difficulty
        self.lv = LEVELS[difficulty]
        self.out: list[str] = []
        self.indent = 0
        self.vars: dict[str, Var] = {}
        self.loops: list[Loop] = []
        self.nest = 0
        self.always = True  # does execution certainly reach the current point?
        self.in_function = False
        self.functions: list[FuncSig] = []
        self.called: set[str] = set()
        self.reserved: set[str] = set()  # function names
        self.lines_left = self.lv.max_lines
        self.debug_left = self.randint(*self.lv.debug_prints)
        self.debug_count = 0
        self.stdin_lines: list[str] = []
        self.recent: list[str] = []  # names assigned most recently, newest last
        self.safe_index: list[tuple[str, str]] = []  # (list name, index var) valid in this loop
        self.reserve_lines = 0  # output lines kept back for the final prints
        self.budget = 0  # statements the main program may still write (set by generate)

    # -- statements --------------------------------------------------------------------------

    def stmt_assign(self):
        kind = self.weighted(NEW_VALUE_KINDS)
        name = self.fresh(self.name_pool(kind))
        e = self.gen(kind, self.lv.expr_budget)
        self.emit(f"{name} = {e.text}")
        self.define(name, e.info)
        return True

    def _own_vars(self, kinds):
        """Variables this block may update in place: defined at this loop depth, not frozen."""
        d = len(self.loops)
        return [
            v for v in self.vars.values() if v.depth == d and not v.frozen and not v.readonly and v.info.kind in kinds
        ]

    def stmt_update(self):
        vs = self._own_vars((INT, STR, LINT, LSTR, DICT, BOOL))
        if not vs:
            return False
        v = self.pick_var(vs)
        i = v.info
        k = i.kind
        b = self.lv.expr_budget
        if k == INT:
            roll = self.r()
            if roll < 0.55:
                e = self.gen(INT, b - 1)
                if e.text == "0":
                    return False  # x += 0 is no exercise
                op = self.pick(("+=", "-="))
                info = (
                    I_int(i.lo + e.info.lo, i.hi + e.info.hi)
                    if op == "+="
                    else I_int(i.lo - e.info.hi, i.hi - e.info.lo)
                )
                text = f"{v.name} {op} {e.text}"
            elif roll < 0.7:
                c = self.randint(2, 5)
                info = I_int(i.lo * c, i.hi * c)
                text = f"{v.name} *= {c}"
            elif roll < 0.85:
                c = self.randint(2, 11)
                op = self.pick(("//=", "%="))
                info = I_int(i.lo // c, i.hi // c) if op == "//=" else I_int(0, c - 1)
                text = f"{v.name} {op} {c}"
            else:
                e = self.gen(INT, b)
                if e.text == v.name:
                    return False  # x = x
                info, text = e.info, f"{v.name} = {e.text}"
            if not is_small(info):
                return False
        elif k == STR:
            roll = self.r()
            if roll < 0.5:
                e = self.gen(STR, b - 1)
                if i.maxlen + e.info.maxlen > MAX_STR:
                    return False
                info = I_str(i.minlen + e.info.minlen, i.maxlen + e.info.maxlen)
                text = f"{v.name} += {e.text}"
            else:
                e = self.str_method(b) if roll < 0.75 else self.gen(STR, b)
                if e is None or e.text == v.name:
                    return False
                info, text = e.info, f"{v.name} = {e.text}"
        elif k in LIST_KINDS:
            ek = INT if k == LINT else STR
            roll = self.r()
            if roll < 0.4:
                if i.maxlen >= MAX_LIST:
                    return False
                e = self.gen(ek, b - 1)
                where = self.pick(("append", "append", "insert"))
                text = f"{v.name}.append({e.text})" if where == "append" else f"{v.name}.insert(0, {e.text})"
                info = self._grow_list(i, e.info, 1, 1)
            elif roll < 0.6:
                text = f"{v.name}.{self.pick(('sort()', 'reverse()', 'sort(reverse=True)'))}"
                info = i
            elif roll < 0.75 and i.minlen >= 1:
                n = self.fresh(self.name_pool(ek))
                idx = self.pick(("", "", "0", "-1"))
                self.emit(f"{n} = {v.name}.pop({idx})")
                self.vars[v.name] = Var(
                    v.name, Info(k, i.lo, i.hi, i.minlen - 1, i.maxlen - 1, i.smin, i.smax), v.depth
                )
                self.define(n, I_int(i.lo, i.hi) if k == LINT else I_str(i.smin, i.smax))
                return True
            elif roll < 0.88 and i.minlen >= 1:
                e = self.gen(ek, b - 1)
                idx = self.randint(0, i.minlen - 1) if self.chance(0.6) else -self.randint(1, i.minlen)
                text = f"{v.name}[{idx}] = {e.text}"
                info = self._grow_list(i, e.info, 0, 0)
            else:
                other = self.gen(k, b - 1)
                if i.maxlen + other.info.maxlen > MAX_LIST:
                    return False
                text = f"{v.name}.extend({other.text})" if self.chance(0.5) else f"{v.name} += {other.text}"
                info = self._grow_list(i, other.info, other.info.minlen, other.info.maxlen, elements=True)
        elif k == DICT:
            key = self.pick(i.keys) if i.keys and self.chance(0.5) else self.word(1, 7)
            e = self.gen(INT, b - 1)
            if self.chance(0.5):
                text = f"{v.name}[{self.q(key)}] = {v.name}.get({self.q(key)}, 0) + {par(e, ADD + 1)}"
                lo, hi = min(i.lo, 0) + min(e.info.lo, 0), max(i.hi, 0) + max(e.info.hi, 0)
            else:
                text = f"{v.name}[{self.q(key)}] = {e.text}"
                lo, hi = min(i.lo, e.info.lo), max(i.hi, e.info.hi)
            keys = i.keys if key in i.keys else i.keys + (key,)
            info = Info(
                DICT,
                lo,
                hi,
                max(i.minlen, len(keys)),
                i.maxlen + (0 if key in i.keys else 1),
                min(i.smin, len(key)),
                max(i.smax, len(key)),
                keys,
            )
            if not is_small(info):
                return False
        else:  # BOOL
            if self.chance(0.4):
                text = f"{v.name} = not {v.name}"
            else:
                cond = self.condition(1, allow_frozen=False).text
                text = f"{v.name} = {cond}" if cond != v.name else f"{v.name} = not {v.name}"
            info = i
        self.emit(text)
        self.vars[v.name] = Var(v.name, info, v.depth)
        return True

    @staticmethod
    def _grow_list(i: Info, e: Info, add_min: int, add_max: int, elements: bool = False) -> Info:
        if i.kind == LINT:
            return Info(LINT, min(i.lo, e.lo), max(i.hi, e.hi), i.minlen + add_min, i.maxlen + add_max)
        smin, smax = (e.smin, e.smax) if elements else (e.minlen, e.maxlen)
        return Info(
            LSTR, minlen=i.minlen + add_min, maxlen=i.maxlen + add_max, smin=min(i.smin, smin), smax=max(i.smax, smax)
        )

    def _multiplicity(self, from_depth: int) -> int:
        p = 1
        for loop in self.loops[from_depth:]:
            p *= loop.max_iter
        return p

    def stmt_accumulate(self, prefer_loop_var: str | None = None):
        """Update a frozen (loop-carried) variable through a bounded accumulate form."""
        vs = [v for v in self.vars.values() if v.frozen]
        if not vs:
            return False
        v = self.pick_var(vs)
        g = v.growth
        p = self._multiplicity(v.depth)
        b = max(1, self.lv.expr_budget - 1)
        k = v.info.kind
        use = None
        if prefer_loop_var is not None and prefer_loop_var in self.vars:
            lv = self.vars[prefer_loop_var]
            use = E(prefer_loop_var, ATOM, lv.info)
        if k == INT:
            e = use if use is not None and use.info.kind == INT else self.gen(INT, b)
            if use is not None and use.info.kind == STR:
                e = E(f"len({use.text})", ATOM, I_int(use.info.minlen, use.info.maxlen))
            if e.info.kind != INT:
                e = self.gen(INT, b)
            roll = self.r()
            if e.text == "0":
                e = self.lit_int(1, 9)
            if roll < 0.55 and max(abs(e.info.lo), abs(e.info.hi)) * p <= MAX_ABS // 4:
                op = self.pick(("+=", "+=", "-="))
                lo, hi = (e.info.lo, e.info.hi) if op == "+=" else (-e.info.hi, -e.info.lo)
                g.plus += max(0, hi) * p
                g.minus += max(0, -lo) * p
                self.emit(f"{v.name} {op} {e.text}")
            elif roll < 0.8:
                m = self.pick((7, 10, 11, 13, 17, 97, 100, 101, 1000))
                c = self.randint(2, 9)
                g.resets.append(I_int(0, m - 1))
                self.emit(f"{v.name} = ({v.name} * {c} + {par(e, ADD + 1)}) % {m}")
            elif roll < 0.92:
                fn = self.pick(("max", "min"))
                g.resets.append(e.info)
                self.emit(f"{v.name} = {fn}({v.name}, {e.text})")
            else:
                g.plus += p
                g.minus += 0
                cond = self.condition(1)
                self.emit(f"if {cond.text}:")
                self.indent += 1
                self.emit(f"{v.name} += 1")
                self.indent -= 1
            return True
        if k == STR:
            if use is not None and use.info.kind == STR and use.info.maxlen <= 8:
                e = use
            elif use is not None and use.info.kind == INT and int_repr_len(use.info) <= 4:
                e = E(f"str({use.text})", ATOM, I_str(1, int_repr_len(use.info)))
            else:
                e = self.gen(STR, 0)
            if self.chance(0.3):
                e = E(
                    f"{par(e, ATOM)}[0]" if e.info.minlen >= 1 else f"{par(e, ATOM)}[:1]",
                    ATOM,
                    I_str(min(1, e.info.minlen), 1),
                )
            if (g.len_plus + e.info.maxlen * p) + v.info.maxlen > 80:
                return False
            g.len_plus += e.info.maxlen * p
            if self.chance(0.75):
                self.emit(f"{v.name} += {e.text}")
            else:
                self.emit(f"{v.name} = {par(e, ADD)} + {v.name}")
            return True
        if k in LIST_KINDS:
            ek = INT if k == LINT else STR
            e = use if use is not None and use.info.kind == ek else self.gen(ek, b)
            if use is not None and k == LINT and use.info.kind == INT and self.chance(0.5):
                e = self.gen(INT, b)
            if v.info.maxlen + g.len_plus + p > 3 * MAX_LIST:
                return False
            snap = g.snapshot()
            g.len_plus += p
            g.add_elem(e.info if k == LINT else I_str(e.info.minlen, e.info.maxlen))
            if self._outgrows_print(v, snap):
                return False
            if self.chance(0.2):
                cond = self.condition(1)
                self.emit(f"if {cond.text}:")
                self.indent += 1
                self.emit(f"{v.name}.append({e.text})")
                self.indent -= 1
            else:
                self.emit(f"{v.name}.append({e.text})" if self.chance(0.85) else f"{v.name}.insert(0, {e.text})")
            return True
        if k == DICT:
            if use is not None and use.info.kind == STR and use.info.maxlen <= 10:
                key = use
            elif use is not None and use.info.kind == INT:
                key = E(
                    f"str({use.text} % {self.randint(2, 5)})"
                    if use.info.lo < 0 or use.info.hi > 9
                    else f"str({use.text})",
                    ATOM,
                    I_str(1, 1),
                )
            else:
                key = E(self.q(self.word(1, 7)), ATOM, I_str(1, 7))
                key.info = I_str(len(key.text) - 2, len(key.text) - 2)
            if v.info.maxlen + g.len_plus + p > 3 * MAX_LIST:
                return False
            e = self.gen(INT, 0) if self.chance(0.5) else self.lit_int(1, 3)
            if max(abs(e.info.lo), abs(e.info.hi)) * p > MAX_ABS // 4:
                return False
            snap = g.snapshot()
            g.len_plus += p
            g.add_elem(Info(DICT, smin=key.info.minlen, smax=key.info.maxlen))
            counting = self.chance(0.7)
            if counting:
                g.resets.append(I_int(0, 0))
                g.plus += max(0, e.info.hi) * p
                g.minus += max(0, -e.info.lo) * p
            else:
                g.resets.append(e.info)
            if self._outgrows_print(v, snap):
                return False
            if counting:
                self.emit(f"{v.name}[{key.text}] = {v.name}.get({key.text}, 0) + {par(e, ADD + 1)}")
            else:
                self.emit(f"{v.name}[{key.text}] = {e.text}")
            return True
        if k == BOOL:
            cond = self.condition(1)
            self.emit(f"if {cond.text}:")
            self.indent += 1
            self.emit(f"{v.name} = {self.pick(('True', 'False'))}")
            self.indent -= 1
            return True
        return False

    def _outgrows_print(self, v: Var, snap: tuple) -> bool:
        """After a tentative growth step: True (and the step undone) when the container was
        printed whole in this loop and could now outgrow a printable line."""
        g = v.growth
        if g.shown and repr_len(apply_growth(v.info, g)) > MAX_PRINT_REPR:
            g.restore(snap)
            return True
        return False

    def stmt_print(self):
        cost = self._multiplicity(0)
        if cost > self.lines_left - self.reserve_lines:
            return False
        vs = [v for v in self.vars.values() if repr_len(v.info) <= MAX_PRINT_REPR or v.frozen]
        if not vs:
            return False  # nothing worth printing yet
        roll = self.r()
        if roll < 0.15:
            e = self.gen(self.pick((INT, STR, INT, LINT)), 1)
            if repr_len(e.info) > MAX_PRINT_REPR or not IDENT.search(e.text.split('"')[0]):
                return False  # too long, or a bare literal
            self.emit(f"print({e.text})")
        elif roll < 0.55:
            v = self.pick(vs[-4:] if self.chance(0.6) else vs)
            self.emit(f"print({', '.join(self.show_line([v]))})")
        elif roll < 0.75:
            shown = self.show_line([self.pick(vs), self.pick(vs)])
            if self.chance(0.5) or len(shown) < 2:
                self.emit(f"print({', '.join(shown)})")
            else:
                self.emit(f'print({", ".join(shown)}, sep="{self.pick(vocab.SEPARATORS[:9])}")')
        elif roll < 0.9:
            label = self.word(1, 6)
            self.emit(f'print("{label}:", {", ".join(self.show_line([self.pick_var(vs)], len(label) + 2))})')
        else:
            e = self.str_format(1)
            if e is None:
                return False
            self.emit(f"print({e.text})")
        self.lines_left -= cost
        return True

    def show(self, v: Var) -> tuple[str, int]:
        """How a print shows a variable, and a bound on the printed width: the variable itself,
        or its length when it may be long."""
        k = v.info.kind
        if v.frozen:
            if k == INT:
                return v.name, 9
            if k == BOOL:
                return v.name, 5
            if k == STR:
                return v.name, 82  # string accumulation stops at 80 characters
            if repr_len(apply_growth(v.info, v.growth)) <= MAX_PRINT_REPR:
                v.growth.shown = True  # from now on the loop may not grow it past the limit
                return v.name, MAX_PRINT_REPR
            return f"len({v.name})", 3
        n = repr_len(v.info)
        if n > MAX_PRINT_REPR:
            return f"len({v.name})", digits(v.info.maxlen)
        return v.name, n

    def show_line(self, chosen: list[Var], used: int = 0) -> list[str]:
        """Print arguments for these variables, keeping the printed line within MAX_LINE
        (variables that would overflow it are left out; the first is always kept)."""
        parts: list[str] = []
        for v in chosen:
            frozen_container = v.frozen and v.info.kind not in (INT, BOOL, STR)
            # show() on a frozen container caps its growth: only call it if it will be printed
            if parts and frozen_container and used + MAX_PRINT_REPR + 1 > MAX_LINE:
                continue
            text, width = self.show(v)
            if parts and used + width + 1 > MAX_LINE:
                continue
            parts.append(text)
            used += width + 1
        return parts

    def stmt_debug(self) -> bool:
        cost = self._multiplicity(0)
        own_reserve = self.debug_left  # one line of the reserve was kept for each debug print
        if (
            not self.always
            or self.in_function
            or self.debug_left <= 0
            or cost > self.lines_left - self.reserve_lines + own_reserve
        ):
            return False
        names = [n for n in self.recent if n in self.vars][-4:]
        if not names:
            names = list(self.vars)[-4:]
        if not names:
            return False
        chosen = []
        for _ in range(self.randint(1, min(3, len(names)))):
            n = self.pick(names)
            if n not in chosen:
                chosen.append(n)
        tag = f"__DBG_{self.debug_count}__"
        shown = ", ".join(self.show_line([self.vars[n] for n in chosen], len(tag) + 1))
        self.emit(f'print("{tag}", {shown})')
        self.debug_count += 1
        self.debug_left -= 1
        self.reserve_lines -= 1
        self.lines_left -= cost
        return True

    def stmt_unpack(self):
        roll = self.r()
        ints = [v for v in self._own_vars((INT,))]
        if roll < 0.35 and len(ints) >= 2:
            a, c = self.pick(ints), self.pick(ints)
            if a.name == c.name:
                return False
            self.emit(f"{a.name}, {c.name} = {c.name}, {a.name}")
            self.vars[a.name], self.vars[c.name] = Var(a.name, c.info, a.depth), Var(c.name, a.info, c.depth)
            return True
        tups = [v for v in self.readable(TUP) if v.info.maxlen == 2]
        if roll < 0.6 and tups:
            t = self.pick(tups)
            n1 = self.fresh(vocab.INT_NAMES)
            n2 = self.fresh(vocab.INT_NAMES, avoid=(n1,))
            self.emit(f"{n1}, {n2} = {t.name}")
            self.define(n1, I_int(t.info.lo, t.info.hi))
            self.define(n2, I_int(t.info.lo, t.info.hi))
            return True
        a = self.gen(INT, 1)
        d = self.randint(2, 9)
        n1 = self.fresh(("q", "quot", "whole", "hi_part", "tens"))
        n2 = self.fresh(("r", "rem", "rest", "lo_part", "ones"), avoid=(n1,))
        self.emit(f"{n1}, {n2} = divmod({a.text}, {d})")
        self.define(n1, I_int(a.info.lo // d, a.info.hi // d))
        self.define(n2, I_int(0, d - 1))
        return True

    # blocks

    def block(self, n: int, allow_debug: bool = True) -> None:
        """Up to n statements at the current indentation, within the program's statement
        budget; at least one line is emitted."""
        start = len(self.out)
        for _ in range(n):
            if len(self.out) > start and self.budget <= 0:
                break
            self.budget -= 1
            self.statement()
            if allow_debug and self.always and self.debug_left > 0 and self.chance(0.3):
                self.stmt_debug()
            if self.indent == 0 and not self.in_function:
                self.flush()
        if len(self.out) == start:
            self.stmt_assign()

    def flush(self) -> None:
        """Hand the finished top-level statements to the sink, several lines at a time, so that
        the sandbox compiles them while the rest of the program is written. (What remains at
        the end is the caller's to send: it has the whole source.)"""
        pending = len(self.out) - self.flushed
        if self.sink is None or pending < FLUSH_LINES:
            return
        self.sink("\n".join(self.out[self.flushed :]) + "\n", self.flushed + 1)
        self.flushed = len(self.out)

    def statement(self) -> None:
        key = (bool(self.loops), self.in_function, self.nest < self.lv.max_nest and self.budget >= 2)
        table = _STATEMENT_TABLES.get(key)
        if table is None:
            table = _STATEMENT_TABLES[key] = _statement_table(*key)
        for _ in range(4):
            if self.weighted(table)(self):
                return
        self.stmt_assign()

    def _branch(self, n: int, target: tuple[str, str] | None):
        """Write one branch body on a copy of the scope; return the scope it ends with."""
        saved = dict(self.vars)
        self.indent += 1
        self.block(n, allow_debug=False)
        if target is not None:
            name, kind = target
            e = self.gen(kind, self.lv.expr_budget - 1)
            self.emit(f"{name} = {e.text}")
            self.define(name, e.info)
        self.indent -= 1
        result = self.vars
        self.vars = saved
        return result

    def stmt_if(self) -> bool:
        cond = self.condition(self.lv.expr_budget - 1)
        self.nest += 1
        saved_always = self.always
        self.always = False
        target = None
        if self.chance(0.4):
            kind = self.pick((INT, STR, INT, BOOL, STR))
            target = (self.fresh(self.name_pool(kind)), kind)
        branches = []
        self.emit(f"if {cond.text}:")
        lo, hi = self.lv.body
        branches.append(self._branch(self.randint(lo, hi) - (1 if target else 0), target))
        n_elif = self.randint(0, 1) if self.level >= 3 and self.chance(0.35) else 0
        for _ in range(n_elif):
            self.emit(f"elif {self.condition(self.lv.expr_budget - 1).text}:")
            branches.append(self._branch(self.randint(lo, hi) - (1 if target else 0), target))
        if target is not None or self.chance(0.5):
            self.emit("else:")
            branches.append(self._branch(self.randint(lo, hi) - (1 if target else 0), target))
        else:
            branches.append(dict(self.vars))
        self.vars = self._merge(branches)
        if target is not None and target[0] in self.vars:
            self.recent.append(target[0])
        self.always = saved_always
        self.nest -= 1
        return True

    @staticmethod
    def _merge(scopes: list[dict]) -> dict:
        """Names certainly defined after an if: those defined on every branch, with the union
        of what each branch knows about them."""
        first, rest = scopes[0], scopes[1:]
        merged = {}
        for name, v in first.items():
            info = v.info
            ok = True
            for other in rest:
                w = other.get(name)
                if w is None or w.frozen != v.frozen:
                    ok = False
                    break
                if w is not v:
                    info = info.union(w.info)
                    if info is None:
                        ok = False
                        break
            if ok:
                merged[name] = v if info is v.info else Var(name, info, v.depth, v.frozen, v.growth, v.readonly)
        return merged

    # loops

    def _nest_room(self) -> int:
        """Most iterations a new loop may have here."""
        p = self._multiplicity(0)
        limit = self.lv.nest_iters if not self.in_function else self.lv.loop_max
        return min(self.lv.loop_max, limit // p)

    def _freeze(self, exclude: set[str], fresh_acc: str | None) -> list[str]:
        """Choose the loop-carried variables (frozen while the loop is written)."""
        d = len(self.loops)
        candidates = [
            v
            for v in self.vars.values()
            if v.depth == d and not v.frozen and not v.readonly and v.name not in exclude and v.info.kind != TUP
        ]
        chosen = [fresh_acc] if fresh_acc and fresh_acc not in exclude else []
        for v in candidates:
            if v.name != fresh_acc and self.chance(0.25):
                chosen.append(v.name)
        for name in chosen:
            v = self.vars[name]
            self.vars[name] = Var(name, v.info, v.depth, frozen=True, growth=Growth())
        return chosen

    def _thaw(self, frozen: list[str], depth: int) -> None:
        for name in frozen:
            v = self.vars[name]
            self.vars[name] = Var(name, apply_growth(v.info, v.growth), v.depth)
        self.vars = {n: v for n, v in self.vars.items() if v.depth <= depth}

    def _accumulator_init(self) -> str | None:
        """Often a loop starts a fresh accumulator just before it (total = 0, out = [], ...)."""
        if not self.chance(0.7):
            return None
        kind = self.weighted(ACCUMULATOR_KINDS)
        name = self.fresh(self.name_pool(kind))
        if kind == INT:
            v = self.pick((0, 0, 0, 1, self.randint(1, 20)))
            self.emit(f"{name} = {v}")
            self.define(name, I_int(v, v))
        elif kind == STR:
            s = self.pick(("", "", self.word(1, 4)))
            self.emit(f"{name} = {self.q(s)}")
            self.define(name, I_str(len(s), len(s)))
        elif kind == LINT:
            self.emit(f"{name} = []")
            self.define(name, Info(LINT, 0, 0, 0, 0))
        elif kind == LSTR:
            self.emit(f"{name} = []")
            self.define(name, Info(LSTR))
        elif kind == DICT:
            self.emit(f"{name} = {{}}")
            self.define(name, Info(DICT))
        else:
            self.emit(f"{name} = False")
            self.define(name, Info(BOOL))
        return name

    def _loop_source(self, room: int):
        """(header text after 'for ', [(name, Info)] loop variables, max_iter, min_iter, source
        name, safe-index pair)."""
        options = []
        for v in self.vars.values():
            i = v.info
            if v.frozen or i.kind not in (LINT, LSTR, STR, DICT) or i.maxlen > room or i.maxlen == 0:
                continue
            options.append(v)
        if options and self.chance(0.6):
            v = self.pick(options)
            i = v.info
            if i.kind in LIST_KINDS:
                einfo = I_int(i.lo, i.hi) if i.kind == LINT else I_str(i.smin, i.smax)
                x = self.fresh(vocab.LOOP_ELEM_INT_NAMES if i.kind == LINT else vocab.LOOP_ELEM_STR_NAMES)
                roll = self.r()
                if roll < 0.5:
                    return f"{x} in {v.name}", [(x, einfo)], i.maxlen, i.minlen, v.name, None
                if roll < 0.7:
                    k = self.fresh(vocab.LOOP_INT_NAMES, avoid=(x,))
                    start = self.pick((0, 0, 1))
                    head = f"{k}, {x} in enumerate({v.name})" if start == 0 else f"{k}, {x} in enumerate({v.name}, 1)"
                    return head, [(k, I_int(start, start + i.maxlen - 1)), (x, einfo)], i.maxlen, i.minlen, v.name, None
                if roll < 0.85:
                    k = self.fresh(vocab.LOOP_INT_NAMES)
                    return (
                        f"{k} in range(len({v.name}))",
                        [(k, I_int(0, max(0, i.maxlen - 1)))],
                        i.maxlen,
                        i.minlen,
                        v.name,
                        (v.name, k),
                    )
                fn = self.pick(("sorted", "reversed"))
                return f"{x} in {fn}({v.name})", [(x, einfo)], i.maxlen, i.minlen, v.name, None
            if i.kind == STR:
                c = self.fresh(("ch", "c", "letter", "char"))
                return f"{c} in {v.name}", [(c, I_str(1, 1))], i.maxlen, i.minlen, v.name, None
            k = self.fresh(("k", "key", "name_k", "label_k"))
            kinfo = I_str(i.smin, i.smax)
            roll = self.r()
            if roll < 0.5:
                x = self.fresh(("v", "val", "cnt", "qty"))
                return (
                    f"{k}, {x} in {v.name}.items()",
                    [(k, kinfo), (x, I_int(i.lo, i.hi))],
                    i.maxlen,
                    i.minlen,
                    v.name,
                    None,
                )
            src = f"sorted({v.name})" if roll < 0.75 else v.name
            return f"{k} in {src}", [(k, kinfo)], i.maxlen, i.minlen, v.name, None
        n = self.randint(min(2, room), room)
        k = self.fresh(vocab.LOOP_INT_NAMES)
        roll = self.r()
        if roll < 0.45:
            return f"{k} in range({n})", [(k, I_int(0, n - 1))], n, n, None, None
        if roll < 0.75:
            a = self.randint(1, 9)
            return f"{k} in range({a}, {a + n})", [(k, I_int(a, a + n - 1))], n, n, None, None
        if roll < 0.9:
            a, s = self.randint(0, 5), self.randint(2, 4)
            return f"{k} in range({a}, {a + n * s - s + 1}, {s})", [(k, I_int(a, a + (n - 1) * s))], n, n, None, None
        a = self.randint(n, n + 8)
        return f"{k} in range({a}, {a - n}, -1)", [(k, I_int(a - n + 1, a))], n, n, None, None

    def stmt_for(self) -> bool:
        room = self._nest_room()
        if room < 2:
            return False
        acc = self._accumulator_init()
        head, loop_vars, max_iter, min_iter, source, safe = self._loop_source(room)
        self.emit(f"for {head}:")
        self._loop_body(loop_vars, max_iter, min_iter, acc, {source} if source else set(), safe, allow_continue=True)
        return True

    def _loop_body(self, loop_vars, max_iter, min_iter, acc, exclude, safe, allow_continue, tail=None):
        """Write a loop body (the header is already out). loop_vars: [(name, Info)] bound by the
        header; max_iter/min_iter: bounds on the iterations; acc: a fresh accumulator to carry;
        exclude: names that must stay unchanged (the container walked, the counter); safe: a
        (list, index) pair valid inside; tail: the counter step of a while loop."""
        depth = len(self.loops)
        frozen = self._freeze(exclude, acc)
        self.loops.append(Loop(max_iter, min_iter))
        self.nest += 1
        self.indent += 1
        saved_always = self.always
        self.always = saved_always and min_iter >= 1
        if safe is not None:
            self.safe_index.append(safe)
        for name, info in loop_vars:
            self.vars[name] = Var(name, info, depth + 1, readonly=True)
            self.recent.append(name)
        if allow_continue and self.level >= 3 and self.chance(0.12):
            cond = self.condition(1, allow_frozen=False)
            self.emit(f"if {cond.text}:")
            self.emit("    continue")
            self.always = False
        if frozen:
            self.stmt_accumulate(prefer_loop_var=loop_vars[0][0] if loop_vars else None)
        lo, hi = self.lv.body
        if frozen:
            self.budget -= 1
        self.block(self.randint(lo, hi) - (1 if frozen else 0))
        if self.chance(0.15):
            cond = self.condition(1)
            self.emit(f"if {cond.text}:")
            self.emit("    break")
        if tail:
            self.emit(tail)
        self.indent -= 1
        self.nest -= 1
        self.always = saved_always
        if safe is not None:
            self.safe_index.pop()
        self.loops.pop()
        self._thaw(frozen, depth)
        for name in frozen:
            self.recent.append(name)

    def stmt_while(self) -> bool:
        room = self._nest_room()
        if room < 2:
            return False
        roll = self.r()
        if roll < 0.45:
            # counter: k = a; while k < b: ...; k += s
            k = self.fresh(vocab.LOOP_INT_NAMES + ("pos", "cursor", "tick"))
            a = self.randint(0, 5)
            s = self.pick((1, 2, 3))
            n = self.randint(2, room)
            b = a + (n - 1) * s + self.randint(1, s)
            acc = self._accumulator_init()
            self.emit(f"{k} = {a}")
            self.emit(f"while {k} < {b}:")
            self.vars[k] = Var(k, I_int(a, b - 1), len(self.loops), readonly=True)
            self._loop_body([], n, 1, acc, {k}, None, allow_continue=False, tail=f"{k} += {s}")
            self.define(k, I_int(a, b - 1 + s))
            return True
        if roll < 0.75:
            # digits / halving: m = start; while m > 0: ...; m //= d
            d = self.pick((2, 3, 10, 10))
            iters = room
            hi = min(d**iters - 1, 99999)
            start = self.randint(max(1, hi // 50), hi)
            m = self.fresh(("m", "rest", "left_n", "num", "work"))
            acc = self._accumulator_init()
            self.emit(f"{m} = {start}")
            self.emit(f"while {m} > 0:")
            n_iter = len(_digits_in_base(start, d))
            self.vars[m] = Var(m, I_int(1, start), len(self.loops), readonly=True)
            digit = self.fresh(("digit", "d", "low", "part", "bit"))
            self.indent += 1
            self.emit(f"{digit} = {m} % {d}")
            self.indent -= 1
            self._loop_body(
                [(digit, I_int(0, d - 1))], n_iter, 1, acc, {m}, None, allow_continue=False, tail=f"{m} //= {d}"
            )
            self.define(m, I_int(0, start))
            return True
        # stack: stack = list(src); while stack: item = stack.pop()
        options = [
            v
            for v in self.vars.values()
            if v.info.kind in LIST_KINDS and not v.frozen and 1 <= v.info.minlen and v.info.maxlen <= room
        ]
        if not options:
            return False
        src = self.pick(options)
        st = self.fresh(("stack", "todo", "pending", "queue"))
        acc = self._accumulator_init()
        self.emit(f"{st} = list({src.name})")
        self.emit(f"while {st}:")
        # inside the body the stack has lost at least its popped item: nothing may index it
        i = src.info
        self.vars[st] = Var(
            st, Info(i.kind, i.lo, i.hi, 0, i.maxlen - 1, i.smin, i.smax), len(self.loops), readonly=True
        )
        item = self.fresh(vocab.LOOP_ELEM_INT_NAMES if src.info.kind == LINT else vocab.LOOP_ELEM_STR_NAMES)
        einfo = I_int(src.info.lo, src.info.hi) if src.info.kind == LINT else I_str(src.info.smin, src.info.smax)
        self.indent += 1
        self.emit(f"{item} = {st}.pop({self.pick(('', '0'))})")
        self.indent -= 1
        self._loop_body(
            [(item, einfo)], src.info.maxlen, src.info.minlen, acc, {st, src.name}, None, allow_continue=False
        )
        self.define(st, Info(src.info.kind, src.info.lo, src.info.hi, 0, src.info.maxlen, src.info.smin, src.info.smax))
        return True

    # functions

    def function(self) -> None:
        name = self.fresh(vocab.FUNC_NAMES)
        self.reserved.add(name)
        n_params = self.randint(1, 3 if self.level >= 4 else 2)
        params: list[tuple[str, Info]] = []
        used = set()
        for _ in range(n_params):
            kind = self.weighted(PARAM_KINDS)
            pool = {
                INT: vocab.PARAM_INT_NAMES,
                STR: vocab.PARAM_STR_NAMES,
                LINT: vocab.PARAM_LINT_NAMES,
                LSTR: vocab.PARAM_LSTR_NAMES,
            }[kind]
            pname = self.pick(pool)
            if pname in used or pname in self.reserved:
                continue
            used.add(pname)
            if kind == INT:
                lo, hi = self.pick(((0, 50), (-20, 20), (1, 12), (0, 100)))
                info = I_int(lo, hi)
            elif kind == STR:
                info = I_str(1, 10)
            elif kind == LINT:
                info = Info(LINT, -20, 50, 1, 6)
            else:
                info = Info(LSTR, minlen=1, maxlen=5, smin=1, smax=8)
            params.append((pname, info))
        ret_kind = self.weighted(RETURN_KINDS)

        saved = (self.vars, self.loops, self.nest, self.always, self.in_function, self.recent, self.safe_index)
        self.vars, self.loops, self.nest, self.always, self.in_function = {}, [], 0, False, True
        self.recent, self.safe_index = [], []
        for pname, info in params:
            # list params are the caller's objects: never mutated here
            self.vars[pname] = Var(pname, info, 0, readonly=info.kind in LIST_KINDS)
        self.emit(f"def {name}({', '.join(p for p, _ in params)}):")
        self.indent += 1
        outer_level = self.lv
        # a function body nests one block at most; its loops stay short
        self.lv = Level(
            outer_level.statements,
            1,
            outer_level.loop_max,
            outer_level.loop_max,
            (0, 0),
            outer_level.body,
            (0, 0),
            0,
            0,
            outer_level.expr_budget,
        )
        saved_budget, self.budget = self.budget, self.randint(1, 3 if self.level >= 3 else 2)
        self.block(self.budget, allow_debug=False)
        self.budget = saved_budget
        ret_infos = []
        if self.chance(0.3):
            cond = self.condition(1, allow_frozen=False)
            early = self.gen(ret_kind, 1)
            self.emit(f"if {cond.text}:")
            self.emit(f"    return {early.text}")
            ret_infos.append(early.info)
        local_names = set(self.vars)
        for _ in range(4):  # a function that ignores its inputs makes a poor exercise
            final = self.gen(ret_kind, self.lv.expr_budget)
            if local_names & set(IDENT.findall(final.text)):
                break
        self.emit(f"return {final.text}")
        ret_infos.append(final.info)
        self.lv = outer_level
        self.indent -= 1
        self.emit("")
        self.flush()
        (self.vars, self.loops, self.nest, self.always, self.in_function, self.recent, self.safe_index) = saved
        ret = ret_infos[0]
        for other in ret_infos[1:]:
            ret = ret.union(other) or ret
        if ret_kind == INT and not is_small(ret):
            ret = None
        if ret is None:
            return
        self.functions.append(FuncSig(name, params, ret))

    # stdin

    def read_stdin(self) -> None:
        forms = self.randint(1, 2 if self.level <= 3 else 3)
        for _ in range(forms):
            roll = self.r()
            if roll < 0.3:
                name = self.fresh(vocab.INT_NAMES)
                lo, hi = self.pick(((1, 20), (0, 99), (2, 9), (10, 500)))
                value = self.randint(lo, hi)
                self.emit(f"{name} = int(input())")
                self.stdin_lines.append(str(value))
                self.define(name, I_int(lo, hi))
            elif roll < 0.45:
                a = self.fresh(vocab.INT_NAMES)
                self.define(a, I_int(0, 0))
                c = self.fresh(vocab.INT_NAMES)
                vals = (self.randint(-10, 50), self.randint(1, 30))
                self.emit(f"{a}, {c} = map(int, input().split())")
                self.stdin_lines.append(f"{vals[0]} {vals[1]}")
                self.define(a, I_int(-10, 50))
                self.define(c, I_int(1, 30))
            elif roll < 0.65:
                name = self.fresh(vocab.LSTR_NAMES)
                n = self.randint(2, 6)
                ws = [self.word(1, 7) for _ in range(n)]
                self.emit(f"{name} = input().split()")
                self.stdin_lines.append(" ".join(ws))
                self.define(name, Info(LSTR, minlen=n, maxlen=n, smin=1, smax=7))
            elif roll < 0.85:
                name = self.fresh(vocab.LINT_NAMES)
                n = self.randint(2, 7)
                vals = [self.randint(-9, 40) for _ in range(n)]
                self.emit(f"{name} = list(map(int, input().split()))")
                self.stdin_lines.append(" ".join(map(str, vals)))
                self.define(name, Info(LINT, -9, 40, n, n))
            else:
                name = self.fresh(vocab.STR_NAMES)
                w = self.word(1, 9)
                self.emit(f"{name} = input(){'.strip()' if self.chance(0.4) else ''}")
                self.stdin_lines.append(w)
                self.define(name, I_str(1, 9))

    # the whole program

    def final_prints(self) -> None:
        shown = 0
        wanted = self.randint(1, 3)
        for name in reversed(self.recent):
            v = self.vars.get(name)
            if v is None or shown >= wanted:
                continue
            if self.lines_left <= 0:
                break
            label = self.chance(0.3)
            text = self.show(v)[0]
            self.emit(f'print("{name}:", {text})' if label else f"print({text})")
            self.lines_left -= 1
            shown += 1
            self.recent = [n for n in self.recent if n != name]
        for f in self.functions:
            if f.name not in self.called:
                args = ", ".join(self.gen_fitting(slot, 1).text for _, slot in f.params)
                self.emit(f"print({f.name}({args}))")
                self.called.add(f.name)
        if shown == 0:
            vs = [v for v in self.vars.values() if repr_len(v.info) <= MAX_PRINT_REPR]
            self.emit(f"print({self.pick_var(vs).name})" if vs else f"print({self.gen(INT, 1).text})")

    def generate(self) -> Program:
        for _ in range(self.randint(*self.lv.functions)):
            self.function()
        self.reserve_lines = 3 + len(self.functions) + self.debug_left
        if self.chance(self.lv.stdin_chance):
            self.read_stdin()
            self.flush()
        self.budget = self.randint(*self.lv.statements)
        if not self.vars:
            # start from a value: conditions and debug prints need something to read
            self.budget -= 1
            self.stmt_assign()
        while self.budget > 0:
            self.block(self.budget)
        while self.debug_left > 0 and self.stmt_debug():
            pass
        self.reserve_lines = 0
        self.final_prints()
        source = "\n".join(self.out) + "\n"
        stdin = "".join(line + "\n" for line in self.stdin_lines)
        return Program(source, stdin, self.debug_count)


_STATEMENT_TABLES: dict[tuple[bool, bool, bool], Choice] = {}


def _statement_table(in_loop: bool, in_function: bool, can_nest: bool) -> Choice:
    """Which statement comes next, by context (built once per context)."""
    G = ProgramGenerator
    pairs = [(5 if not in_loop else 2.5, G.stmt_assign), (3, G.stmt_update), (0.6, G.stmt_unpack)]
    if in_loop:
        pairs.append((3.5, G.stmt_accumulate))
    if not in_function:
        pairs.append((1.2 if in_loop else 1.5, G.stmt_print))
    if can_nest:
        pairs.append((1.6, G.stmt_if))
        pairs.append((2.6 if not in_loop else 1.2, G.stmt_for))
        pairs.append((0.8 if not in_loop else 0.4, G.stmt_while))
    return Choice(pairs)


def _digits_in_base(n: int, base: int) -> list[int]:
    out = []
    while n > 0:
        out.append(n % base)
        n //= base
    return out


def generate_program(rng: random.Random, difficulty: int, sink=None) -> Program:
    """The program for this rng state and level. `sink(piece, first_line)`, when given, receives
    groups of finished top-level statements as soon as they are written, in order; they are a
    prefix of `Program.source` (the rest is not sent)."""
    return ProgramGenerator(rng, difficulty, sink).generate()
