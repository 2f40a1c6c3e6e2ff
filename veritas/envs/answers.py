"""Answer extraction shared by every verifier. A reply is untrusted input: everything here is
linear in the reply's length (str.find / str.rfind scans, no backtracking regexes) and never raises.

Conventions (docs/environments.md documents them for users):
- A leading `<think>...</think>` block is reasoning and is removed; a reply that opens `<think>`
  and never closes it has no answer. A reply with only a closing `</think>` (chat templates that
  open the block in the prompt) keeps what follows the first `</think>`.
- `\\boxed{...}`: only the LAST box in the answer counts.
- Fenced blocks: each family says whether the first or the last block counts.
"""

from __future__ import annotations

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# No legitimate reply is this long (32k tokens is about 130k characters); longer ones score 0
# before any parsing, which bounds the work per reply.
MAX_REPLY_CHARS = 1_000_000


def strip_reasoning(reply: str) -> tuple[str | None, str]:
    """Return (answer_text, "") or (None, why) when the reply has no answer part."""
    text = reply.lstrip()
    if text.startswith(THINK_OPEN):
        end = text.find(THINK_CLOSE, len(THINK_OPEN))
        if end < 0:
            return None, "unclosed <think> block"
        return text[end + len(THINK_CLOSE):], ""
    end = text.find(THINK_CLOSE)
    if end >= 0:
        return text[end + len(THINK_CLOSE):], ""
    return text, ""


def last_boxed(text: str, max_len: int = 10_000) -> str | None:
    """Content of the last `\\boxed{...}` (balanced braces), or None. Contents longer than
    max_len characters are treated as absent: no answer needs that much room."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i = start + len("\\boxed{")
    depth = 1
    limit = min(len(text), i + max_len + 1)
    j = i
    while j < limit:
        c = text[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
        j += 1
    return None


def _fence_spans(text: str):
    """Yield (info_start, info_end, body_start, body_end) for each fenced block, in order.

    A block opens with ``` (optionally followed by an info string such as a language tag on the
    same line) and closes at the next ```; the body excludes the newline after the opening line;
    ```x``` on one line is a block with body "x" and no info string. Linear in len(text): the
    position of the next newline is cached, so many fences on one long line do not each rescan it.
    """
    pos = 0
    newline = -2  # the first newline at or after the last fence looked at; -1 once none is left
    while True:
        open_at = text.find("```", pos)
        if open_at < 0:
            return
        start = open_at + 3
        if newline != -1 and newline < start:
            newline = text.find("\n", start)
        body_start = info_end = start
        if newline >= 0:
            inline_close = text.find("```", start, newline)
            if inline_close >= 0:
                yield start, start, start, inline_close
                pos = inline_close + 3
                continue
            info_end, body_start = newline, newline + 1
        close_at = text.find("```", body_start)
        if close_at < 0:
            return
        yield start, info_end, body_start, close_at
        pos = close_at + 3


def fenced_blocks(text: str, max_blocks: int = 64) -> list[tuple[str, str]]:
    """Markdown fenced blocks as (info_string, body), in order; at most max_blocks."""
    blocks: list[tuple[str, str]] = []
    for info_start, info_end, body_start, body_end in _fence_spans(text):
        if len(blocks) >= max_blocks:
            break
        blocks.append((text[info_start:info_end].strip(), text[body_start:body_end]))
    return blocks


# A reply needs a handful of fences and code spans; one with more than this many fences, or with
# more than this many backtick runs after its last code span, is a flood (its last block cannot be
# told cheaply) and has no answer. The caps bound the work per reply (docs/environments.md).
MAX_FENCES = 256
MAX_SKIPPED_RUNS = 256
MAX_BACKTICK_RUN = 32


def last_fenced_span(text: str, max_fences: int = MAX_FENCES) -> tuple[int, int] | None:
    """(body_start, body_end) of the last fenced block (fences paired from the start as
    fenced_blocks pairs them), or None when there is none or the reply holds more than
    max_fences / 2 blocks. Pairing needs a scan from the start; the cap keeps that scan short."""
    last = None
    for count, span in enumerate(_fence_spans(text), 1):
        if 2 * count > max_fences:
            return None
        last = span
    return None if last is None else (last[2], last[3])


def last_fenced_block(text: str, max_fences: int = MAX_FENCES) -> str | None:
    """Body of the last fenced block (fences paired from the start as fenced_blocks pairs them),
    or None when there is none or there are more than max_fences fences."""
    span = last_fenced_span(text, max_fences)
    return None if span is None else text[span[0]:span[1]]


def last_inline_code_span(text: str, max_len: int = 10_000, max_skipped_runs: int = MAX_SKIPPED_RUNS) -> tuple[int, int] | None:
    """(start, end) of the content of the last `single-backtick` span that is not part of a ```
    fence, or None. Scans from the end; gives up (None) after max_skipped_runs runs of two or
    more backticks, or at a run longer than MAX_BACKTICK_RUN, so a flood of backticks costs a
    bounded amount of work."""
    end = len(text)
    skipped = 0
    while True:
        close = text.rfind("`", 0, end)
        if close < 0:
            return None
        if close >= 1 and text[close - 1] == "`":
            # Part of a ``` fence or an empty `` span: skip the whole backtick run.
            skipped += 1
            if skipped > max_skipped_runs:
                return None
            k = close
            while k > 0 and text[k - 1] == "`":
                k -= 1
                if close - k > MAX_BACKTICK_RUN:
                    return None  # a flood of backticks, not a fence
            end = k
            continue
        open_ = text.rfind("`", max(0, close - max_len - 1), close)
        if open_ < 0:
            return None
        if open_ >= 1 and text[open_ - 1] == "`":
            skipped += 1
            if skipped > max_skipped_runs:
                return None
            end = open_
            continue
        return open_ + 1, close


def last_inline_code(text: str, max_len: int = 10_000) -> str | None:
    """Content of the last `single-backtick` span that is not part of a ``` fence, or None."""
    span = last_inline_code_span(text, max_len)
    return None if span is None else text[span[0]:span[1]]


def last_code(text: str) -> str | None:
    """The answer of a reply that puts it in code: the content of whichever comes last, the last
    single-backtick span or the last fenced block (an earlier inline span never hides a final
    fenced answer, nor an earlier block a final span). None when there is neither."""
    inline = last_inline_code_span(text)
    block = last_fenced_span(text)
    if inline is None and block is None:
        return None
    if block is None or (inline is not None and inline[1] > block[1]):
        return text[inline[0]:inline[1]]
    return text[block[0]:block[1]]


def normalize_lines(text: str) -> list[str]:
    """Lines with Windows/old-Mac endings unified and trailing whitespace removed; leading and
    trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines
