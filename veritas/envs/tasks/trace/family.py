"""The `trace` task family: predict the exact stdout of a generated Python program.

build(): draw a program from the generator, run it in the sandbox, keep it when it ran cleanly
and printed something reasonable; otherwise draw the next candidate from the same rng (so the
replacement is deterministic). Nothing is stored with partial output.

check(): the first fenced block of the reply (or the whole reply when it has no fence) against
the recorded output, line by line, after unifying line endings, removing trailing whitespace
and dropping blank lines at either end. No part of the reply is executed.
"""

from __future__ import annotations

import random

from veritas.envs.answers import fenced_blocks, normalize_lines
from veritas.envs.base import Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import register
from veritas.envs.rng import derive_rng
from veritas.envs.splits import MAX_SPLIT_ATTEMPTS, SplitExhausted, split_of_content
from veritas.envs.tasks.trace import sandbox
from veritas.envs.tasks.trace.generator import Program, generate_program
from veritas.envs.tasks.trace.solution import render_worked_solution

MAX_CANDIDATES = 64  # far above need: fewer than 1 program in 100 is ever replaced
MAX_OUTPUT_LINE_CHARS = 160
MAX_OUTPUT_CHARS = 4000

INTROS = (
    "What does the following Python program print?",
    "Trace the execution of this Python program and give its exact output.",
    "Run the Python program below in your head and write down everything it prints.",
    "Predict the exact standard output of this Python program.",
    "Below is a short Python program. Work out precisely what it prints.",
)
STDIN_LEADS = (
    "It is run with this standard input:",
    "Its standard input is:",
    "The program reads the following input on stdin:",
)
DEBUG_NOTES = (
    "Lines printed by the `__DBG_k__` debug statements are part of the output too.",
    "The debug prints tagged `__DBG_k__` belong to the output as well.",
)
INSTRUCTIONS = (
    "Answer with the complete output, exactly as printed, inside one fenced code block (```). "
    "Only the first fenced block of your reply is read.",
    "Write the program's full output, line for line, in a single fenced code block (```). "
    "The first fenced block in your reply is taken as your answer.",
    "Give every line the program prints, in order, inside a fenced code block (```); only the first such block counts.",
)


def output_problem(program: Program, result: sandbox.RunResult) -> str | None:
    """Why a candidate cannot become a task (None when it can)."""
    if not result.ok:
        return f"{result.status}: {result.output[:200]}"
    out = result.output
    if not out.strip():
        return "printed nothing"
    if len(out) > MAX_OUTPUT_CHARS:
        return f"printed {len(out)} characters"
    lines = out.split("\n")
    if any(len(line) > MAX_OUTPUT_LINE_CHARS for line in lines):
        return "printed an over-long line"
    for k in range(program.debug_tags):
        if f"__DBG_{k}__" not in out:
            return f"debug print __DBG_{k}__ never ran"
    return None


def _key(program: Program) -> str:
    """TraceFamily.content_key, computed from the program before it runs."""
    return canonical_json(["trace", program.source, program.stdin])


def answer_block(output: str) -> str:
    body = output[:-1] if output.endswith("\n") else output
    return f"```\n{body}\n```"


def build_prompt(program: Program, wording: random.Random) -> str:
    parts = [wording.choice(INTROS), "", "```python", program.source.rstrip("\n"), "```"]
    if program.stdin:
        parts += ["", wording.choice(STDIN_LEADS), "", "```", program.stdin.rstrip("\n"), "```"]
    parts.append("")
    if program.debug_tags:
        parts.append(wording.choice(DEBUG_NOTES) + " " + wording.choice(INSTRUCTIONS))
    else:
        parts.append(wording.choice(INSTRUCTIONS))
    return "\n".join(parts)


