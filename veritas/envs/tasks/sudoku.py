"""sudoku (lgc-v2, ids 700_000_000 + seed): a 9x9 Sudoku with exactly one solution.

Difficulty is the number of givens (docs/envs/sudoku.md):

    level  givens   solvable by singles alone
    1      46-50    yes
    2      40-45    yes
    3      34-39    yes
    4      28-33    yes
    5      22-27    not necessarily (uniqueness proved by exhaustive search)

Answer: the completed grid as 9 lines of 9 digits in a fenced block (```). Only the LAST fenced
block of the reply is graded; it scores 1 when it is a valid complete grid that keeps every given,
else 0. Spaces or tabs between digits, `|` bars between boxes, rule rows (`------+-------+------`)
and blank lines are decoration and are dropped; nothing else is tolerated (no commas, dots or
zeros), and a block with more or fewer than 9 rows scores 0.
"""

from __future__ import annotations

import random

from veritas.envs.answers import last_fenced_block, normalize_lines
from veritas.envs.base import Built, Task, TaskFamily, Verdict
from veritas.envs.registry import register
from veritas.envs.tasks._sudoku_core import (
    NAKED,
    ROW,
    UNITS,
    cell_name,
    dig,
    digits_of,
    explain,
    random_solution,
    unit_name,
)

# level -> (fewest givens, most givens, whether a search step may be needed)
LEVELS: dict[int, tuple[int, int, bool]] = {
    1: (46, 50, False),
    2: (40, 45, False),
    3: (34, 39, False),
    4: (28, 33, False),
    5: (22, 27, True),
}

_ROW_DIGITS = frozenset("123456789")

_PROMPTS = {
    "en": (
        ("Solve the following Sudoku. Fill every empty cell (shown as a dot) with a digit from 1 to 9 so "
        "that each row, each column and each of the nine 3x3 boxes contains every digit exactly once. "
        "The puzzle has exactly one solution.\n\n{grid}\n\n{fmt}"),
        ("Here is a 9x9 Sudoku with {givens} given digits; dots mark the {blanks} empty cells.\n\n{grid}\n\n"
        "Complete the grid so that every row, every column and every 3x3 box contains the digits 1-9 once "
        "each. There is exactly one way to do it.\n\n{fmt}"),
        ("Fill in the blanks of this Sudoku puzzle ('.' is an empty cell). Rules: each row, each column and "
        "each 3x3 box must contain 1, 2, ..., 9 exactly once. Exactly one solution exists.\n\n{grid}\n\n{fmt}"),
    ),
    "zh": (
        ("请解下面的数独。用 1 到 9 的数字填满所有空格（用点表示），使每一行、每一列以及九个 3x3 宫中 "
        "1 到 9 每个数字恰好出现一次。本题有且只有一个解。\n\n{grid}\n\n{fmt}"),
        ("下面是一个 9x9 数独，已给出 {givens} 个数字，{blanks} 个空格用点表示。\n\n{grid}\n\n"
        "请补全网格，使每行、每列和每个 3x3 宫都恰好包含 1-9 各一次。解是唯一的。\n\n{fmt}"),
        ("填写这道数独题的空格（'.' 表示空格）。规则：每一行、每一列、每个 3x3 宫都必须恰好包含 "
        "1、2、…、9 各一次。此题只有一个解。\n\n{grid}\n\n{fmt}"),
    ),
}

_FORMATS = {
    "en": (
        ("Give your final answer as a fenced code block (```) holding the 9 rows of the completed grid, "
        "one row per line, each row written as 9 digits (like 123456789). Put nothing else in that block; "
        "if your reply has several code blocks, only the last one is graded."),
        ("End with the solved grid inside a ``` code block: 9 lines, each line the 9 digits of one row "
        "(e.g. 123456789), and nothing else in the block. Only the last code block of your reply counts."),
    ),
    "zh": (
        ("最终答案请写在一个代码块（```）中：完成后的 9 行，每行写 9 个数字（例如 123456789），"
        "代码块中不要写其他内容；如果回复中有多个代码块，只评判最后一个。"),
        ("最后请用 ``` 代码块给出解好的网格：共 9 行，每行是该行的 9 个数字（如 123456789），"
        "代码块内不要有别的内容。只有回复中的最后一个代码块会被评分。"),
    ),
}


