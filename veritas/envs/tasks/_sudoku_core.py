"""Sudoku machinery for the `sudoku` family: grid geometry, an exact solver that stops at a
solution-count limit, full-grid generation, hole digging that keeps the solution unique, and a
step-by-step solver (singles, then a search step) that writes worked solutions.

Grids are flat lists of 81 ints (0 = empty), row-major. Candidate sets are 9-bit masks: bit d-1
stands for digit d. Everything here is deterministic given the `random.Random` passed in.
"""

from __future__ import annotations

import random

ALL_DIGITS = 0x1FF

ROW = tuple(i // 9 for i in range(81))
COL = tuple(i % 9 for i in range(81))
BOX = tuple((i // 27) * 3 + (i % 9) // 3 for i in range(81))

# Units 0-8 are rows, 9-17 columns, 18-26 boxes.
UNITS: tuple[tuple[int, ...], ...] = (
    tuple(tuple(r * 9 + c for c in range(9)) for r in range(9))
    + tuple(tuple(r * 9 + c for r in range(9)) for c in range(9))
    + tuple(tuple(((b // 3) * 3 + k // 3) * 9 + (b % 3) * 3 + k % 3 for k in range(9)) for b in range(9))
)
UNITS_OF = tuple((ROW[i], 9 + COL[i], 18 + BOX[i]) for i in range(81))
PEERS = tuple(tuple(sorted({p for u in UNITS_OF[i] for p in UNITS[u]} - {i})) for i in range(81))
UNIT_OTHERS = tuple(tuple(tuple(q for q in UNITS[u] if q != i) for u in UNITS_OF[i]) for i in range(81))
POPCOUNT = tuple((m).bit_count() for m in range(512))


def digits_of(mask: int) -> list[int]:
    return [d + 1 for d in range(9) if mask >> d & 1]


def cell_name(i: int) -> str:
    return f"r{ROW[i] + 1}c{COL[i] + 1}"


def unit_name(u: int, language: str = "en") -> str:
    kind, index = divmod(u, 9)
    if language == "zh":
        return ("第{}行", "第{}列", "第{}宫")[kind].format(index + 1)
    return ("row {}", "column {}", "box {}")[kind].format(index + 1)


class _Masks:
    """Digits used per row, column and box; the candidates of a cell are what none of its units uses."""

    __slots__ = ("boxes", "cols", "grid", "rows")

    def __init__(self, grid: list[int]):
        self.grid = list(grid)
        self.rows = [0] * 9
        self.cols = [0] * 9
        self.boxes = [0] * 9
        for i, v in enumerate(grid):
            if v:
                bit = 1 << (v - 1)
                self.rows[ROW[i]] |= bit
                self.cols[COL[i]] |= bit
                self.boxes[BOX[i]] |= bit

    def copy(self) -> _Masks:
        other = _Masks.__new__(_Masks)
        other.grid = self.grid[:]
        other.rows = self.rows[:]
        other.cols = self.cols[:]
        other.boxes = self.boxes[:]
        return other

    def candidates(self, i: int) -> int:
        return ALL_DIGITS & ~(self.rows[ROW[i]] | self.cols[COL[i]] | self.boxes[BOX[i]])

    def place(self, i: int, digit: int) -> None:
        bit = 1 << (digit - 1)
        self.grid[i] = digit
        self.rows[ROW[i]] |= bit
        self.cols[COL[i]] |= bit
        self.boxes[BOX[i]] |= bit

    def unit_used(self, u: int) -> int:
        kind, index = divmod(u, 9)
        return (self.rows, self.cols, self.boxes)[kind][index]


# ---------------------------------------------------------------------------------------------
# Exact search: depth-first, most-constrained cell first, bitmask candidates, stops at `limit`.


def _search(rows: list[int], cols: list[int], boxes: list[int], empties: list[int], n: int, limit: int, found: list[int]) -> bool:
    """Count completions of the cells empties[:n] into found[0]; True once found[0] reaches limit."""
    if n == 0:
        found[0] += 1
        return found[0] >= limit
    best = 0
    best_mask = 0
    best_count = 10
    for k in range(n):
        i = empties[k]
        m = ALL_DIGITS & ~(rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]])
        c = POPCOUNT[m]
        if c < best_count:
            if c == 0:
                return False
            best_count, best, best_mask = c, k, m
            if c == 1:
                break
    i = empties[best]
    empties[best] = empties[n - 1]
    empties[n - 1] = i
    r, c, b = ROW[i], COL[i], BOX[i]
    stop = False
    while best_mask:
        bit = best_mask & -best_mask
        best_mask ^= bit
        rows[r] |= bit
        cols[c] |= bit
        boxes[b] |= bit
        stop = _search(rows, cols, boxes, empties, n - 1, limit, found)
        rows[r] ^= bit
        cols[c] ^= bit
        boxes[b] ^= bit
        if stop:
            break
    empties[n - 1] = empties[best]
    empties[best] = i
    return stop


def count_solutions(grid: list[int], limit: int = 2) -> int:
    """Number of solutions of `grid`, counting no further than `limit`."""
    if any(v and _conflicts(grid, i) for i, v in enumerate(grid)):
        return 0
    masks = _Masks(grid)
    empties = [i for i in range(81) if not grid[i]]
    found = [0]
    _search(masks.rows, masks.cols, masks.boxes, empties, len(empties), limit, found)
    return found[0]


def _conflicts(grid: list[int], i: int) -> bool:
    return any(grid[p] == grid[i] for p in PEERS[i])


def _has_other_solution(masks: _Masks, cell: int, solution: list[int]) -> bool:
    """Does the partial grid in `masks` have a completion where `cell` differs from `solution`?

    The search tries each cell's digit from `solution` first: an alternative solution, when there
    is one, usually differs from the known one in a handful of cells, so it turns up early."""
    empties = [i for i in range(81) if not masks.grid[i] and i != cell]
    rows, cols, boxes = masks.rows[:], masks.cols[:], masks.boxes[:]
    prefer = [1 << (v - 1) for v in solution]
    r, c, b = ROW[cell], COL[cell], BOX[cell]
    options = ALL_DIGITS & ~(rows[r] | cols[c] | boxes[b]) & ~prefer[cell]
    while options:
        bit = options & -options
        options ^= bit
        rows[r] |= bit
        cols[c] |= bit
        boxes[b] |= bit
        if _exists(rows, cols, boxes, empties, len(empties), prefer):
            return True
        rows[r] ^= bit
        cols[c] ^= bit
        boxes[b] ^= bit
    return False


def _exists(rows: list[int], cols: list[int], boxes: list[int], empties: list[int], n: int, prefer: list[int]) -> bool:
    """Is there a completion of empties[:n]? Depth-first like _search, preferred digit first."""
    if n == 0:
        return True
    best = 0
    best_mask = 0
    best_count = 10
    for k in range(n):
        i = empties[k]
        m = ALL_DIGITS & ~(rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]])
        c = POPCOUNT[m]
        if c < best_count:
            if c == 0:
                return False
            best_count, best, best_mask = c, k, m
            if c == 1:
                break
    i = empties[best]
    empties[best] = empties[n - 1]
    empties[n - 1] = i
    r, c, b = ROW[i], COL[i], BOX[i]
    first = prefer[i] & best_mask
    found = False
    while best_mask:
        bit = first or best_mask & -best_mask
        first = 0
        best_mask &= ~bit
        rows[r] |= bit
        cols[c] |= bit
        boxes[b] |= bit
        found = _exists(rows, cols, boxes, empties, n - 1, prefer)
        rows[r] ^= bit
        cols[c] ^= bit
        boxes[b] ^= bit
        if found:
            break
    empties[n - 1] = empties[best]
    empties[best] = i
    return found


# ---------------------------------------------------------------------------------------------
# Full grids.


def random_solution(rng: random.Random) -> list[int]:
    """A random complete grid: the three diagonal boxes (independent of each other) are shuffled
    digits, and a randomised depth-first fill completes the rest. Every valid grid can come out."""
    grid = [0] * 81
    for b in (18, 22, 26):
        digits = list(range(1, 10))
        rng.shuffle(digits)
        for k, i in enumerate(UNITS[b]):
            grid[i] = digits[k]
    masks = _Masks(grid)
    empties = [i for i in range(81) if not grid[i]]
    if not _random_fill(masks, empties, rng):  # pragma: no cover - diagonal boxes always complete
        raise RuntimeError("random_solution: diagonal boxes did not complete")
    return masks.grid


def _random_fill(masks: _Masks, empties: list[int], rng: random.Random) -> bool:
    if not empties:
        return True
    best, best_mask, best_count = -1, 0, 10
    for k, i in enumerate(empties):
        m = masks.candidates(i)
        c = POPCOUNT[m]
        if c < best_count:
            best, best_mask, best_count = k, m, c
            if c <= 1:
                break
    if best_count == 0:
        return False
    i = empties.pop(best)
    options = digits_of(best_mask)
    rng.shuffle(options)
    r, c, b = ROW[i], COL[i], BOX[i]
    for d in options:
        bit = 1 << (d - 1)
        masks.rows[r] |= bit
        masks.cols[c] |= bit
        masks.boxes[b] |= bit
        masks.grid[i] = d
        if _random_fill(masks, empties, rng):
            return True
        masks.rows[r] ^= bit
        masks.cols[c] ^= bit
        masks.boxes[b] ^= bit
        masks.grid[i] = 0
    empties.insert(best, i)
    return False


# ---------------------------------------------------------------------------------------------
# Singles: the two human rules (naked single, hidden single), applied until nothing changes.

NAKED = "naked"
HIDDEN = "hidden"


def fill_singles(masks: _Masks, stop_cell: int = -1) -> bool:
    """Place naked and hidden singles in `masks` until none is left (or `stop_cell` is filled).
    Returns False when a contradiction shows up (a cell with no candidate, a digit with no place in
    a unit, or two singles that clash); every placement is a logical consequence of the grid."""
    grid = masks.grid
    rows, cols, boxes = masks.rows, masks.cols, masks.boxes
    row_of, col_of, box_of = ROW, COL, BOX
    empties = [i for i in range(81) if not grid[i]]
    cand = [0] * 81
    while empties:
        # Naked singles, sweeping until a sweep places nothing.
        placed = False
        for i in empties:
            r, c, b = row_of[i], col_of[i], box_of[i]
            m = ALL_DIGITS & ~(rows[r] | cols[c] | boxes[b])
            if m & (m - 1):
                cand[i] = m
            elif m:
                grid[i] = m.bit_length()
                rows[r] |= m
                cols[c] |= m
                boxes[b] |= m
                placed = True
            else:
                return False
        if placed:
            if stop_cell >= 0 and grid[stop_cell]:
                return True
            empties = [i for i in empties if not grid[i]]
            continue
        # No naked single: cand[] is exact for every open cell. Hidden singles, unit by unit.
        for u in range(27):
            once = twice = 0
            unit = UNITS[u]
            for i in unit:
                if not grid[i]:
                    m = cand[i]
                    twice |= once & m
                    once |= m
            used = (rows, cols, boxes)[u // 9][u % 9]
            if (once | used) != ALL_DIGITS:
                return False
            hidden = once & ~twice & ~used
            while hidden:
                bit = hidden & -hidden
                hidden ^= bit
                for i in unit:
                    if not grid[i] and cand[i] & bit:
                        r, c, b = row_of[i], col_of[i], box_of[i]
                        if (rows[r] | cols[c] | boxes[b]) & bit:
                            return False  # its only place was taken from it by an earlier single
                        grid[i] = bit.bit_length()
                        rows[r] |= bit
                        cols[c] |= bit
                        boxes[b] |= bit
                        placed = True
                        break
                else:
                    return False  # its only place in this unit was just filled with another digit
        if not placed or (stop_cell >= 0 and grid[stop_cell]):
            return True
        empties = [i for i in empties if not grid[i]]
    return True


# ---------------------------------------------------------------------------------------------
# Digging.


def dig(solution: list[int], rng: random.Random, target: int, allow_search: bool) -> list[int]:
    """Empty cells of `solution` in a random order while the puzzle keeps exactly one solution,
    stopping at `target` givens (or when no cell can go). Uniqueness is kept by proof at each
    removal: removing cell c (digit v) from a puzzle whose only solution is `solution` leaves it
    unique iff the smaller puzzle forces c = v. Three tests, cheapest first:

    1. c is a naked or hidden single among the remaining givens alone (O(1) with counters);
    2. naked/hidden singles propagated from the remaining givens fill c;
    3. (allow_search only) an exhaustive search finds no completion with c != v.

    Without `allow_search` the puzzle is solvable by singles alone: each removed cell is deduced
    from the ones removed after it, so singles replay the removals in reverse order.
    """
    puzzle = list(solution)
    # seen[i][d]: how many givens among the peers of i hold digit d+1.
    seen = [[0] * 9 for _ in range(81)]
    for i in range(81):
        row = seen[i]
        for p in PEERS[i]:
            row[solution[p] - 1] += 1
    order = list(range(81))
    rng.shuffle(order)
    givens = 81
    for c in order:
        if givens <= target:
            break
        v = solution[c]
        d = v - 1
        puzzle[c] = 0
        for p in PEERS[c]:
            seen[p][d] -= 1
        if _forced_by_givens(puzzle, seen, c, d):
            givens -= 1
            continue
        masks = _Masks(puzzle)
        fill_singles(masks, stop_cell=c)
        if masks.grid[c] or (allow_search and not _has_other_solution(masks, c, solution)):
            givens -= 1
            continue
        puzzle[c] = v
        for p in PEERS[c]:
            seen[p][d] += 1
    return puzzle


def _forced_by_givens(puzzle: list[int], seen: list[list[int]], c: int, d: int) -> bool:
    if seen[c].count(0) == 1:
        return True  # naked single: the givens around c show all eight other digits
    for others in UNIT_OTHERS[c]:
        # hidden single: every other open cell of the unit already sees digit d among the givens
        for q in others:
            if not puzzle[q] and not seen[q][d]:
                break
        else:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Worked solutions.


class Step:
    """One line of a worked solution: a cell filled for a reason."""

    __slots__ = ("candidates", "cell", "digit", "kind", "refuted", "unit", "unrefuted")

    def __init__(self, kind: str, cell: int, digit: int, unit: int = -1, candidates: int = 0,
                 refuted: list | None = None, unrefuted: list[int] | None = None):
        self.kind = kind  # "naked", "hidden", "search"
        self.cell = cell
        self.digit = digit
        self.unit = unit
        self.candidates = candidates
        self.refuted = refuted or []  # [(wrong digit, placements singles made before the contradiction)]
        self.unrefuted = unrefuted or []


def explain(puzzle: list[int], solution: list[int]) -> list[Step]:
    """Fill `puzzle` one cell at a time the way a person would: a naked single if there is one
    (first in reading order), else a hidden single (rows, then columns, then boxes), else a search
    step on the open cell with fewest candidates, where each wrong candidate is refuted by singles
    if singles can refute it."""
    masks = _Masks(puzzle)
    steps: list[Step] = []
    while True:
        empties = [i for i in range(81) if not masks.grid[i]]
        if not empties:
            return steps
        step = _next_single(masks, empties)
        if step is None:
            step = _search_step(masks, empties, solution)
        if step.digit != solution[step.cell]:  # pragma: no cover - singles are sound
            raise AssertionError("explain() derived a wrong digit")
        masks.place(step.cell, step.digit)
        steps.append(step)


def _next_single(masks: _Masks, empties: list[int]) -> Step | None:
    for i in empties:
        m = masks.candidates(i)
        if m and not m & (m - 1):
            return Step(NAKED, i, m.bit_length())
    for u in range(27):
        open_cells = [i for i in UNITS[u] if not masks.grid[i]]
        for d in range(9):
            bit = 1 << d
            places = [i for i in open_cells if masks.candidates(i) & bit]
            if len(places) == 1:
                return Step(HIDDEN, places[0], d + 1, unit=u)
    return None


def _search_step(masks: _Masks, empties: list[int], solution: list[int]) -> Step:
    cell = min(empties, key=lambda i: (POPCOUNT[masks.candidates(i)], i))
    cands = masks.candidates(cell)
    right = solution[cell]
    refuted, unrefuted = [], []
    for d in digits_of(cands):
        if d == right:
            continue
        trial = masks.copy()
        before = sum(1 for v in trial.grid if v)
        trial.place(cell, d)
        if fill_singles(trial):
            unrefuted.append(d)
        else:
            after = sum(1 for v in trial.grid if v)
            refuted.append((d, after - before - 1))
    return Step("search", cell, right, candidates=cands, refuted=refuted, unrefuted=unrefuted)


def is_valid_solution(grid: list[int]) -> bool:
    """Every row, column and box holds 1..9 exactly once."""
    if len(grid) != 81:
        return False
    for unit in UNITS:
        seen = 0
        for i in unit:
            v = grid[i]
            if not 1 <= v <= 9:
                return False
            seen |= 1 << (v - 1)
        if seen != ALL_DIGITS:
            return False
    return True
