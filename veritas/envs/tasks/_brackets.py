"""Bracket logic shared by the three dyck families: the pairs, a random walk that produces a Dyck
prefix of a chosen length and open depth, the stack scan, and tolerant parsing of replies.

Every symbol is one Unicode code point, so a bracket sequence is stored as a plain `str` with one
character per symbol (JSON-safe metadata, O(1) indexing); prompts show it with spaces between
symbols. Nothing here uses global randomness: generators pass their own `random.Random`.
"""

from __future__ import annotations

import random

# Order matters: families pick kinds by index, and goldens depend on it.
PAIRS: tuple[tuple[str, str], ...] = (
    ("(", ")"),
    ("[", "]"),
    ("{", "}"),
    ("<", ">"),
    ("\u27e8", "\u27e9"),  # ⟨ ⟩ mathematical angle brackets
    ("\u27e6", "\u27e7"),  # ⟦ ⟧ white square brackets
    ("\u2983", "\u2984"),  # ⦃ ⦄ white curly brackets
    ("\u2985", "\u2986"),  # ⦅ ⦆ white parentheses
)
ASCII_KINDS = 4  # the first four pairs are plain ASCII

OPEN_TO_CLOSE: dict[str, str] = dict(PAIRS)
CLOSE_TO_OPEN: dict[str, str] = {c: o for o, c in PAIRS}
ALL_SYMBOLS: frozenset[str] = frozenset(OPEN_TO_CLOSE) | frozenset(CLOSE_TO_OPEN)
_MIRROR = str.maketrans({**OPEN_TO_CLOSE, **CLOSE_TO_OPEN})

# Labels accepted for the "Answer:" line (exact spellings: case folding could change string
# lengths for some scripts and would make the search non-trivial).
ANSWER_LABELS = ("Answer:", "answer:", "ANSWER:")


def pick_kinds(rng: random.Random, count: int, pool: int) -> list[tuple[str, str]]:
    """`count` distinct pairs drawn from the first `pool` of PAIRS, kept in PAIRS order."""
    chosen = sorted(rng.sample(range(pool), count))
    return [PAIRS[i] for i in chosen]


def random_prefix(rng: random.Random, kinds: list[tuple[str, str]], length: int, open_depth: int,
                  max_depth: int) -> str:
    """A random prefix of a Dyck word: exactly `length` symbols, never deeper than `max_depth`,
    leaving exactly `open_depth` brackets unclosed at the end.

    A random walk on the depth that only takes a step when the target is still reachable with the
    steps left, so it never has to backtrack (linear time, one rng call per symbol).
    """
    if not (1 <= open_depth <= max_depth and open_depth <= length and (length - open_depth) % 2 == 0):
        raise ValueError(f"no prefix of length {length} ends at depth {open_depth} (max depth {max_depth})")
    out: list[str] = []
    stack: list[str] = []
    for left in range(length, 0, -1):
        depth = len(stack)
        can_open = depth + 1 <= max_depth and depth + 1 - open_depth <= left - 1
        can_close = depth >= 1 and open_depth - (depth - 1) <= left - 1
        if can_open and (not can_close or rng.random() < 0.5):
            opener, closer = kinds[rng.randrange(len(kinds))]
            stack.append(closer)
            out.append(opener)
        else:
            out.append(stack.pop())
    return "".join(out)


def closing_for(prefix: str) -> str:
    """The shortest sequence that balances `prefix`: its open brackets closed from the top down.
    Raises ValueError when `prefix` is not a Dyck prefix (a closer without a matching opener)."""
    stack: list[str] = []
    for i, c in enumerate(prefix):
        if c in OPEN_TO_CLOSE:
            stack.append(OPEN_TO_CLOSE[c])
        elif not stack or stack.pop() != c:
            raise ValueError(f"symbol {i + 1} ({c!r}) closes nothing open")
    return "".join(reversed(stack))


def is_balanced(seq: str) -> bool:
    stack: list[str] = []
    for c in seq:
        if c in OPEN_TO_CLOSE:
            stack.append(OPEN_TO_CLOSE[c])
        elif not stack or stack.pop() != c:
            return False
    return not stack


def mirror(seq: str) -> str:
    """Reverse the sequence and turn every opener into its closer and back: a Dyck prefix becomes
    a Dyck suffix (and a balanced sequence stays balanced)."""
    return seq[::-1].translate(_MIRROR)


def spaced(seq: str) -> str:
    return " ".join(seq)


def parse_symbols(text: str) -> str | None:
    """The bracket symbols of `text` with all whitespace removed, or None when anything else (a
    letter, a comma, a dot...) is in it or nothing is left."""
    joined = "".join(text.split())
    if not joined or not ALL_SYMBOLS.issuperset(joined):
        return None
    return joined


def strip_decoration(text: str) -> str:
    """Drop whitespace, Markdown emphasis/code marks and a final full stop around an answer: none
    of these characters is a bracket, so nothing an answer means can be lost."""
    text = text.strip().strip("*`").strip()
    if text.endswith("."):
        text = text[:-1].rstrip().strip("*`").strip()
    return text


def after_last_label(text: str, labels: tuple[str, ...] = ANSWER_LABELS) -> str | None:
    """The first non-empty line after the last answer label in `text` (the label's own line when it
    has content there), or the body of a fenced block that directly follows the label,
    decorations stripped; None when no label occurs. Linear in len(text)."""
    best = -1
    best_len = 0
    for label in labels:
        at = text.rfind(label)
        if at > best:
            best, best_len = at, len(label)
    if best < 0:
        return None
    rest = text[best + best_len:].lstrip().lstrip("*").lstrip()  # `**Answer:**` puts ** after the colon
    if rest.startswith("```"):
        # `Answer:` followed by a fenced block: the answer is the block's body (one block only).
        newline = rest.find("\n")
        if newline < 0:
            return strip_decoration(rest)
        close = rest.find("```", newline)
        return strip_decoration(rest[newline + 1:] if close < 0 else rest[newline + 1:close])
    newline = rest.find("\n")
    line = rest if newline < 0 else rest[:newline]
    return strip_decoration(line)
