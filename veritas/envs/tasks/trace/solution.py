"""Worked solutions: a line-by-line trace of a real run, written out as reasoning.

The events come from the sandbox worker's tracing mode (worker.Tracer): for every executed line,
the variables it changed and what it printed; for every call, the arguments and the returned
value. They are rendered as plain text (never a ``` fence, so the answer block at the end is
the first fenced block of the solution) and cut after MAX_STEPS lines, after which the final
values of the top-level variables are listed.
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


def _printed(text: str) -> str:
    shown = text[:-1] if text.endswith("\n") else text
    return " | ".join(shown.split("\n"))


def render_worked_solution(source: str, trace: dict, output: str, answer: str) -> str:
    lines = source.split("\n")
    out = [
        "I run the program statement by statement and track every variable. Each step shows "
        "the line, then the values it sets and anything it prints.",
        "",
    ]
    events = trace.get("events", [])
    shown = 0
    hidden = 0
    for event in events:
        kind, depth = event[0], event[1]
        if shown >= MAX_STEPS:
            hidden += 1
            continue
        pad = "  " * depth
        if kind == "line":
            _, _, lineno, changed, printed = event
            step = f"{pad}line {lineno}: {_source_line(lines, lineno)}"
            effects = []
            if changed:
                effects.append(_assignments(changed))
            if printed:
                effects.append(f"prints {_printed(printed)}")
            if effects:
                step += "  ->  " + "; ".join(effects)
            out.append(step)
        elif kind == "call":
            _, _, name, args = event
            out.append(f"{pad}call {name}({_assignments(args)})")
        elif kind == "return":
            _, _, name, value = event
            out.append(f"{pad}{name} returns {value}")
        shown += 1
    hidden += int(trace.get("omitted", 0))
    if hidden:
        out.append(f"... {hidden} more steps follow the same pattern until the program ends.")
        final_values = trace.get("final") or {}
        if final_values:
            out.append("")
            out.append("When the program finishes, the top-level variables hold: " + _assignments(final_values) + ".")
    out += ["", f"The program prints {len(output.rstrip(chr(10)).split(chr(10)))} line(s) in total:", "", answer]
    return "\n".join(out)