@register
class TraceFamily(TaskFamily):
    name = "trace"
    env = "trace"
    id_offset = 0
    num_seeds = 1_000_000_000
    languages = ("en",)
    description = "Predict the exact stdout of a generated Python program (with debug prints and optional stdin)."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        return self._build(rng, difficulty, wording, split=None)

    def build_in_split(self, draw, difficulty: int, language: str, split: str) -> Built:
        # The content key (program, stdin) is known before the sandbox runs, so drafts outside
        # the split are skipped unrun, all from the seed's own stream: a val or test task costs
        # ~20 cheap drafts and one run instead of ~20 runs. A draft in the split is the draft
        # build() would keep, so train tasks keep their bytes.
        rng, wording = draw(0)
        return self._build(rng, difficulty, wording, split)

    def _build(self, rng: random.Random, difficulty: int, wording: random.Random, split: str | None) -> Built:
        client = sandbox.default_client()
        rejected: list[str] = []
        outside = 0
        candidate = -1
        while True:
            candidate += 1
            if split is None or split == "train":
                # 9 drafts in 10 are train: run while writing (the sandbox compiles each finished
                # piece while the generator writes the next one), test the key afterwards.
                with client.stream() as stream:
                    program = generate_program(rng, difficulty, sink=stream.send)
                    in_split = split is None or split_of_content(_key(program)) == split
                    result = stream.finish(program.source, program.stdin) if in_split else None
            else:
                program = generate_program(rng, difficulty)
                in_split = split_of_content(_key(program)) == split
                result = client.run(program.source, program.stdin) if in_split else None
            if result is None:
                outside += 1
                if outside >= MAX_SPLIT_ATTEMPTS:
                    raise SplitExhausted(f"no program in split {split!r} within {MAX_SPLIT_ATTEMPTS} drafts")
                continue
            problem = output_problem(program, result)
            if problem is None:
                break
            rejected.append(problem)
            if len(rejected) >= MAX_CANDIDATES:
                raise RuntimeError(f"trace: {MAX_CANDIDATES} candidates failed (generator bug?): {rejected[:3]}")
        metadata = {
            "program": program.source,
            "stdin": program.stdin,
            "output": result.output,
            "debug_prints": program.debug_tags,
            "candidate": candidate,
        }
        return Built(build_prompt(program, wording), answer_block(result.output), metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        # The program and its stdin are the puzzle; "candidate" only counts rejected drafts.
        return canonical_json(["trace", built.metadata["program"], built.metadata["stdin"]])

    def check(self, task: Task, text: str) -> Verdict:
        expected = task.metadata.get("output")
        if not isinstance(expected, str) or not expected.strip():
            return Verdict(0.0, "task records no expected output", False)
        blocks = fenced_blocks(text, max_blocks=1)
        if blocks:
            body, fenced = blocks[0][1], True
        elif "```" in text:
            return Verdict(0.0, "unclosed code fence", False)
        else:
            body, fenced = text, False
        # A reply far longer than the output cannot match; refusing early bounds the work.
        if len(body) > 2 * len(expected) + 256:
            return Verdict(0.0, "answer is much longer than the program's output", fenced)
        got = normalize_lines(body)
        if not got:
            return Verdict(0.0, "empty answer block", fenced)
        want = normalize_lines(expected)
        if got == want:
            return Verdict(1.0, "exact output" if fenced else "exact output (no fenced block)", fenced)
        if len(got) != len(want):
            return Verdict(0.0, f"expected {len(want)} lines, got {len(got)}", fenced)
        first = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
        return Verdict(0.0, f"line {first + 1} differs", fenced)

    def worked_solution(self, task: Task) -> str:
        trace = sandbox.default_client().trace(task.metadata["program"], task.metadata.get("stdin", ""))
        return render_worked_solution(
            task.metadata["program"], trace, task.metadata["output"], answer_block(task.metadata["output"])
        )

    def wrong_answers(self, task: Task) -> list[str]:
        output = task.metadata["output"]
        lines = output.rstrip("\n").split("\n")
        rng = derive_rng("trace-wrong-answers", task.seed, task.difficulty)
        want = normalize_lines(output)
        wrong: list[str] = []

        def add(candidate_lines: list[str]) -> None:
            text = "\n".join(candidate_lines)
            if normalize_lines(text) != want:
                wrong.append(f"```\n{text}\n```")

        # one character changed (never whitespace: trailing whitespace is normalised away)
        spots = [(i, j) for i, line in enumerate(lines) for j, ch in enumerate(line) if not ch.isspace()]
        if spots:
            i, j = rng.choice(spots)
            changed = list(lines)
            changed[i] = changed[i][:j] + _neighbour(changed[i][j]) + changed[i][j + 1 :]
            add(changed)
            one_off = changed
        else:
            one_off = lines + ["0"]
        # one line missing
        if len(lines) > 1:
            i = rng.randrange(len(lines))
            add(lines[:i] + lines[i + 1 :])
        # one extra line
        add(lines + [lines[-1]])
        # two different neighbouring lines swapped
        pairs = [i for i in range(len(lines) - 1) if lines[i] != lines[i + 1]]
        if pairs:
            i = rng.choice(pairs)
            swapped = list(lines)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            add(swapped)
        # the debug prints left out
        plain = [line for line in lines if not line.startswith("__DBG_")]
        if plain and len(plain) < len(lines):
            add(plain)
        # many candidate outputs dumped in one block, and in several blocks (the right one last)
        add(one_off + [""] + lines)
        wrong.append("\n\n".join(f"```\n{chr(10).join(c)}\n```" for c in (one_off, lines[::-1], lines)))
        return wrong


def _neighbour(ch: str) -> str:
    if ch.isdigit():
        return str((int(ch) + 1) % 10)
    if "a" <= ch <= "y" or "A" <= ch <= "Y":
        return chr(ord(ch) + 1)
    if ch in "zZ":
        return chr(ord(ch) - 1)
    return "x" if ch != "x" else "y"
