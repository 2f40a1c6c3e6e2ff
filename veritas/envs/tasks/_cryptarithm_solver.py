"""Exact solver for letter arithmetic (`cryptarithm` family).

An equation is `operands[0] op operands[1] op ... = result` with op in "+", "-", "*"; "*" binds
tighter than "+" and "-", which go left to right. Every letter is one digit, distinct letters are
distinct digits, and a word of two or more letters does not start with 0 (a one-letter word may
be 0).

The search assigns digits column by column from the ones column up. The last k+1 digits of the
left-hand side depend only on the last k+1 digits of every operand (true for +, - and *), so after
column k the partial assignment must already reproduce the result's last k+1 digits; a column
with a letter not seen before is solved for that letter rather than enumerated:

- +/- only: the column reads sum(coef * digit) + carry_in = 10 * carry_out. The result letter (or
  any new letter whose coefficient is odd and not 5) is computed from the others.
- with *: the result's column digit is computed from the operands' low digits; when the result
  letter is already known, one new operand letter is solved from it instead (for k >= 1 the
  column digit is linear in that letter mod 10; the table SOLUTIONS_MOD10 lists its roots).

`solve()` stops at `limit` solutions, so uniqueness costs one search with limit=2.
"""

from __future__ import annotations

OPERATORS = ("+", "-", "*")

# Inverse of c modulo 10 for the units.
_INVERSE_MOD10 = {1: 1, 3: 7, 7: 3, 9: 9}
# SOLUTIONS_MOD10[c][t]: the digits x with c * x = t (mod 10).
SOLUTIONS_MOD10 = tuple(tuple(tuple(x for x in range(10) if (c * x - t) % 10 == 0) for t in range(10)) for c in range(10))


def product_terms(ops: list[str]) -> list[tuple[int, list[int]]]:
    """The left-hand side as a signed sum of products: [(sign, [operand indices])]."""
    terms: list[tuple[int, list[int]]] = []
    current = [0]
    sign = 1
    for k, op in enumerate(ops):
        if op == "*":
            current.append(k + 1)
        else:
            terms.append((sign, current))
            current = [k + 1]
            sign = 1 if op == "+" else -1
    terms.append((sign, current))
    return terms


def evaluate(numbers: list[int], ops: list[str]) -> int:
    """Exact value of numbers[0] ops[0] numbers[1] ... with * before + and -."""
    total = 0
    for sign, indices in product_terms(ops):
        value = sign
        for i in indices:
            value *= numbers[i]
        total += value
    return total


def letters_in_order(operands: list[str], result: str) -> list[str]:
    seen: list[str] = []
    for word in list(operands) + [result]:
        for ch in word:
            if ch not in seen:
                seen.append(ch)
    return seen


def solve(operands: list[str], ops: list[str], result: str, limit: int = 2) -> list[dict[str, int]]:
    """Solutions (letter -> digit), at most `limit` of them, in search order."""
    if "*" in ops:
        return _Multiplicative(operands, ops, result, limit).run()
    return _Linear(operands, ops, result, limit).run()


class _Search:
    def __init__(self, operands: list[str], ops: list[str], result: str, limit: int):
        self.letters = letters_in_order(operands, result)
        self.index = {ch: i for i, ch in enumerate(self.letters)}
        self.nonzero = [False] * len(self.letters)
        for word in list(operands) + [result]:
            if len(word) > 1:
                self.nonzero[self.index[word[0]]] = True
        self.columns = max(len(w) for w in list(operands) + [result])
        self.value = [-1] * len(self.letters)
        self.used = [False] * 10
        self.limit = limit
        self.solutions: list[dict[str, int]] = []

    def _record(self) -> bool:
        self.solutions.append({ch: self.value[i] for i, ch in enumerate(self.letters)})
        return len(self.solutions) >= self.limit


