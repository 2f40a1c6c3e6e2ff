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


def fenced_blocks(text: str, max_blocks: int = 64) -> list[tuple[str, str]]:
    """Markdown fenced blocks as (info_string, body), in order; at most max_blocks.

    A block opens with ``` (optionally followed by a language tag on the same line) and closes
    at the next ```; the body excludes the newline after the opening line.
    """
    blocks: list[tuple[str, str]] = []
    pos = 0
    n = len(text)
    while len(blocks) < max_blocks:
        open_at = text.find("```", pos)
        if open_at < 0:
            break
        line_end = text.find("\n", open_at + 3)
        close_search_from = open_at + 3
        info = ""
        if line_end >= 0:
            candidate_info = text[open_at + 3:line_end]
            close_inline = candidate_info.find("```")
            if close_inline >= 0:
                # ```inline``` on one line: no info string.
                body = candidate_info[:close_inline]
                blocks.append(("", body))
                pos = open_at + 3 + close_inline + 3
                continue
            info = candidate_info.strip()
            close_search_from = line_end + 1
        close_at = text.find("```", close_search_from)
        if close_at < 0:
            break
        body = text[close_search_from:close_at] if line_end >= 0 else text[open_at + 3:close_at]
        blocks.append((info, body))
        pos = close_at + 3
        if pos >= n:
            break
    return blocks


def last_inline_code(text: str, max_len: int = 10_000) -> str | None:
    """Content of the last `single-backtick` span that is not part of a ``` fence, or None."""
    end = len(text)
    while True:
        close = text.rfind("`", 0, end)
        if close < 0:
            return None
        if close >= 1 and text[close - 1] == "`":
            # Part of a ``` fence or an empty `` span: skip the whole backtick run.
            k = close
            while k > 0 and text[k - 1] == "`":
                k -= 1
            end = k
            continue
        open_ = text.rfind("`", max(0, close - max_len - 1), close)
        if open_ < 0:
            return None
        if open_ >= 1 and text[open_ - 1] == "`":
            end = open_
            continue
        return text[open_ + 1:close]


def normalize_lines(text: str) -> list[str]:
    """Lines with Windows/old-Mac endings unified and trailing whitespace removed; leading and
    trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines
