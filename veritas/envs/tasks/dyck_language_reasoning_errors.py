"""dyck_language_reasoning_errors (lgc-v2 type 8): find the wrong steps in a bracket-stack trace.

The prompt gives a bracket prefix (ASCII pairs () [] {} <>) and a numbered trace of completing it:
one step per symbol (the symbol read, the action, the stack after it, bottom to top), then a step
that closes the open brackets and a step that states the completed sequence. Some steps (at least
one) were corrupted. A step is WRONG when it differs from correct processing at that point - judged
on its own against the true state, not against the (possibly wrong) previous step:
- a symbol step is wrong when it names a symbol other than the input's symbol at that position,
  the wrong action (push vs. pop), the wrong bracket on top, or a stack that is not the true stack
  after that symbol;
- the closing step is wrong when its closing brackets are not the true minimal closing sequence;
- the final step is wrong when its sequence is not prefix + minimal closing.
Injected corruptions: a stack with one bracket dropped, added, changed in kind or two brackets
swapped; an opener popped or a closer pushed; a misread symbol; a claimed match with the wrong
bracket on top; a closing sequence reversed, shortened or with one kind changed; a completed
sequence with one bracket dropped or changed. After a corrupted step the trace goes on from the
true state, so every other step is right.

Answer: the last line `Answer: 3, 7` - the numbers of ALL wrong steps, in increasing order,
separated by commas (spaces around commas are optional). The last `Answer:`/`answer:`/`ANSWER:`
label counts; `**`, backticks and a final full stop around the list are ignored. Scored 1 only for
exactly the set of wrong steps; 0 for a missing or extra number, a duplicate, a list out of order,
a number with a leading zero or a sign, words ("3 and 7"), ranges, or anything that is not a plain
comma-separated list of decimal numbers (format_ok False). Listing every step scores 0 because
there are always right steps.

Difficulty (prefix length / bracket kinds / deepest nesting / open at the end / wrong steps):
  1:  4-8 symbols, 2 kinds, depth <= 3, 1-2 open, 1 wrong step
  2:  8-12 symbols, 3 kinds, depth <= 4, 1-3 open, 1-2 wrong
  3: 12-18 symbols, 4 kinds, depth <= 5, 2-4 open, 2-3 wrong
  4: 18-26 symbols, 4 kinds, depth <= 6, 2-5 open, 2-4 wrong
  5: 26-36 symbols, 4 kinds, depth <= 8, 3-6 open, 3-5 wrong
"""

from __future__ import annotations

import random

from veritas.envs.base import Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import register
from veritas.envs.tasks._brackets import (
    ASCII_KINDS,
    CLOSE_TO_OPEN,
    OPEN_TO_CLOSE,
    after_last_label,
    closing_for,
    pick_kinds,
    random_prefix,
    spaced,
)

# level -> (min length, max length, kinds, max depth, min open, max open, min wrong, max wrong)
LEVELS: dict[int, tuple[int, int, int, int, int, int, int, int]] = {
    1: (4, 8, 2, 3, 1, 2, 1, 1),
    2: (8, 12, 3, 4, 1, 3, 1, 2),
    3: (12, 18, 4, 5, 2, 4, 2, 3),
    4: (18, 26, 4, 6, 2, 5, 2, 4),
    5: (26, 36, 4, 8, 3, 6, 3, 5),
}

# No answer is longer than this; a longer "list" is unreadable without parsing it.
_MAX_ANSWER_CHARS = 1_000

