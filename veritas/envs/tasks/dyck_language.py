"""dyck_language (lgc-v2 type 0): complete a bracket prefix with the shortest closing sequence.

The prompt shows the beginning of a bracket sequence (symbols separated by spaces) built from the
ASCII pairs () [] {} <>. The reply must give the FULL sequence - the given symbols followed by the
closing ones - on a line `Answer: <symbols>`. The closing part is unique: the brackets still open
after the prefix, closed from the innermost out.

Scoring (1 or 0):
- The last `Answer:` label counts (also `answer:` / `ANSWER:`); its text runs to the end of that
  line, or is the next non-empty line when the label ends its line.
- Whitespace between symbols is free (`( [ ] )`, `([])` and `(  [ ])` are the same answer);
  surrounding `**`, backticks and one final full stop are ignored. Any other character in the
  answer (a letter, a comma, a second guess) makes it unreadable: score 0, format_ok False.
- The symbol sequence must equal prefix + minimal closing exactly: a missing, extra, swapped or
  reordered bracket, a balanced but longer completion (`... ( )`), the closing part alone, or a
  changed prefix all score 0.

Difficulty (prefix length / bracket kinds / deepest nesting / brackets left open):
  1:  4-8 symbols, 2 kinds, depth <= 3, 1-2 open
  2:  8-14 symbols, 3 kinds, depth <= 4, 1-3 open
  3: 14-22 symbols, 4 kinds, depth <= 5, 2-4 open
  4: 22-32 symbols, 4 kinds, depth <= 7, 3-6 open
  5: 32-46 symbols, 4 kinds, depth <= 9, 4-8 open
(the length is rounded up by one when needed to match the parity of the open count).
"""

from __future__ import annotations

import random

from veritas.envs.base import Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import register
from veritas.envs.tasks._brackets import (
    ASCII_KINDS,
    OPEN_TO_CLOSE,
    PAIRS,
    after_last_label,
    closing_for,
    is_balanced,
    parse_symbols,
    pick_kinds,
    random_prefix,
    spaced,
)

# level -> (min length, max length, kinds, max depth, min open, max open)
LEVELS: dict[int, tuple[int, int, int, int, int, int]] = {
    1: (4, 8, 2, 3, 1, 2),
    2: (8, 14, 3, 4, 1, 3),
    3: (14, 22, 4, 5, 2, 4),
    4: (22, 32, 4, 7, 3, 6),
    5: (32, 46, 4, 9, 4, 8),
}

_INTROS = (
    "Complete the following sequence of brackets so that every bracket is closed in the right "
    "order, adding as few symbols as possible.",
    "Below is the beginning of a bracket sequence. Append the shortest run of closing brackets "
    "that makes the whole sequence balanced (properly nested).",
    "Some brackets in this sequence are still open. Close all of them, innermost first, using the "
    "fewest extra symbols.",
    "Finish this Dyck-language word: add the minimal number of closing brackets so that every "
    "opening bracket is matched by a closing bracket of the same kind, correctly nested.",
)
_LABELS = ("Sequence", "Input", "Brackets")
_FORMATS = (
    "End your reply with a line of the form\nAnswer: <full sequence>\ngiving the whole sequence - "
    "the input followed by your closing brackets - with the symbols separated by spaces. For "
    "example, for the input `( [` that line would be `Answer: ( [ ] )`.",
    "On the last line, write `Answer:` followed by the complete sequence (the given symbols, then "
    "the ones you add), symbols separated by spaces; e.g. the input `( [` gives "
    "`Answer: ( [ ] )`.",
)


@register
class DyckLanguage(TaskFamily):
    name = "dyck_language"
    env = "lgc-v2"
    id_offset = 0
    num_seeds = 100_000_000
    languages = ("en",)
    description = "Complete a bracket prefix with the minimal closing sequence (reply: the full sequence)."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        lo, hi, n_kinds, max_depth, open_lo, open_hi = LEVELS[difficulty]
        kinds = pick_kinds(rng, n_kinds, ASCII_KINDS)
        open_depth = rng.randint(open_lo, open_hi)
        length = rng.randint(lo, hi)
        if (length - open_depth) % 2:
            length += 1
        prefix = random_prefix(rng, kinds, length, open_depth, max_depth)
        closing = closing_for(prefix)
        prompt = (
            f"{wording.choice(_INTROS)}\n\n{wording.choice(_LABELS)}: {spaced(prefix)}\n\n"
            f"{wording.choice(_FORMATS)}"
        )
        metadata = {"prefix": prefix, "closing": closing, "pairs": "".join(o + c for o, c in kinds)}
        return Built(prompt, _reply(prefix + closing), metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        # The prefix is the puzzle; "pairs" may name a kind the prefix never shows.
        return canonical_json(["dyck_language", built.metadata["prefix"]])

    def check(self, task: Task, text: str) -> Verdict:
        content = after_last_label(text)
        if content is None:
            return Verdict(0.0, "no 'Answer:' line", False)
        got = parse_symbols(content)
        if got is None:
            return Verdict(0.0, "the answer must contain only bracket symbols", False)
        prefix, closing = task.metadata["prefix"], task.metadata["closing"]
        if got == prefix + closing:
            return Verdict(1.0, "correct")
        if not got.startswith(prefix):
            return Verdict(0.0, "the answer does not start with the given sequence")
        if is_balanced(got):
            return Verdict(0.0, "balanced, but not the shortest completion")
        return Verdict(0.0, "the sequence is not balanced")

    def worked_solution(self, task: Task) -> str:
        prefix, closing = task.metadata["prefix"], task.metadata["closing"]
        lines = ["Read the symbols from left to right, keeping a stack of the brackets that are still open.", ""]
        stack: list[str] = []
        for i, c in enumerate(prefix, 1):
            if c in OPEN_TO_CLOSE:
                stack.append(c)
                lines.append(f"{i}. `{c}` opens a bracket: push it. Stack: {_show(stack)}")
            else:
                top = stack.pop()
                lines.append(f"{i}. `{c}` closes the `{top}` on top: pop it. Stack: {_show(stack)}")
        lines += [
            "",
            f"After the last symbol {len(stack)} bracket(s) are still open; the stack, bottom to top, is "
            f"{_show(stack)}. Closing them from the top down is the only shortest completion: "
            f"{spaced(closing)}",
            f"Full sequence: {spaced(prefix + closing)}",
            "",
            _reply(prefix + closing),
        ]
        return "\n".join(lines)

    def wrong_answers(self, task: Task) -> list[str]:
        prefix, closing = task.metadata["prefix"], task.metadata["closing"]
        right = prefix + closing
        extra_pair = PAIRS[0][0] + PAIRS[0][1]
        other_closer = next(c for o, c in PAIRS if c != closing[0])
        candidates = [
            prefix + closing[:-1],                          # one bracket missing
            prefix + closing + closing[-1],                  # one extra closer
            prefix + closing + extra_pair,                   # balanced but not minimal
            prefix + other_closer + closing[1:],             # wrong kind for the first closer
            closing,                                         # only the added part
            prefix + closing[::-1],                          # closed outermost first
            prefix[1:] + closing,                            # first given symbol dropped
        ]
        out: list[str] = []
        for seq in candidates:
            reply = _reply(seq)
            if seq and seq != right and reply not in out:
                out.append(reply)
        out.append(f"Answer: {spaced(right)} or {spaced(prefix + closing[::-1])}")  # a hedge
        return out


def _show(stack: list[str]) -> str:
    return spaced(stack) if stack else "empty"


def _reply(seq: str) -> str:
    return f"Answer: {spaced(seq)}"