def _grid_from_string(s: str) -> list[int]:
    return [0 if ch == "." else int(ch) for ch in s]


def _grid_to_string(grid: list[int]) -> str:
    return "".join(str(v) if v else "." for v in grid)


def render_answer(grid: list[int]) -> str:
    """The reference answer format: a fenced block of 9 rows of 9 digits."""
    rows = ["".join(str(v) for v in grid[r * 9:(r + 1) * 9]) for r in range(9)]
    return "```\n" + "\n".join(rows) + "\n```"


def render_puzzle(grid: list[int]) -> str:
    """The grid as shown in prompts: dots for empty cells, bars and rules between the boxes."""
    lines = []
    for r in range(9):
        if r in (3, 6):
            lines.append("------+-------+------")
        cells = [str(v) if v else "." for v in grid[r * 9:(r + 1) * 9]]
        lines.append(" | ".join(" ".join(cells[k:k + 3]) for k in (0, 3, 6)))
    return "\n".join(lines)


# Box decoration a model copies from the prompt's own grid: bars between boxes inside a row, and
# rule rows such as `------+-------+------` between bands. Neither holds a digit, so dropping them
# cannot change which grid the block states.
_BARS = "|\u2502\u2503"  # | │ ┃
_RULE_CHARS = frozenset("-+=|_ \t\u2500\u2501\u253c\u254b\u2502\u2503")  # - + = | _ ─ ━ ┼ ╋ │ ┃
_RULE_MARKS = frozenset("-=_\u2500\u2501")


def _is_rule_row(line: str) -> bool:
    return _RULE_CHARS.issuperset(line) and not _RULE_MARKS.isdisjoint(line)


def parse_grid(block: str) -> tuple[list[int] | None, str]:
    """The 81 digits of a fenced block's body, or (None, why). Blank lines, rule rows and `|` bars
    between boxes are decoration and are dropped; every other line must be a row of 9 digits 1-9
    (spaces and tabs between them free). Linear in the body's length."""
    lines = [line for line in normalize_lines(block) if line.strip() and not _is_rule_row(line)]
    if len(lines) != 9:
        return None, f"the last code block has {len(lines)} rows, expected 9"
    grid: list[int] = []
    for r, line in enumerate(lines):
        compact = line.replace(" ", "").replace("\t", "")
        for bar in _BARS:
            compact = compact.replace(bar, "")
        if len(compact) != 9 or not _ROW_DIGITS.issuperset(compact):
            return None, f"row {r + 1} is not 9 digits from 1 to 9"
        grid.extend(ord(ch) - 48 for ch in compact)
    return grid, ""


def grid_problem(grid: list[int], puzzle: list[int]) -> str:
    """'' when `grid` is a complete valid Sudoku keeping every given of `puzzle`, else why not."""
    for u, unit in enumerate(UNITS):
        seen = 0
        for i in unit:
            seen |= 1 << grid[i]
        if seen != 0x3FE:
            return f"{unit_name(u)} does not hold 1-9 exactly once"
    for i, v in enumerate(puzzle):
        if v and grid[i] != v:
            return f"the given {v} at {cell_name(i)} was changed"
    return ""


