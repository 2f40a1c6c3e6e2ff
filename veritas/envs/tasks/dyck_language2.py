"""dyck_language2 (lgc-v2 types 4 and 5): prepend the shortest opening sequence that balances a
bracket sequence.

The prompt shows a bracket sequence in which every opening bracket is matched but some closing
brackets are not (it is the end of a balanced sequence). Up to 8 kinds of pairs are used:
() [] {} <> and the Unicode pairs ⟨⟩ ⟦⟧ ⦃⦄ ⦅⦆. The reply gives the COMPLETE balanced sequence - the
added opening brackets followed by the given symbols - inside single backticks, e.g. `[ ( ) ]`.
The added part is unique: one opener for every unmatched closer, the rightmost closer's opener
first.

Both lgc-v2 type indices 4 and 5 belong to this family, so its seed range is 2 * 10^8 long
(task id 5 * 10^8 + s is seed 10^8 + s).

Scoring (1 or 0):
- The last single-backtick span of the reply counts; when the reply has none, the last fenced
  (```) block does.
- Whitespace between symbols is free; `**` and one final full stop around the sequence inside
  the span are ignored. Any other character in it makes the answer unreadable: score 0, format_ok False.
- The symbols must equal minimal opening + given sequence exactly: a missing, extra, swapped or
  reordered opener, a balanced but longer sequence, the opening part alone or a changed given part
  all score 0.

Difficulty (given length / bracket kinds from which pool / deepest nesting / unmatched closers):
  1:  4-8 symbols, 2 kinds of the 4 ASCII pairs, depth <= 3, 1-2 unmatched
  2:  8-14 symbols, 3 kinds of the first 6 pairs, depth <= 4, 1-3 unmatched
  3: 14-22 symbols, 4 kinds of all 8 pairs, depth <= 5, 2-4 unmatched
  4: 22-32 symbols, 6 kinds of all 8 pairs, depth <= 7, 3-6 unmatched
  5: 32-46 symbols, all 8 kinds, depth <= 9, 4-8 unmatched
(the length is rounded up by one when needed to match the parity of the unmatched count).
"""

from __future__ import annotations

import random

from veritas.envs.answers import fenced_blocks, last_inline_code
from veritas.envs.base import Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import register
from veritas.envs.tasks._brackets import (
    CLOSE_TO_OPEN,
    PAIRS,
    closing_for,
    is_balanced,
    mirror,
    parse_symbols,
    pick_kinds,
    random_prefix,
    spaced,
    strip_decoration,
)

# level -> (min length, max length, kinds, kinds pool, max depth, min unmatched, max unmatched)
LEVELS: dict[int, tuple[int, int, int, int, int, int, int]] = {
    1: (4, 8, 2, 4, 3, 1, 2),
    2: (8, 14, 3, 6, 4, 1, 3),
    3: (14, 22, 4, 8, 5, 2, 4),
    4: (22, 32, 6, 8, 7, 3, 6),
    5: (32, 46, 8, 8, 9, 4, 8),
}

_INTROS = (
    "The bracket sequence below is the end of a balanced sequence: some of its closing brackets "
    "have no opening partner. Put the shortest possible run of opening brackets in front of it so "
    "that the whole sequence becomes balanced.",
    "Make this sequence properly nested by adding opening brackets at its START only. Add as few "
    "symbols as possible; every bracket must end up matched by one of the same kind.",
    "Some closing brackets in the following sequence are unmatched. Prepend the minimal sequence of "
    "opening brackets that balances it (brackets of different kinds must be nested correctly).",
    "Find the shortest sequence of opening brackets which, written before the given symbols, turns "
    "them into a balanced bracket sequence.",
    "Repair the bracket sequence below by inserting opening brackets at its beginning - and nowhere "
    "else - using the fewest symbols, so that every closing bracket closes an opening bracket of "
    "its own kind.",
)
_LABELS = ("Sequence", "Input", "Given")
_FORMATS = (
    "Write the complete balanced sequence - the brackets you add followed by the given ones - "
    "inside single backticks, symbols separated by spaces, for example `[ ( ) ]` for the input "
    "`) ]`. Only the last backtick-quoted span of your reply is graded.",
    "Give your final answer as the whole balanced sequence (your opening brackets, then the given "
    "sequence) in single backticks with spaces between the symbols; e.g. the input `) ]` gives "
    "`[ ( ) ]`. The last backtick span in your reply is taken as the answer.",
    "Answer with the full resulting sequence, not only the added part, wrapped in single backticks "
    "and with the symbols separated by spaces (the input `) ]` would be answered `[ ( ) ]`). If "
    "you use backticks more than once, the last span counts.",
)


