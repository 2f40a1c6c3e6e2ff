"""Exact, exhaustive search over arithmetic expressions that use each given number exactly once.

The question "can these numbers, each used once, with these binary operators and any bracketing,
make the target?" is answered without floats and without enumerating expressions one by one:

- Values are exact rationals held as reduced ``(numerator, denominator)`` int pairs (denominator
  > 0): Fraction objects are ~10x slower in the inner loops.
- ``values(mask)`` is the set of every value a sub-multiset of the numbers can make (subset DP:
  the union, over the ways to split the subset in two, of one part's values combined with the
  other's). Sets are memoised per sorted sub-multiset, so repeated numbers share work.
- ``solvable(target)`` meets in the middle on the final operation: for every split of the numbers
  into A and B it walks the (small) value set of the smaller side and asks whether the value the
  other side would need is reachable, recursing instead of materialising sets larger than
  ``materialise_up_to`` numbers. Every split, every operand order and every operator is covered,
  so "not solvable" is a proof by exhaustion.
- When both ``+`` and ``-`` are allowed only non-negative values are tracked: any value reachable
  with some negative intermediate has its absolute value reachable with non-negative ones
  (|a+b| and |a-b| are always x+y or |x-y| of the absolute values), which halves the sets. With
  ``-`` but no ``+`` that argument fails (x+y needs a negative operand), so signs are kept.

Expressions are trees: an ``int`` leaf is a given number; ``(op, left, right)`` with op one of
``+ - * /`` is a node.
"""

from __future__ import annotations

from math import gcd
from typing import Iterable, Sequence, Union

OPERATORS: tuple[str, ...] = ("+", "-", "*", "/")


def default_materialise_up_to(count: int) -> int:
    """Value sets are built for subsets of at most this many numbers; larger subsets are searched
    by meeting in the middle. Measured best (tasks/s of game_of_24): 3 for 4 and 5 numbers (3x
    faster than 4), 4 for 6 numbers (3x faster than 3); a 5-number set can hold ~20k values."""
    return max(3, count - 2)


Value = tuple[int, int]
Expr = Union[int, tuple]


