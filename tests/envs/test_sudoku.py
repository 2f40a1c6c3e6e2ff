"""sudoku: uniqueness re-checked by an independent solver, the documented givens ranges, the
answer-format rules (docs/envs/sudoku.md) and the loopholes peers left open."""

from __future__ import annotations

import pytest

from veritas.envs import Task, generate, verify, worked_solution
from veritas.envs.tasks._sudoku_core import count_solutions

# The table in docs/envs/sudoku.md: level -> (fewest givens, most givens, singles always suffice)
DOCUMENTED = {1: (46, 50, True), 2: (40, 45, True), 3: (34, 39, True), 4: (28, 33, True), 5: (22, 27, False)}
SAMPLE_SEEDS = range(40)


# ---------------------------------------------------------------------------------------------
# An independent, deliberately plain solver: Python sets, no bitmasks, no shared code.


def _grid(s: str) -> list[int]:
    return [0 if ch == "." else int(ch) for ch in s]


def _peers(i: int) -> set[int]:
    r, c = divmod(i, 9)
    br, bc = r // 3 * 3, c // 3 * 3
    out = {r * 9 + k for k in range(9)} | {k * 9 + c for k in range(9)}
    out |= {(br + dr) * 9 + bc + dc for dr in range(3) for dc in range(3)}
    out.discard(i)
    return out


PEERS = [_peers(i) for i in range(81)]
UNITS = ([[r * 9 + c for c in range(9)] for r in range(9)] + [[r * 9 + c for r in range(9)] for c in range(9)]
         + [[(br + dr) * 9 + bc + dc for dr in range(3) for dc in range(3)] for br in (0, 3, 6) for bc in (0, 3, 6)])


def plain_solutions(grid: list[int], limit: int = 2) -> list[list[int]]:
    """All completions up to `limit`, branching on the open cell with the fewest options."""
    grid = list(grid)
    found: list[list[int]] = []

    def options(i: int) -> set[int]:
        return set(range(1, 10)) - {grid[p] for p in PEERS[i]}

    def rec() -> None:
        if len(found) >= limit:
            return
        open_cells = [i for i in range(81) if grid[i] == 0]
        if not open_cells:
            found.append(list(grid))
            return
        cell = min(open_cells, key=lambda i: len(options(i)))
        for d in sorted(options(cell)):
            grid[cell] = d
            rec()
            grid[cell] = 0

    rec()
    return found


def solved_by_singles(grid: list[int]) -> bool:
    grid = list(grid)
    while 0 in grid:
        progress = False
        for i in range(81):
            if grid[i] == 0:
                opts = set(range(1, 10)) - {grid[p] for p in PEERS[i]}
                if len(opts) == 1:
                    grid[i] = opts.pop()
                    progress = True
        for unit in UNITS:
            for d in range(1, 10):
                if d in (grid[i] for i in unit):
                    continue
                places = [i for i in unit if grid[i] == 0 and d not in {grid[p] for p in PEERS[i]}]
                if len(places) == 1:
                    grid[places[0]] = d
                    progress = True
        if not progress:
            return False
    return True


def valid_complete(grid: list[int]) -> bool:
    return all(sorted(grid[i] for i in unit) == list(range(1, 10)) for unit in UNITS)


# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("level", sorted(DOCUMENTED))
def test_unique_solution_and_givens_range(level):
    lo, hi, singles_suffice = DOCUMENTED[level]
    for seed in SAMPLE_SEEDS:
        task = generate("sudoku", seed, level)
        puzzle = _grid(task.metadata["puzzle"])
        solution = _grid(task.metadata["solution"])
        givens = sum(1 for v in puzzle if v)
        assert lo <= givens <= hi and task.metadata["givens"] == givens, (seed, givens)
        assert valid_complete(solution)
        assert all(p in (0, s) for p, s in zip(puzzle, solution))
        assert plain_solutions(puzzle) == [solution], f"level {level} seed {seed} is not unique"
        if singles_suffice:
            assert solved_by_singles(puzzle), (level, seed)
        shown = [line for line in task.prompt.splitlines() if line.count("|") == 2]
        assert len(shown) == 9 and sum(line.count(".") for line in shown) == 81 - givens