@register
class Sudoku(TaskFamily):
    name = "sudoku"
    env = "lgc-v2"
    id_offset = 700_000_000
    num_seeds = 100_000_000
    languages = ("en", "zh")
    description = "9x9 Sudoku with a unique solution; answer as 9 rows of digits in a fenced block"

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        lo, hi, allow_search = LEVELS[difficulty]
        target = rng.randint(lo, hi)
        while True:
            solution = random_solution(rng)
            puzzle = dig(solution, rng, target, allow_search)
            givens = sum(1 for v in puzzle if v)
            if givens <= hi:  # dig() never goes below target >= lo
                break
        template = wording.choice(_PROMPTS[language])
        fmt = wording.choice(_FORMATS[language])
        prompt = template.format(grid=render_puzzle(puzzle), fmt=fmt, givens=givens, blanks=81 - givens)
        metadata = {
            "puzzle": _grid_to_string(puzzle),
            "solution": _grid_to_string(solution),
            "givens": givens,
        }
        return Built(prompt=prompt, answer=render_answer(solution), metadata=metadata)

    def check(self, task: Task, text: str) -> Verdict:
        block = last_fenced_block(text)
        if block is None:
            return Verdict(0.0, "no fenced code block", False)
        grid, why = parse_grid(block)
        if grid is None:
            return Verdict(0.0, why, False)
        problem = grid_problem(grid, _grid_from_string(task.metadata["puzzle"]))
        if problem:
            return Verdict(0.0, problem, True)
        return Verdict(1.0, "valid grid that keeps every given", True)

    def worked_solution(self, task: Task) -> str:
        puzzle = _grid_from_string(task.metadata["puzzle"])
        solution = _grid_from_string(task.metadata["solution"])
        steps = explain(puzzle, solution)
        zh = task.language == "zh"
        lines = [_INTRO["zh" if zh else "en"], ""]
        for n, step in enumerate(steps, 1):
            lines.extend(_describe(n, step, zh))
        lines.append("")
        lines.append(_OUTRO["zh" if zh else "en"])
        return "\n".join(lines) + "\n\n" + task.answer

    def styled_answers(self, task: Task) -> list[str]:
        solution = _grid_from_string(task.metadata["solution"])
        rows = ["".join(str(v) for v in solution[r * 9:(r + 1) * 9]) for r in range(9)]
        spaced_rows = [" ".join(row) for row in rows]
        # the prompt's own layout: bars between boxes, rule rows between bands
        boxed = [" | ".join(" ".join(row[k:k + 3]) for k in (0, 3, 6)) for row in rows]
        rule = "------+-------+------"
        prompt_style = boxed[:3] + [rule] + boxed[3:6] + [rule] + boxed[6:]
        bands = rows[:3] + [""] + rows[3:6] + [""] + rows[6:]
        bars_only = [f"{row[:3]}|{row[3:6]}|{row[6:]}" for row in rows]
        fence = lambda lines, tag="": f"```{tag}\n" + "\n".join(lines) + "\n```"  # noqa: E731
        styles = [
            fence(spaced_rows),
            fence(prompt_style),
            fence(bands),
            fence(bars_only),
            fence(["|" + b + "|" for b in bars_only]),
            fence(rows, "text"),
            "**Solution:**\n\n" + fence(rows) + "\n",
            "Solved grid:\r\n```\r\n" + "\r\n".join(rows) + "\r\n```",
            fence(["  " + r for r in spaced_rows]),
        ]
        if task.language == "zh":
            styles.append("答案：\n" + fence(prompt_style))
        return styles

    def trivial_replies(self, difficulty: int) -> list[str]:
        rows = ["123456789", "456789123", "789123456", "234567891", "567891234", "891234567",
                "345678912", "678912345", "912345678"]
        return ["```\n" + "\n".join(rows) + "\n```"]

    def wrong_answers(self, task: Task) -> list[str]:
        puzzle = _grid_from_string(task.metadata["puzzle"])
        solution = _grid_from_string(task.metadata["solution"])
        empty = [i for i in range(81) if not puzzle[i]]
        given = [i for i in range(81) if puzzle[i]]
        wrong: list[list[int]] = []

        one_cell = solution[:]
        one_cell[empty[len(empty) // 2]] = solution[empty[len(empty) // 2]] % 9 + 1
        wrong.append(one_cell)

        for r in range(9):
            open_in_row = [i for i in empty if ROW[i] == r]
            if len(open_in_row) >= 2:
                swapped = solution[:]
                a, b = open_in_row[0], open_in_row[-1]
                swapped[a], swapped[b] = swapped[b], swapped[a]
                wrong.append(swapped)
                break

        changed_given = solution[:]
        changed_given[given[0]] = solution[given[0]] % 9 + 1
        wrong.append(changed_given)

        # A valid complete grid that breaks givens: exchange two digits everywhere.
        a = solution[given[0]]
        b = a % 9 + 1
        relabelled = [b if v == a else a if v == b else v for v in solution]
        wrong.append(relabelled)

        replies = [render_answer(g) for g in wrong]
        rows = ["".join(str(v) for v in solution[r * 9:(r + 1) * 9]) for r in range(9)]
        replies.append("```\n" + "\n".join(",".join(row) for row in rows) + "\n```")  # CSV rows
        # Decoration around a wrong grid still scores 0: bars and rule rows around one changed cell.
        bad_rows = ["".join(str(v) for v in one_cell[r * 9:(r + 1) * 9]) for r in range(9)]
        barred = [f"{row[:3]}|{row[3:6]}|{row[6:]}" for row in bad_rows]
        replies.append("```\n" + "\n".join(barred[:3] + ["---+---+---"] + barred[3:6] + ["---+---+---"] + barred[6:]) + "\n```")
        replies.append("```\n" + "\n".join(rows + rows) + "\n```")  # two grids in one block
        replies.append("\n".join(rows))  # no fence
        replies.append(task.answer + "\n\nOn second thought:\n" + render_answer(one_cell))
        replies.append("```\n" + "\n".join(rows[:8]) + "\n```")  # a row missing
        replies.append(render_answer([v or 0 for v in puzzle]).replace("0", "."))  # the puzzle itself
        return replies


_INTRO = {
    "en": "Cells are named rXcY (row X, column Y, counted from 1). The candidates of an empty cell are the "
          "digits not yet used in its row, column or box. Fill one cell at a time:",
    "zh": "用 rXcY 表示第 X 行第 Y 列的格子（从 1 开始计数）。空格的候选数是其所在行、列、宫中尚未出现的数字。逐格填写：",
}

_OUTRO = {
    "en": "Every cell is filled and each row, column and box holds 1-9 exactly once. The solved grid:",
    "zh": "所有格子都已填满，每行、每列、每宫都恰好包含 1-9。解好的网格：",
}


def _describe(n: int, step, zh: bool) -> list[str]:
    cell = cell_name(step.cell)
    d = step.digit
    if step.kind == NAKED:
        if zh:
            return [f"{n}. {cell} = {d}（唯一候选数：{cell} 只剩 {d} 可填）"]
        return [f"{n}. {cell} = {d} (naked single: {d} is the only candidate of {cell})"]
    if step.kind != "search":
        unit = unit_name(step.unit, "zh" if zh else "en")
        if zh:
            return [f"{n}. {cell} = {d}（隐性唯一：在{unit}中，{d} 只能填在 {cell}）"]
        return [f"{n}. {cell} = {d} (hidden single: {cell} is the only cell of {unit} that can take {d})"]
    cands = ", ".join(str(x) for x in digits_of(step.candidates))
    if zh:
        out = [f"{n}. 没有唯一数可用。候选最少的格子是 {cell}，候选数为 {cands}。"]
        for digit, forced in step.refuted:
            out.append(f"   - 假设 {cell} = {digit}：继续用唯一数法填了 {forced} 格后出现矛盾（某格无数可填或某数无处可放），所以 {cell} ≠ {digit}。")
        if step.unrefuted:
            others = ", ".join(str(x) for x in step.unrefuted)
            out.append(f"   - 唯一数法无法直接排除 {others}。试填 {cell} = {d} 并继续；若最终填出完整且无矛盾的网格，因为解唯一，这个试填就是正确的。")
        else:
            out.append(f"   所以 {cell} = {d}。")
        return out
    out = [f"{n}. No single is left. The open cell with fewest candidates is {cell}: {cands}."]
    for digit, forced in step.refuted:
        out.append(f"   - If {cell} = {digit}, following singles ({forced} more placements) runs into a contradiction "
                   f"(a cell or a digit runs out of places), so {cell} is not {digit}.")
    if step.unrefuted:
        others = ", ".join(str(x) for x in step.unrefuted)
        out.append(f"   - Singles alone do not rule out {others}. Try {cell} = {d} and go on; if this ends in a complete "
                   f"grid with no contradiction, it is right, because the puzzle has only one solution.")
    else:
        out.append(f"   So {cell} = {d}.")
    return out
