"""Worked solutions: a line-by-line trace of a real run, written out as reasoning.

The events come from the sandbox worker's tracing mode (worker.Tracer): for every executed line,
the variables it changed and what it printed; for every call, the arguments and the returned
value. They are rendered as plain text (never a ``` fence, so the answer block at the end is
the first fenced block of the solution). After MAX_STEPS steps only the lines that print are
shown, with the number of steps skipped between them, so every output line is still explained;
the final values of the top-level variables close the trace.
"""

from __future__ import annotations

MAX_STEPS = 160
MAX_SOURCE_CHARS = 72


def _source_line(lines: list[str], lineno: int) -> str:
    text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else "?"
    if len(text) > MAX_SOURCE_CHARS:
        text = text[: MAX_SOURCE_CHARS - 3] + "..."
    return text


def _assignments(changed: dict) -> str:
    return ", ".join(f"{name} = {value}" for name, value in changed.items())


EMPTY_LINE = "an empty line"


def _printed(text: str) -> str:
    shown = text[:-1] if text.endswith("\n") else text
    return " | ".join(line if line else EMPTY_LINE for line in shown.split("\n"))


def _next_lines(events: list) -> list:
    """For each event, the line number executed next in the same frame (None when the frame
    returns first): tells whether an if/while condition held and whether a loop goes on."""
    following: dict[int, int | None] = {}
    result: list = [None] * len(events)
    for i in range(len(events) - 1, -1, -1):
        kind, depth = events[i][0], events[i][1]
        if kind == "line":
            result[i] = following.get(depth)
            following[depth] = events[i][2]
        elif kind == "return":
            following[depth] = None
    return result


def _branch_note(code: str, lineno: int, next_line: int | None, changed: dict) -> str | None:
    entered = next_line == lineno + 1
    if code.startswith(("if ", "elif ")):
        return "condition is True" if entered else "condition is False"
    if code.startswith("while "):
        return "condition is True" if entered else "condition is False, the loop ends"
    if code.startswith("for ") and not changed and not entered:
        return "no items left, the loop ends"
    return None


def render_worked_solution(source: str, trace: dict, output: str, answer: str) -> str:
    lines = source.split("\n")
    out = [
        "I run the program statement by statement and track every variable. Each step shows "
        "the line, then the values it sets and anything it prints.",
        "",
    ]
    events = trace.get("events", [])
    next_lines = _next_lines(events)
    shown = 0
    hidden = 0  # steps left out since the last one shown
    cut = False  # was anything left out at all?

    def flush_hidden() -> None:
        nonlocal hidden, cut
        if hidden:
            cut = True
            out.append(f"... {hidden} more steps ...")
            hidden = 0

    for index, event in enumerate(events):
        kind, depth = event[0], event[1]
        pad = "  " * depth
        if kind == "skip":
            hidden += event[2]
            continue
        if shown >= MAX_STEPS and not (kind == "line" and event[4]):
            hidden += 1  # past the limit only the printing lines are shown
            continue
        if kind == "line":
            _, _, lineno, changed, printed = event
            code = _source_line(lines, lineno)
            effects = []
            note = _branch_note(code, lineno, next_lines[index], changed) if shown < MAX_STEPS else None
            if note:
                effects.append(note)
            if changed:
                effects.append(_assignments(changed))
            if printed:
                effects.append(f"prints {_printed(printed)}")
            flush_hidden()
            out.append(f"{pad}line {lineno}: {code}" + ("  ->  " + "; ".join(effects) if effects else ""))
        elif kind == "call":
            _, _, name, args = event
            out.append(f"{pad}call {name}({_assignments(args)})")
        elif kind == "return":
            _, _, name, value = event
            out.append(f"{pad}{name} returns {value}")
        shown += 1
    hidden += int(trace.get("omitted", 0))
    flush_hidden()
    if cut:
        final_values = trace.get("final") or {}
        if final_values:
            out.append("")
            out.append("When the program finishes, the top-level variables hold: " + _assignments(final_values) + ".")
    out += ["", f"The program prints {len(output.rstrip(chr(10)).split(chr(10)))} line(s) in total:", "", answer]
    return "\n".join(out)