def test_the_fast_solver_agrees_with_the_plain_one():
    task = generate("sudoku", 3, 5)
    puzzle = _grid(task.metadata["puzzle"])
    for k in range(0, 81, 7):
        # Empty some givens: puzzles with several solutions, where counting to 2 matters.
        loose = [0 if (i * 7 + k) % 5 == 0 else v for i, v in enumerate(puzzle)]
        assert count_solutions(loose, 2) == len(plain_solutions(loose, 2))
    broken = list(puzzle)
    first = next(i for i in range(81) if broken[i])
    broken[next(p for p in sorted(PEERS[first]) if not broken[p])] = broken[first]
    assert count_solutions(broken, 2) == 0 == len(plain_solutions(broken, 2))


def test_level_5_sometimes_needs_a_search_step_and_explains_it():
    needing_search = []
    for seed in range(60):
        task = generate("sudoku", seed, 5)
        if not solved_by_singles(_grid(task.metadata["puzzle"])):
            needing_search.append(task)
    assert needing_search, "level 5 should include puzzles that singles cannot finish"
    for task in needing_search[:3]:
        text = worked_solution(task)
        assert "No single is left" in text
        assert verify(task, text).score == 1.0


def test_worked_solution_fills_every_empty_cell_once():
    task = generate("sudoku", 8, 2)
    text = worked_solution(task)
    blanks = 81 - task.metadata["givens"]
    filled = [line for line in text.splitlines() if line[:1].isdigit() and " = " in line]
    assert len(filled) == blanks
    zh = worked_solution(generate("sudoku", 8, 2, "zh"))
    assert "唯一" in zh and zh.endswith(task.answer)


# ---------------------------------------------------------------------------------------------
# Format rules: the last fenced block, 9 rows of 9 digits, spaces or tabs between digits.


@pytest.fixture(scope="module")
def task() -> Task:
    return generate("sudoku", 42, 3)


def _rows(task: Task) -> list[str]:
    s = task.metadata["solution"]
    return [s[r * 9:(r + 1) * 9] for r in range(9)]


def _fence(lines: list[str], info: str = "") -> str:
    return f"```{info}\n" + "\n".join(lines) + "\n```"


@pytest.mark.parametrize("variant", [
    "plain", "spaces", "tabs", "padded", "info_string", "crlf", "blank_edges", "text_around", "thinking",
    "bars", "separator_rows", "prompt_layout", "blank_row_inside", "blank_lines_between_bands",
])
def test_tolerated_layouts_score_one(task, variant):
    rows = _rows(task)
    reply = {
        "plain": _fence(rows),
        "spaces": _fence([" ".join(r) for r in rows]),
        "tabs": _fence(["\t".join(r) for r in rows]),
        "padded": _fence(["  " + " ".join(r[:3]) + "   " + " ".join(r[3:6]) + "   " + " ".join(r[6:]) + "  " for r in rows]),
        "info_string": _fence(rows, "text"),
        "crlf": _fence(rows).replace("\n", "\r\n"),
        "blank_edges": "```\n\n" + "\n".join(rows) + "\n\n```",
        "text_around": "Here is my solution:\n" + _fence(rows) + "\nAll rows, columns and boxes check out.",
        "thinking": "<think>try 5 at r1c1 ...</think>\n" + _fence(rows),
        # box decoration (issue 12): bars, rule rows and blank lines hold no digit
        "bars": _fence([f"{r[:3]}|{r[3:6]}|{r[6:]}" for r in rows]),
        "separator_rows": _fence(rows[:3] + ["------+-------+------"] + rows[3:6] + ["------+-------+------"] + rows[6:]),
        "prompt_layout": _fence([" | ".join(" ".join(r[k:k + 3]) for k in (0, 3, 6)) for r in rows[:3]]
                                + ["------+-------+------"]
                                + [" | ".join(" ".join(r[k:k + 3]) for k in (0, 3, 6)) for r in rows[3:]]),
        "blank_row_inside": _fence(rows[:4] + [""] + rows[4:]),
        "blank_lines_between_bands": _fence(rows[:3] + [""] + rows[3:6] + [""] + rows[6:]),
    }[variant]
    assert verify(task, reply).score == 1.0, reply