def make_value(numerator: int, denominator: int = 1) -> Value:
    if denominator == 0:
        raise ZeroDivisionError("denominator is zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    g = gcd(numerator, denominator)
    return numerator // g, denominator // g


def apply_op(op: str, a: Value, b: Value) -> Value | None:
    """a op b exactly; None for a division by zero."""
    an, ad = a
    bn, bd = b
    if op == "+":
        return make_value(an * bd + bn * ad, ad * bd)
    if op == "-":
        return make_value(an * bd - bn * ad, ad * bd)
    if op == "*":
        return make_value(an * bn, ad * bd)
    if op == "/":
        if bn == 0:
            return None
        return make_value(an * bd, ad * bn)
    raise ValueError(f"unknown operator {op!r}")


def evaluate(expr: Expr) -> Value | None:
    """The exact value of an expression tree; None when it divides by zero."""
    if isinstance(expr, int):
        return (expr, 1)
    op, left, right = expr
    a = evaluate(left)
    if a is None:
        return None
    b = evaluate(right)
    if b is None:
        return None
    return apply_op(op, a, b)


def leaves(expr: Expr) -> list[int]:
    if isinstance(expr, int):
        return [expr]
    return leaves(expr[1]) + leaves(expr[2])


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def render(expr: Expr, symbols: dict[str, str] | None = None) -> str:
    """Text whose parse is exactly this tree: a left operand is bracketed when it binds looser
    than its parent, a right operand whenever it does not bind tighter."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    prec = _PRECEDENCE[op]
    lt = render(left, symbols)
    rt = render(right, symbols)
    if not isinstance(left, int) and _PRECEDENCE[left[0]] < prec:
        lt = f"({lt})"
    if not isinstance(right, int) and _PRECEDENCE[right[0]] <= prec:
        rt = f"({rt})"
    sym = symbols.get(op, op) if symbols else op
    return f"{lt} {sym} {rt}"


def format_value(v: Value) -> str:
    n, d = v
    return str(n) if d == 1 else f"{n}/{d}"


def _combine(left: set, right: set, plus: bool, minus: bool, times: bool, divide: bool, nonneg: bool) -> set:
    """Every value a op b for a in left, b in right (both operand orders for - and /)."""
    out: set = set()
    add = out.add
    for an, ad in left:
        for bn, bd in right:
            if ad == 1 and bd == 1:
                # Integers, the bulk of every set: no gcd except for a quotient.
                if plus:
                    add((an + bn, 1))
                if minus:
                    if nonneg:
                        add((an - bn if an >= bn else bn - an, 1))
                    else:
                        add((an - bn, 1))
                        add((bn - an, 1))
                if times:
                    add((an * bn, 1))
                if divide:
                    if bn:
                        g = gcd(an, bn)
                        add((an // g, bn // g) if bn > 0 else (-an // g, -bn // g))
                    if an:
                        g = gcd(an, bn)
                        add((bn // g, an // g) if an > 0 else (-bn // g, -an // g))
                continue
            d = ad * bd
            if plus or minus:
                x = an * bd
                y = bn * ad
                if ad == 1 or bd == 1:
                    # One integer operand: (a*d +- n) / d is already in lowest terms.
                    if plus:
                        add((x + y, d))
                    if minus:
                        if nonneg:
                            add((x - y if x >= y else y - x, d))
                        else:
                            add((x - y, d))
                            add((y - x, d))
                else:
                    if plus:
                        n = x + y
                        g = gcd(n, d)
                        add((n // g, d // g))
                    if minus:
                        n = x - y
                        g = gcd(n, d)
                        if nonneg:
                            add((n // g if n >= 0 else -n // g, d // g))
                        else:
                            add((n // g, d // g))
                            add((-n // g, d // g))
            if times:
                n = an * bn
                g = gcd(n, d)
                add((n // g, d // g))
            if divide:
                if bn:
                    n, dd = an * bd, ad * bn
                    if dd < 0:
                        n, dd = -n, -dd
                    g = gcd(n, dd)
                    add((n // g, dd // g))
                if an:
                    n, dd = bn * ad, bd * an
                    if dd < 0:
                        n, dd = -n, -dd
                    g = gcd(n, dd)
                    add((n // g, dd // g))
    return out


class ExactSolver:
    """Reachability of exact values from a multiset of positive integers, each used exactly once."""

    def __init__(self, numbers: Sequence[int], operators: Iterable[str], materialise_up_to: int | None = None):
        ops = set(operators)
        unknown = ops - set(OPERATORS)
        if unknown or not ops:
            raise ValueError(f"operators must be a non-empty subset of {OPERATORS}, got {sorted(ops)}")
        if not numbers or any(isinstance(n, bool) or not isinstance(n, int) or n <= 0 for n in numbers):
            raise ValueError(f"numbers must be positive ints, got {list(numbers)}")
        if materialise_up_to is None:
            materialise_up_to = default_materialise_up_to(len(numbers))
        if materialise_up_to < 1:
            raise ValueError(f"materialise_up_to must be >= 1, got {materialise_up_to}")
        self.numbers = tuple(numbers)
        self._k = materialise_up_to
        self.operators = tuple(op for op in OPERATORS if op in ops)
        self._plus = "+" in ops
        self._minus = "-" in ops
        self._times = "*" in ops
        self._divide = "/" in ops
        # See the module docstring: with both + and - every reachable |value| is reachable
        # through non-negative intermediates; with no - nothing is ever negative.
        self._nonneg = self._plus or not self._minus
        self._full = (1 << len(self.numbers)) - 1
        self._sets: dict[tuple[int, ...], set] = {}  # by sorted sub-multiset: repeated numbers share
        self._sets_by_mask: dict[int, set] = {}
        self._split_plan: dict[int, list] = {}
        self._reach_memo: dict[tuple[int, Value], bool] = {}

    # -- value sets -------------------------------------------------------------------------

    def _key(self, mask: int) -> tuple[int, ...]:
        return tuple(sorted(n for i, n in enumerate(self.numbers) if mask >> i & 1))

    @staticmethod
    def _splits(mask: int):
        """Each unordered split of mask into two non-empty parts once: (part with the lowest bit, rest)."""
        low = mask & -mask
        rest = mask ^ low
        sub = rest
        while True:
            a = sub | low
            b = mask ^ a
            if b:
                yield a, b
            if sub == 0:
                break
            sub = (sub - 1) & rest

    def values(self, mask: int | None = None) -> set:
        """Every value the numbers selected by mask can make (default: all of them)."""
        if mask is None:
            mask = self._full
        cached = self._sets_by_mask.get(mask)
        if cached is not None:
            return cached
        key = self._key(mask)
        cached = self._sets.get(key)
        if cached is not None:
            self._sets_by_mask[mask] = cached
            return cached
        if mask & (mask - 1) == 0:
            out = {(key[0], 1)}
        else:
            out = set()
            for a, b in self._splits(mask):
                out |= _combine(self.values(a), self.values(b), self._plus, self._minus, self._times,
                                self._divide, self._nonneg)
        self._sets[key] = out
        self._sets_by_mask[mask] = out
        return out

    # -- meet in the middle -----------------------------------------------------------------

    def needed_operands(self, a: Value, t: Value) -> list:
        """(op, b, a_on_left) for each way `a op b == t` or `b op a == t` could hold, with the
        value b the other side must make. A None b means any b the other side makes will do
        (only `0 * b == 0`); the string "nonzero" means any non-zero b (only `0 / b == 0`).
        Negative b are left out when only non-negative values are tracked (module docstring)."""
        an, ad = a
        tn, td = t
        out = []
        if self._plus:
            out.append(("+", make_value(tn * ad - an * td, td * ad), True))
        if self._minus:
            out.append(("-", make_value(an * td - tn * ad, ad * td), True))   # a - b = t
            out.append(("-", make_value(tn * ad + an * td, td * ad), False))  # b - a = t
        if self._times:
            if an:
                out.append(("*", make_value(tn * ad, td * an), True))
            elif tn == 0:
                out.append(("*", None, True))
        if self._divide:
            if tn:
                if an:
                    out.append(("/", make_value(an * td, ad * tn), True))  # a / b = t
            elif an == 0:
                out.append(("/", "nonzero", True))
            if an:
                out.append(("/", make_value(tn * an, td * ad), False))  # b / a = t
        return [item for item in out if self._may_hold(item[1])]

    def _may_hold(self, b) -> bool:
        return not (self._nonneg and isinstance(b, tuple) and b[0] < 0)

    def _other_side_makes(self, mask: int, b) -> bool:
        if b is None:
            return True
        if b == "nonzero":
            # The side is non-empty and made of positive numbers; with / allowed it can always
            # make a non-zero value (divide them all in a chain).
            return True
        return self.reachable(mask, b)

    def _needed_set(self, values_a: set, t: Value) -> set:
        """Every value b the other side could make so that a op b or b op a equals t, for some a
        in values_a: the value-only twin of needed_operands() for the decision search, one call per split
        so that the membership test can be a single C-level set operation. The caller handles the
        a == t == 0 case."""
        tn, td = t
        out: set = set()
        add = out.add
        plus, minus, times, divide, nonneg = self._plus, self._minus, self._times, self._divide, self._nonneg
        for an, ad in values_a:
            if ad == 1 and td == 1:  # the common case: both integers, no gcd for + and -
                if plus and (tn >= an or not nonneg):
                    add((tn - an, 1))
                if minus:
                    if an >= tn or not nonneg:
                        add((an - tn, 1))
                    add((an + tn, 1))
                if an:
                    if times:
                        g = gcd(tn, an)
                        add((tn // g, an // g) if an > 0 else (-tn // g, -an // g))
                    if divide:
                        if tn:
                            g = gcd(an, tn)
                            add((an // g, tn // g) if tn > 0 else (-an // g, -tn // g))
                        add((tn * an, 1))
                continue
            d = td * ad
            if plus or minus:
                x = tn * ad
                y = an * td
                if td == 1 or ad == 1:
                    # One integer: (t*d +- n) / d is already in lowest terms.
                    if plus and (x >= y or not nonneg):
                        add((x - y, d))
                    if minus:
                        if y >= x or not nonneg:
                            add((y - x, d))
                        add((x + y, d))
                else:
                    if plus and (x >= y or not nonneg):
                        n = x - y
                        g = gcd(n, d)
                        add((n // g, d // g))
                    if minus:
                        if y >= x or not nonneg:
                            n = y - x
                            g = gcd(n, d)
                            add((n // g, d // g))
                        n = x + y
                        g = gcd(n, d)
                        add((n // g, d // g))
            if an:
                if times:
                    n, dd = tn * ad, td * an
                    g = gcd(n, dd)
                    n, dd = n // g, dd // g
                    add((n, dd) if dd > 0 else (-n, -dd))
                if divide:
                    if tn:
                        n, dd = an * td, ad * tn
                        g = gcd(n, dd)
                        n, dd = n // g, dd // g
                        add((n, dd) if dd > 0 else (-n, -dd))
                    n, dd = tn * an, td * ad
                    g = gcd(n, dd)
                    add((n // g, dd // g))
        return out

    def reachable(self, mask: int, t: Value) -> bool:
        """Can the numbers selected by mask make exactly t?"""
        if self._nonneg and t[0] < 0:
            return False
        if mask & (mask - 1) == 0 or mask.bit_count() <= self._k:
            return t in self.values(mask)
        memo_key = (mask, t)
        hit = self._reach_memo.get(memo_key)
        if hit is not None:
            return hit
        result = any(self.split_makes(a_mask, b_mask, t, b_small) for a_mask, b_mask, b_small in self._plan(mask))
        self._reach_memo[memo_key] = result
        return result

    def split_makes(self, a_mask: int, b_mask: int, t: Value, b_small: bool | None = None) -> bool:
        """Can one value from the a_mask numbers and one from the b_mask numbers, combined by one
        allowed operator in either order, give t? (a_mask should be the smaller side.)"""
        if b_small is None:
            b_small = b_mask.bit_count() <= self._k
        values_a = self.values(a_mask)
        # 0 * b == 0 for every b, and 0 / b == 0 for the non-zero b that the other side can
        # always make when / is allowed (divide its positive numbers in a chain).
        if t[0] == 0 and (self._times or self._divide) and (0, 1) in values_a:
            return True
        needed = self._needed_set(values_a, t)
        if b_small:
            return not needed.isdisjoint(self.values(b_mask))
        return any(self.reachable(b_mask, b) for b in needed)

    def _plan(self, mask: int) -> list:
        """The splits of mask as (smaller side, larger side, larger side is materialised)."""
        plan = self._split_plan.get(mask)
        if plan is None:
            plan = []
            for a_mask, b_mask in self._splits(mask):
                if a_mask.bit_count() > b_mask.bit_count():
                    a_mask, b_mask = b_mask, a_mask
                plan.append((a_mask, b_mask, b_mask.bit_count() <= self._k))
            # Cheap splits first (set lookups before recursion, few values before many), so a
            # reachable target is usually found early; an unreachable one visits them all anyway.
            plan.sort(key=lambda split: (not split[2], split[0].bit_count()))
            self._split_plan[mask] = plan
        return plan

    def _public_target(self, target: int | Value) -> Value:
        t = (target, 1) if isinstance(target, int) else make_value(*target)
        if t[0] < 0 and self._nonneg:
            # The non-negative bookkeeping answers only for targets >= 0 (puzzle targets are positive).
            raise ValueError(f"target must be >= 0 with operators {self.operators}, got {format_value(t)}")
        return t

    def solvable(self, target: int | Value) -> bool:
        """Can all the numbers, each used once, make target exactly?"""
        return self.reachable(self._full, self._public_target(target))

    # -- reconstruction ---------------------------------------------------------------------

    def _leaf(self, mask: int) -> int:
        return self.numbers[(mask & -mask).bit_length() - 1]

    def find(self, mask: int, t: Value) -> Expr | None:
        """An expression over the numbers in mask with value t, or None. Deterministic: splits and
        values are visited in sorted order, never in set order."""
        if mask & (mask - 1) == 0:
            return self._leaf(mask) if t == (self._leaf(mask), 1) else None
        if not self.reachable(mask, t):
            return None
        # A fixed split order (smaller side first, then by mask), so the expression found does not
        # depend on materialise_up_to, which only changes how fast the answer comes.
        splits = [(a, b) if a.bit_count() <= b.bit_count() else (b, a) for a, b in self._splits(mask)]
        for a_mask, b_mask in sorted(splits, key=lambda split: (split[0].bit_count(), split[0])):
            if not self.split_makes(a_mask, b_mask, t):
                continue
            for a in sorted(self.values(a_mask)):
                for op, b, a_on_left in self.needed_operands(a, t):
                    if b is None or b == "nonzero":
                        candidates = [v for v in sorted(self.values(b_mask)) if b is None or v[0] != 0]
                        b = candidates[0]
                    if not self.reachable(b_mask, b):
                        continue
                    a_expr = self.find(a_mask, a)
                    b_expr = self.find(b_mask, b)
                    return (op, a_expr, b_expr) if a_on_left else (op, b_expr, a_expr)
        raise AssertionError("reachable() and find() disagree")  # unreachable by construction

    def solve(self, target: int | Value) -> Expr | None:
        """An expression over all the numbers with value target, or None when there is none."""
        return self.find(self._full, self._public_target(target))