@register
class DyckLanguage2(TaskFamily):
    name = "dyck_language2"
    env = "lgc-v2"
    id_offset = 400_000_000
    num_seeds = 200_000_000  # lgc-v2 type indices 4 and 5
    languages = ("en",)
    description = "Prepend the minimal opening sequence that balances a bracket sequence (up to 8 kinds)."

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        lo, hi, n_kinds, pool, max_depth, open_lo, open_hi = LEVELS[difficulty]
        kinds = pick_kinds(rng, n_kinds, pool)
        unmatched = rng.randint(open_lo, open_hi)
        length = rng.randint(lo, hi)
        if (length - unmatched) % 2:
            length += 1
        # A Dyck prefix mirrored (reversed, openers <-> closers) is a Dyck suffix, and its
        # mirrored closing is exactly the opening it needs.
        prefix = random_prefix(rng, kinds, length, unmatched, max_depth)
        given = mirror(prefix)
        opening = mirror(closing_for(prefix))
        prompt = (
            f"{wording.choice(_INTROS)}\n\n{wording.choice(_LABELS)}: {spaced(given)}\n\n"
            f"{wording.choice(_FORMATS)}"
        )
        metadata = {"given": given, "opening": opening, "pairs": "".join(o + c for o, c in kinds)}
        return Built(prompt, _reply(opening + given), metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        # The given symbols are the puzzle; "pairs" may name a kind they never show.
        return canonical_json(["dyck_language2", built.metadata["given"]])

    def check(self, task: Task, text: str) -> Verdict:
        span = last_inline_code(text)
        if span is None:
            blocks = fenced_blocks(text)
            if not blocks:
                return Verdict(0.0, "no answer in backticks", False)
            span = blocks[-1][1]
        got = parse_symbols(strip_decoration(span))
        if got is None:
            return Verdict(0.0, "the answer must contain only bracket symbols", False)
        given, opening = task.metadata["given"], task.metadata["opening"]
        if got == opening + given:
            return Verdict(1.0, "correct")
        if not got.endswith(given):
            return Verdict(0.0, "the answer does not end with the given sequence")
        if is_balanced(got):
            return Verdict(0.0, "balanced, but not the shortest opening sequence")
        return Verdict(0.0, "the sequence is not balanced")

    def worked_solution(self, task: Task) -> str:
        given, opening = task.metadata["given"], task.metadata["opening"]
        n = len(given)
        lines = [
            "Read the symbols from right to left, keeping a stack of the closing brackets that are "
            "still waiting for their opening partner.",
            "",
        ]
        stack: list[str] = []
        for pos in range(n, 0, -1):
            c = given[pos - 1]
            if c in CLOSE_TO_OPEN:
                stack.append(c)
                lines.append(f"Symbol {pos} `{c}` is a closing bracket: push it. Stack: {_show(stack)}")
            else:
                top = stack.pop()
                lines.append(f"Symbol {pos} `{c}` opens the `{top}` on top: pop it. Stack: {_show(stack)}")
        lines += [
            "",
            f"After the first symbol {len(stack)} closing bracket(s) are still unmatched; the stack, "
            f"bottom to top, is {_show(stack)}. The bottom one is the outermost, so its opener comes "
            f"first: the shortest opening sequence is {spaced(opening)}",
            "",
            f"Complete balanced sequence: {_reply(opening + given)}",
        ]
        return "\n".join(lines)

    def wrong_answers(self, task: Task) -> list[str]:
        given, opening = task.metadata["given"], task.metadata["opening"]
        right = opening + given
        other_opener = next(o for o, c in PAIRS if o != opening[0])
        candidates = [
            opening[1:] + given,                       # one opener missing
            opening[0] + opening + given,              # one extra opener
            PAIRS[0][0] + PAIRS[0][1] + right,          # balanced but not minimal
            other_opener + opening[1:] + given,        # wrong kind for the first opener
            opening,                                   # only the added part
            opening[::-1] + given,                     # openers in the wrong order
            opening + given[:-1],                      # last given symbol dropped
            given,                                     # nothing added
        ]
        out: list[str] = []
        for seq in candidates:
            reply = _reply(seq)
            if seq and seq != right and reply not in out:
                out.append(reply)
        out.append(f"{_reply(right)} or maybe {_reply(opening[::-1] + given + PAIRS[1][0] + PAIRS[1][1])}")
        return out


def _show(stack: list[str]) -> str:
    return spaced(stack) if stack else "empty"


def _reply(seq: str) -> str:
    return f"`{spaced(seq)}`"