@pytest.mark.parametrize("variant", [
    "csv", "dots", "zeros", "fullwidth", "ten_rows", "eight_rows", "no_fence", "unclosed_fence", "one_line",
    "first_row_on_fence_line", "inline_code", "bars_in_wrong_places", "rule_row_with_digit", "two_grids_with_bars",
])
def test_other_layouts_score_zero(task, variant):
    rows = _rows(task)
    sep = "------+-------+------"
    reply = {
        "csv": _fence([",".join(r) for r in rows]),  # reasoning-gym scored this 0.9
        # bars that split a row into more or fewer than 9 digits, a rule row with a digit in it,
        # and two grids in one block with decoration: all still 0
        "bars_in_wrong_places": _fence([f"{r[:4]}|{r[4:]}1" for r in rows]),
        "rule_row_with_digit": _fence(rows[:3] + ["---1---"] + rows[3:]),
        "two_grids_with_bars": _fence(rows + [sep] + rows),
        "dots": _fence([rows[0][:8] + "."] + rows[1:]),
        "zeros": _fence([rows[0][:8] + "0"] + rows[1:]),
        "fullwidth": _fence([r.translate(str.maketrans("123456789", "１２３４５６７８９")) for r in rows]),
        "ten_rows": _fence(rows + [rows[0]]),
        "eight_rows": _fence(rows[:8]),
        "no_fence": "\n".join(rows),
        "unclosed_fence": "```\n" + "\n".join(rows),
        "one_line": "```\n" + "".join(rows) + "\n```",
        "first_row_on_fence_line": "```" + "\n".join(rows) + "\n```",
        "inline_code": " ".join(f"`{r}`" for r in rows),
    }[variant]
    v = verify(task, reply)
    assert v.score == 0.0, (variant, v)


def test_only_the_last_block_counts(task):
    rows = _rows(task)
    wrong = list(rows)
    wrong[0] = rows[0][1:] + rows[0][0]
    right, bad = _fence(rows), _fence(wrong)
    assert verify(task, bad + "\nWait, that was wrong:\n" + right).score == 1.0
    assert verify(task, right + "\nOr maybe:\n" + bad).score == 0.0
    # Stuffing several grids into one block is not an answer.
    assert verify(task, _fence(rows + wrong)).score == 0.0
    assert verify(task, _fence(rows + rows)).score == 0.0
    # Echoing the puzzle after the answer hands in the puzzle.
    puzzle_block = _fence([task.metadata["puzzle"][r * 9:(r + 1) * 9] for r in range(9)])
    assert verify(task, right + "\n" + puzzle_block).score == 0.0


def test_a_valid_grid_that_changes_a_given_scores_zero(task):
    solution = task.metadata["solution"]
    puzzle = task.metadata["puzzle"]
    first_given = next(i for i, ch in enumerate(puzzle) if ch != ".")
    a = solution[first_given]
    b = "1" if a == "9" else chr(ord(a) + 1)
    relabelled = solution.translate(str.maketrans({a: b, b: a}))
    assert valid_complete(_grid(relabelled))
    v = verify(task, _fence([relabelled[r * 9:(r + 1) * 9] for r in range(9)]))
    assert v.score == 0.0 and "given" in v.reason


def test_scoring_uses_the_puzzle_not_the_stored_solution(task):
    # A hand-made record whose stored solution is wrong: the verifier still judges the grid by
    # the rules and the givens, so the true solution passes and the stored one does not.
    data = task.to_dict()
    bogus = task.metadata["solution"][::-1]
    data["metadata"] = dict(task.metadata, solution=bogus)
    forged = Task.from_dict(data)
    assert verify(forged, task.answer).score == 1.0
    assert verify(forged, _fence([bogus[r * 9:(r + 1) * 9] for r in range(9)])).score == 0.0


def test_prompts_differ_by_language_only_in_wording():
    en, zh = generate("sudoku", 5, 4, "en"), generate("sudoku", 5, 4, "zh")
    assert en.answer == zh.answer and en.metadata == zh.metadata
    grid_lines = [line for line in en.prompt.splitlines() if "|" in line]
    assert len(grid_lines) == 9 and all(line in zh.prompt for line in grid_lines)
    assert "数独" in zh.prompt and "```" in zh.prompt


def test_last_block_pairs_fences_like_the_shared_helper():
    import random

    from veritas.envs.answers import fenced_blocks, last_fenced_block

    rng = random.Random(7)
    pieces = ["```", "`", "\n", "x", "12", "```py\n", " "]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        blocks = fenced_blocks(text, max_blocks=10 ** 6)
        assert last_fenced_block(text) == (blocks[-1][1] if blocks else None), text


@pytest.mark.parametrize("reply", ["```x```" * 140_000, "a```b" * 200_000, "```\n" * 250_000, "``` " * 250_000])
def test_many_fences_on_one_line_stay_linear(task, reply):
    # Fences with no newline after them once made every fence rescan the rest of the reply.
    import time

    start = time.perf_counter()
    assert verify(task, reply[:1_000_000]).score == 0.0
    assert time.perf_counter() - start < 0.5
