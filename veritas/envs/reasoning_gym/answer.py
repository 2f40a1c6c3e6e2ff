"""The answer convention of every rg.* task: the reply ends with `Answer: <answer>`.

The prompt states it (PROMPT_SINGLE_LINE / PROMPT_MULTI_LINE); extract_answer() finds the last
`Answer:` marker and returns what the convention puts after it. Styles strong chat models use are
accepted: any case, `Final answer:`, markdown emphasis around the marker (`**Answer:**`,
`**Answer**:`), and one wrapper around the answer itself (`code`, a fenced block, `\\boxed{}`,
`$...$`, `**...**`). Everything is a linear scan of the reply; nothing is evaluated.
"""

from __future__ import annotations

from veritas.envs.answers import last_boxed

PROMPT_SINGLE_LINE = "Give your final answer on the last line of your reply, in the form `Answer: <your answer>`."
PROMPT_MULTI_LINE = (
    "End your reply with a line `Answer:` followed by your final answer on the lines below it, "
    "exactly as the question asks for it, with nothing after it."
)

_MARKER = "answer"
_EMPHASIS = "*_ "


def _marker_end(text: str) -> int:
    """Index just past the colon of the last `answer:` marker (emphasis allowed between the word
    and the colon), or -1. Each rfind continues left of the previous hit: linear overall."""
    lowered = text.lower()
    end = len(lowered)
    while True:
        at = lowered.rfind(_MARKER, 0, end)
        if at < 0:
            return -1
        j = at + len(_MARKER)
        k = j
        while k < len(lowered) and k - j < 4 and lowered[k] in _EMPHASIS:
            k += 1
        if k < len(lowered) and lowered[k] in ":：":
            return k + 1
        end = at


def _unwrap(answer: str) -> str:
    """Remove one layer of presentation around an answer."""
    s = answer.strip()
    for _ in range(3):  # e.g. **`42`** is two layers
        before = s
        if s.startswith("```") and s.endswith("```") and len(s) >= 6:
            body = s[3:-3]
            newline = body.find("\n")
            # ```lang\n...\n``` drops the info string; ```x``` on one line keeps x.
            s = body[newline + 1:] if newline >= 0 and body[:newline].strip().isidentifier() else body
            s = s.strip()
        elif s.startswith("\\boxed{") and s.endswith("}"):
            inner = last_boxed(s, max_len=len(s))
            if inner is not None:
                s = inner.strip()
        for left, right in (("**", "**"), ("__", "__"), ("`", "`"), ("$$", "$$"), ("$", "$"), ("\\(", "\\)"),
                            ("\\[", "\\]")):
            if len(s) > len(left) + len(right) and s.startswith(left) and s.endswith(right):
                s = s[len(left):-len(right)].strip()
                break
        if s.startswith("\\boxed{") and s.endswith("}"):
            inner = last_boxed(s, max_len=len(s))
            if inner is not None:
                s = inner.strip()
        if s == before:
            break
    return s


def extract_answer(text: str, multi_line: bool) -> str | None:
    """The answer the reply gives under the convention, or None when it has no `Answer:` marker.

    Single-line tasks: the rest of the marker's line, or, when that is empty (`**Answer:**` then
    a new line), the next non-empty line. Multi-line tasks: everything after the marker."""
    end = _marker_end(text)
    if end < 0:
        return None
    rest = text[end:]
    if multi_line:
        # Emphasis closing the marker line (`**Answer:**`, `__Answer:__`) goes; inside the answer
        # `_` is content (n_queens boards are rows of `_` and `Q`), so the body keeps it.
        newline = rest.find("\n")
        if not (rest if newline < 0 else rest[:newline]).strip(_EMPHASIS + "\r\t"):
            rest = "" if newline < 0 else rest[newline + 1:]
        return _unwrap(rest.strip("* \n\r\t"))
    rest = rest.lstrip(_EMPHASIS + "\t")
    if rest.startswith(("\n", "\r")):
        rest = rest.lstrip("\n\r \t")
        if rest.startswith("```"):  # a fenced block on the lines below the marker
            close = rest.find("```", 3)
            return _unwrap(rest[:close + 3]) if close >= 0 else None
    newline = rest.find("\n")
    line = (rest if newline < 0 else rest[:newline]).strip()
    if line.endswith("**") and not line.startswith("**"):  # **Answer: 42**
        line = line[:-2]
    return _unwrap(line)
