"""Fuzzed replies (seeded mutations of the reference and random text) must never make a verifier
raise, and an adversarial set of 1 MB replies bounds the worst verify time."""

from __future__ import annotations

import random
import time

from veritas.envs import Task, verify
from veritas.envs.answers import MAX_REPLY_CHARS
from veritas.envs.rng import derive_rng

from .scoring import is_verifier_error

# Pieces that parsers care about: mutations splice these in as well as random characters.
_PIECES = ("`", "```", "```python\n", "\n```", "{", "}", "\\boxed{", "(", ")", "[", "]", "<think>", "</think>",
           "Answer:", "The answer is", "答案", "**", "|", "\n", " ", "=", "None", "0", "9", "-", ",", "\\", "$")
_ALPHABET = "0123456789abcxyzABC +-*/=()[]{}<>`|\\,.:;\n\t_#$^~!?'\"好é🙂\x00"


def _mutate(rng: random.Random, reply: str) -> str:
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(reply))
        piece = rng.choice(_PIECES) if rng.random() < 0.5 else "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 3)))
        op = rng.randrange(4)
        if op == 0:
            reply = reply[:pos] + piece + reply[pos:]
        elif op == 1:
            reply = reply[:pos] + reply[pos + rng.randint(1, 4):]
        elif op == 2:
            reply = reply[:pos] + piece + reply[pos + 1:]
        else:  # duplicate a slice: repeated answers, doubled fences
            end = min(len(reply), pos + rng.randint(1, 40))
            reply = reply[:end] + reply[pos:end] + reply[end:]
    return reply


def _random_text(rng: random.Random) -> str:
    parts = [rng.choice(_PIECES) if rng.random() < 0.4 else rng.choice(_ALPHABET) for _ in range(rng.randint(0, 120))]
    return "".join(parts)


def fuzz(tasks: list[Task], per_task: int, seed: int = 0) -> dict:
    """per_task mutated references and random texts per task; counts verifier errors."""
    errors, checked, example = 0, 0, None
    for task in tasks:
        rng = derive_rng("audit-fuzz", seed, task.task_type, task.seed, task.difficulty)
        for i in range(per_task):
            reply = _mutate(rng, task.answer) if i % 3 else _random_text(rng)
            v = verify(task, reply)
            checked += 1
            if is_verifier_error(v):
                errors += 1
                example = example or {"seed": task.seed, "reply": reply[:200], "reason": v.reason}
    return {"fuzz_checked": checked, "verifier_errors": errors, "fuzz_example": example}


def _fill(unit: str, size: int = MAX_REPLY_CHARS) -> str:
    return (unit * (size // max(1, len(unit)) + 1))[:size]


def adversarial_replies(task: Task) -> dict[str, str]:
    """Named replies of (at most) 1 MB that stress parsers: floods of what they scan for."""
    a = task.answer
    rng = derive_rng("audit-adversarial", task.task_type, task.seed)
    mixed = "".join(rng.choice(_PIECES) for _ in range(200_000))[:MAX_REPLY_CHARS]
    return {
        "backticks": _fill("`"),
        "backtick runs": _fill("`` ``` ` "),
        "inline code spans": _fill("`a` "),
        "empty fences": _fill("```\n```\n"),
        "unclosed fences": _fill("```python\n1\n"),
        "open braces": _fill("{"),
        "braces": _fill("{", 500_000) + _fill("}", 500_000),
        "digits": _fill("9"),
        "digit lines": _fill("123456789\n"),
        "boxed": _fill("\\boxed{"),
        "boxed answers": _fill("\\boxed{1}"),
        "think tags": _fill("<think>"),
        "closing think": _fill("</think>"),
        "long thought": "<think>" + _fill("x", MAX_REPLY_CHARS - 20 - len(a)) + "</think>" + a,
        "brackets": _fill("( [ { < "),
        "answer labels": _fill("Answer: "),
        "reference repeated": _fill(a + "\n"),
        "reference then padding": (a + "\n" + _fill(" "))[:MAX_REPLY_CHARS],
        "mixed pieces": mixed,
    }


def worst_verify(task: Task, budget_ms: float) -> dict:
    """The slowest adversarial reply on this task, in CPU time of this process (a verifier runs
    in-process, and CPU time does not grow when other programs load the machine). A time over
    budget is measured twice more and the least kept, so that a cache or allocator hiccup is not
    reported as a slow verifier."""
    worst_ms, worst_name, errors = 0.0, "", 0
    for name, reply in adversarial_replies(task).items():
        best = None
        for _ in range(3):
            start = time.process_time()
            v = verify(task, reply)
            ms = (time.process_time() - start) * 1000
            errors += is_verifier_error(v)
            best = ms if best is None else min(best, ms)
            if best < budget_ms:
                break
        if best > worst_ms:
            worst_ms, worst_name = best, name
    return {"worst_verify_ms": worst_ms, "worst_verify_reply": worst_name, "verifier_errors": errors}