_INTROS = (
    "A student completed a bracket sequence with the shortest closing sequence, writing down the "
    "stack after every symbol. Some of the steps are wrong.",
    "Below is a step-by-step trace of completing a bracket sequence with a stack. At least one "
    "step contains a mistake.",
    "The following reasoning processes a bracket sequence symbol by symbol and closes it with the "
    "minimal closing sequence, but errors were made in some steps.",
)
_RULES = (
    "Judge every step on its own against the correct processing: a step is wrong if it names the "
    "wrong symbol, the wrong action, the wrong bracket on top, or a stack (listed bottom to top) "
    "that is not the true stack after that symbol; the closing step is wrong if it is not the true "
    "minimal closing sequence, and the last step if it is not the true completed sequence. Do not "
    "count a step as wrong only because an earlier step was wrong.",
    "Each step must be checked against what correct processing gives at that point, not against "
    "the previous step: a step is wrong when its symbol, its action (push or pop), the bracket it "
    "says is on top, or the stack it shows (bottom to top) is not correct; the last two steps are "
    "wrong when their closing brackets or completed sequence are not correct.",
)
_FORMATS = (
    "List the numbers of all wrong steps in increasing order, separated by commas, on a final line "
    "of the form `Answer: 3, 7`.",
    "End your reply with a line `Answer: ` followed by the numbers of every wrong step, in "
    "increasing order and separated by commas (for example `Answer: 2, 5, 9`).",
)