class _Linear(_Search):
    """+ and - only: column sums with a carry."""

    def __init__(self, operands, ops, result, limit):
        super().__init__(operands, ops, result, limit)
        signs = [1] + [1 if op == "+" else -1 for op in ops]
        words = list(zip(signs, operands)) + [(-1, result)]
        assigned: set[int] = set()
        self.plan = []
        for k in range(self.columns):
            coef: dict[int, int] = {}
            for sign, word in words:
                if k < len(word):
                    letter = self.index[word[-1 - k]]
                    coef[letter] = coef.get(letter, 0) + sign
            new = [L for L in coef if L not in assigned]
            known = [(L, c) for L, c in coef.items() if L in assigned and c]
            solved = next((L for L in reversed(new) if coef[L] % 10 in _INVERSE_MOD10), None)
            enumerated = [(L, coef[L]) for L in new if L != solved]
            assigned.update(new)
            self.plan.append((known, enumerated, solved, coef.get(solved, 0)))

    def run(self) -> list[dict[str, int]]:
        self._column(0, 0)
        return self.solutions

    def _column(self, k: int, carry: int) -> bool:
        if k == self.columns:
            return carry == 0 and self._record()
        known, enumerated, solved, solved_coef = self.plan[k]
        value = self.value
        acc = carry
        for L, c in known:
            acc += c * value[L]
        return self._enumerate(k, enumerated, 0, acc, solved, solved_coef)

    def _enumerate(self, k, enumerated, j, acc, solved, solved_coef) -> bool:
        used, value = self.used, self.value
        if j == len(enumerated):
            if solved is None:
                return acc % 10 == 0 and self._column(k + 1, acc // 10)
            x = (-acc * _INVERSE_MOD10[solved_coef % 10]) % 10
            if used[x] or (x == 0 and self.nonzero[solved]):
                return False
            used[x] = True
            value[solved] = x
            stop = self._column(k + 1, (acc + solved_coef * x) // 10)
            used[x] = False
            value[solved] = -1
            return stop
        letter, c = enumerated[j]
        low = 1 if self.nonzero[letter] else 0
        for d in range(low, 10):
            if used[d]:
                continue
            used[d] = True
            value[letter] = d
            stop = self._enumerate(k, enumerated, j + 1, acc + c * d, solved, solved_coef)
            used[d] = False
            if stop:
                value[letter] = -1
                return True
        value[letter] = -1
        return False


class _Multiplicative(_Search):
    """Any mix with *: partial operand values modulo 10^(k+1), one column at a time."""

    def __init__(self, operands, ops, result, limit):
        super().__init__(operands, ops, result, limit)
        self.terms = product_terms(ops)
        self.n_operands = len(operands)
        assigned: set[int] = set()
        self.plan = []
        for k in range(self.columns):
            new: list[int] = []
            for word in operands:
                if k < len(word):
                    L = self.index[word[-1 - k]]
                    if L not in assigned and L not in new:
                        new.append(L)
            places = [(w, self.index[word[-1 - k]]) for w, word in enumerate(operands) if k < len(word)]
            res = self.index[result[-1 - k]] if k < len(result) else None
            res_new = res is not None and res not in assigned and res not in new
            solved = None
            if new and not res_new and k >= 1:
                solved = ([L for L in new if L != res] or new)[-1]
            enumerated = [L for L in new if L != solved]
            solved_places = [w for w, L in places if L == solved]
            assigned.update(new)
            if res is not None:
                assigned.add(res)
            self.plan.append((enumerated, places, res, res_new, solved, solved_places))

    def _lhs(self, parts: list[int]) -> int:
        total = 0
        for sign, indices in self.terms:
            v = sign
            for i in indices:
                v *= parts[i]
            total += v
        return total

    def run(self) -> list[dict[str, int]]:
        self._column(0, [0] * self.n_operands, 0)
        return self.solutions

    def _column(self, k: int, parts: list[int], res_low: int) -> bool:
        if k == self.columns:
            return self._lhs(parts) == res_low and self._record()
        return self._enumerate(k, self.plan[k], 0, parts, res_low)

    def _enumerate(self, k, plan, j, parts, res_low) -> bool:
        enumerated = plan[0]
        used, value = self.used, self.value
        if j < len(enumerated):
            letter = enumerated[j]
            low = 1 if self.nonzero[letter] else 0
            for d in range(low, 10):
                if used[d]:
                    continue
                used[d] = True
                value[letter] = d
                stop = self._enumerate(k, plan, j + 1, parts, res_low)
                used[d] = False
                if stop:
                    value[letter] = -1
                    return True
            value[letter] = -1
            return False
        _, places, res, res_new, solved, solved_places = plan
        unit = 10 ** k
        p = list(parts)
        for w, L in places:
            if L != solved:
                p[w] += value[L] * unit
        digit0 = ((self._lhs(p) - res_low) // unit) % 10
        if solved is None:
            if res is None:
                return digit0 == 0 and self._column(k + 1, p, res_low)
            if not res_new:
                return value[res] == digit0 and self._column(k + 1, p, res_low + digit0 * unit)
            if used[digit0] or (digit0 == 0 and self.nonzero[res]):
                return False
            used[digit0] = True
            value[res] = digit0
            stop = self._column(k + 1, p, res_low + digit0 * unit)
            used[digit0] = False
            value[res] = -1
            return stop
        # For k >= 1 the column digit is digit0 + slope * x (mod 10) in the solved letter x.
        p1 = list(p)
        for w in solved_places:
            p1[w] += unit
        slope = (((self._lhs(p1) - res_low) // unit) - digit0) % 10
        if res is None:
            roots = SOLUTIONS_MOD10[slope][-digit0 % 10]
        elif res == solved:
            roots = SOLUTIONS_MOD10[(slope - 1) % 10][-digit0 % 10]
        else:
            roots = SOLUTIONS_MOD10[slope][(value[res] - digit0) % 10]
        for x in roots:
            if used[x] or (x == 0 and self.nonzero[solved]):
                continue
            used[x] = True
            value[solved] = x
            q = list(p)
            for w in solved_places:
                q[w] += x * unit
            digit = value[res] if res is not None else 0
            stop = self._column(k + 1, q, res_low + digit * unit)
            used[x] = False
            value[solved] = -1
            if stop:
                return True
        return False


def column_roles(operands: list[str], ops: list[str], result: str) -> list[tuple[list[str], str | None]]:
    """For each column (ones first), as the search meets it: the letters it tries digit by digit,
    and the letter it computes from the column instead (None when the column computes nothing
    new). Used to write worked solutions that follow the solver."""
    if "*" in ops:
        search = _Multiplicative(operands, ops, result, 1)
        roles = []
        for enumerated, _places, res, res_new, solved, _solved_places in search.plan:
            forced = solved if solved is not None else (res if res_new else None)
            roles.append(([search.letters[L] for L in enumerated], None if forced is None else search.letters[forced]))
        return roles
    search = _Linear(operands, ops, result, 1)
    return [([search.letters[L] for L, _c in enumerated], None if solved is None else search.letters[solved])
            for _known, enumerated, solved, _coef in search.plan]