@register
class DyckLanguageReasoningErrors(TaskFamily):
    name = "dyck_language_reasoning_errors"
    env = "lgc-v2"
    id_offset = 800_000_000
    num_seeds = 100_000_000
    languages = ("en",)
    description = "Find the wrong steps in a stack trace of completing a bracket sequence."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        lo, hi, n_kinds, max_depth, open_lo, open_hi, wrong_lo, wrong_hi = LEVELS[difficulty]
        kinds = pick_kinds(rng, n_kinds, ASCII_KINDS)
        open_depth = rng.randint(open_lo, open_hi)
        length = rng.randint(lo, hi)
        if (length - open_depth) % 2:
            length += 1
        prefix = random_prefix(rng, kinds, length, open_depth, max_depth)
        openers = [o for o, _ in kinds]
        steps = correct_steps(prefix)
        n_wrong = rng.randint(wrong_lo, wrong_hi)
        wrong = sorted(rng.sample(range(1, len(steps) + 1), n_wrong))
        errors = []
        for k in wrong:
            text, kind = _corrupt(rng, prefix, k, openers)
            steps[k - 1] = text
            errors.append({"step": k, "kind": kind})
        trace = "\n".join(steps)
        prompt = (
            f"{wording.choice(_INTROS)}\n\nSequence: {spaced(prefix)}\n\n{trace}\n\n"
            f"{wording.choice(_RULES)}\n\n{wording.choice(_FORMATS)}"
        )
        metadata = {"prefix": prefix, "steps": steps, "wrong_steps": wrong, "errors": errors}
        return Built(prompt, _reply(wrong), metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        # The sequence and the steps shown are the puzzle; the wrong steps follow from them.
        return canonical_json(["dyck_language_reasoning_errors", built.metadata["prefix"], built.metadata["steps"]])

    def check(self, task: Task, text: str) -> Verdict:
        content = after_last_label(text)
        if content is None:
            return Verdict(0.0, "no 'Answer:' line", False)
        numbers = parse_step_list(content)
        if numbers is None:
            return Verdict(0.0, "the answer must be step numbers in increasing order, separated by commas", False)
        expected = task.metadata["wrong_steps"]
        if numbers == expected:
            return Verdict(1.0, "correct")
        missing = len(set(expected) - set(numbers))
        extra = len(set(numbers) - set(expected))
        return Verdict(0.0, f"{missing} wrong step(s) missed, {extra} right step(s) listed")

    def worked_solution(self, task: Task) -> str:
        prefix, shown = task.metadata["prefix"], task.metadata["steps"]
        truth = correct_steps(prefix)
        lines = [
            "Redo the processing with a stack (bottom to top) and compare every step with it.",
            "",
        ]
        stack: list[str] = []
        for k, c in enumerate(prefix, 1):
            if c in OPEN_TO_CLOSE:
                stack.append(c)
                what = f"an opener: push it, stack {_show(stack)}"
            else:
                what = f"which closes the `{stack.pop()}` on top: pop it, stack {_show(stack)}"
            lines.append(_judge(k, f"symbol {k} is `{c}`, {what}", shown[k - 1], truth[k - 1]))
        n = len(prefix)
        closing = closing_for(prefix)
        lines.append(_judge(n + 1, f"still open {_show(stack)}, closed from the top: {spaced(closing)}",
                            shown[n], truth[n]))
        lines.append(_judge(n + 2, f"completed sequence {spaced(prefix + closing)}", shown[n + 1], truth[n + 1]))
        wrong = task.metadata["wrong_steps"]
        lines += ["", f"Wrong steps: {', '.join(map(str, wrong))}.", "", _reply(wrong)]
        return "\n".join(lines)

    def wrong_answers(self, task: Task) -> list[str]:
        wrong: list[int] = task.metadata["wrong_steps"]
        total = len(task.metadata["steps"])
        right_steps = [k for k in range(1, total + 1) if k not in wrong]
        candidates: list[list[int]] = []
        last = wrong[-1]
        shifted = last + 1 if last + 1 <= total and last + 1 not in wrong else last - 1
        if shifted >= 1 and shifted not in wrong:
            candidates.append(sorted(wrong[:-1] + [shifted]))          # one number off
        if len(wrong) > 1:
            candidates.append(wrong[1:])                                # one missed
        candidates.append(sorted(wrong + right_steps[:1]))              # one extra
        candidates.append(list(range(1, total + 1)))                    # every step
        out = [_reply(c) for c in candidates if c and c != wrong]
        out.append("Answer: " + ", ".join(map(str, sorted(wrong + [wrong[0]]))))  # a duplicate
        if len(wrong) > 1:
            out.append("Answer: " + ", ".join(map(str, wrong[::-1])))      # not in increasing order
        out.append(f"{_reply(wrong)} or {', '.join(map(str, sorted(wrong + right_steps[-1:])))}")  # a hedge
        return out


def correct_steps(prefix: str) -> list[str]:
    """The right trace: one step per symbol, then the closing step and the completed sequence."""
    steps: list[str] = []
    stack: list[str] = []
    for k, c in enumerate(prefix, 1):
        if c in OPEN_TO_CLOSE:
            stack.append(c)
            steps.append(_push_step(k, c, stack))
        else:
            top = stack.pop()
            steps.append(_pop_step(k, c, top, stack))
    closing = closing_for(prefix)
    n = len(prefix)
    steps.append(_closing_step(n + 1, closing))
    steps.append(_final_step(n + 2, prefix + closing))
    return steps


def parse_step_list(content: str) -> list[int] | None:
    """`3, 7` -> [3, 7]; None unless it is a non-empty, strictly increasing, comma-separated list of
    plain decimal numbers without leading zeros."""
    if not content or len(content) > _MAX_ANSWER_CHARS:
        return None
    numbers: list[int] = []
    for piece in content.split(","):
        piece = piece.strip()
        if not piece or not piece.isascii() or not piece.isdigit() or (piece[0] == "0"):
            return None
        value = int(piece)
        if numbers and value <= numbers[-1]:
            return None
        numbers.append(value)
    return numbers


def _corrupt(rng: random.Random, prefix: str, k: int, openers: list[str]) -> tuple[str, str]:
    """A wrong version of step k (1-based) and the name of the corruption."""
    n = len(prefix)
    closing = closing_for(prefix)
    if k == n + 1:
        options = ["closing_dropped", "closing_kind"]
        if closing != closing[::-1]:
            options.append("closing_reversed")
        kind = rng.choice(options)
        if kind == "closing_reversed":
            bad = closing[::-1]
        elif kind == "closing_dropped":
            bad = _drop(rng, closing)
        else:
            bad = _rekind(rng, closing, openers)
        return _closing_step(k, bad), kind
    if k == n + 2:
        full = prefix + closing
        kind = rng.choice(["final_dropped", "final_kind"])
        if kind == "final_dropped":
            bad = _drop(rng, full)
        else:
            bad = _rekind(rng, full, openers)
        return _final_step(k, bad), kind

    # A symbol step: the true stack before (`before`) and after (`after`) symbol k.
    before: list[str] = []
    for c in prefix[: k - 1]:
        if c in OPEN_TO_CLOSE:
            before.append(c)
        else:
            before.pop()
    c = prefix[k - 1]
    is_open = c in OPEN_TO_CLOSE
    after = before + [c] if is_open else before[:-1]
    top = None if is_open else before[-1]

    options = ["stack_extra", "action", "misread"]
    if after:
        options += ["stack_dropped", "stack_kind"]
    if any(a != b for a, b in zip(after, after[1:])):
        options.append("stack_swapped")
    if not is_open:
        options.append("wrong_top")
    if is_open and not before:
        options.remove("action")  # nothing to pop: "pop" would not even name a top
    kind = rng.choice(options)

    def show(stack: list[str]) -> str:
        return _pop_step(k, c, top, stack) if not is_open else _push_step(k, c, stack)

    if kind == "stack_extra":
        i = rng.randint(0, len(after))
        return show(after[:i] + [rng.choice(openers)] + after[i:]), kind
    if kind == "stack_dropped":
        i = rng.randrange(len(after))
        return show(after[:i] + after[i + 1:]), kind
    if kind == "stack_kind":
        i = rng.randrange(len(after))
        return show(after[:i] + [_other(rng, after[i], openers)] + after[i + 1:]), kind
    if kind == "stack_swapped":
        pairs = [i for i in range(len(after) - 1) if after[i] != after[i + 1]]
        i = rng.choice(pairs)
        return show(after[:i] + [after[i + 1], after[i]] + after[i + 2:]), kind
    if kind == "wrong_top":
        # Claims the closer matched a different opener; the stack shown is the true one.
        return _pop_step(k, c, _other(rng, top, openers), after), kind
    if kind == "action":
        if is_open:  # an opener treated as a closer: the top is popped
            return _pop_step(k, c, before[-1], before[:-1]), kind
        return _push_step(k, c, before + [c]), kind  # a closer pushed onto the stack
    # misread: another symbol of the same side, processed consistently with the misreading
    bad = _other_same_side(rng, c, openers)
    if is_open:
        return _push_step(k, bad, before + [bad]), kind
    return _pop_step(k, bad, CLOSE_TO_OPEN[bad], after), kind


def _other(rng: random.Random, opener: str, openers: list[str]) -> str:
    """An opener of another kind, preferring the kinds this task uses."""
    pool = [o for o in openers if o != opener] or [o for o in OPEN_TO_CLOSE if o != opener][:3]
    return rng.choice(pool)


def _other_same_side(rng: random.Random, symbol: str, openers: list[str]) -> str:
    if symbol in OPEN_TO_CLOSE:
        return _other(rng, symbol, openers)
    return OPEN_TO_CLOSE[_other(rng, CLOSE_TO_OPEN[symbol], openers)]


def _drop(rng: random.Random, seq: str) -> str:
    i = rng.randrange(len(seq))
    return seq[:i] + seq[i + 1:]


def _rekind(rng: random.Random, seq: str, openers: list[str]) -> str:
    i = rng.randrange(len(seq))
    return seq[:i] + _other_same_side(rng, seq[i], openers) + seq[i + 1:]


def _show(stack: list[str]) -> str:
    return spaced(stack) if stack else "empty"


def _push_step(k: int, c: str, stack: list[str]) -> str:
    return f"Step {k}: read `{c}`, an opening bracket, so push it. Stack: {_show(stack)}"


def _pop_step(k: int, c: str, top: str, stack: list[str]) -> str:
    return f"Step {k}: read `{c}`, which closes the `{top}` on top, so pop it. Stack: {_show(stack)}"


def _closing_step(k: int, closing: str) -> str:
    return f"Step {k}: end of input; closing the open brackets from the top of the stack gives: {spaced(closing)}"


def _final_step(k: int, full: str) -> str:
    return f"Step {k}: so the completed sequence is: {spaced(full)}"


def _judge(k: int, correct: str, shown: str, right_text: str) -> str:
    if shown == right_text:
        return f"Step {k}: {correct}. It matches: right."
    return f"Step {k}: {correct}. The trace says \"{shown.split(': ', 1)[1]}\": wrong."


def _reply(numbers: list[int]) -> str:
    return "Answer: " + ", ".join(map(str, numbers))
