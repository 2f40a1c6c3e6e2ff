"""Deliberately broken FAKE task families, registered only when a test imports this module (the
audit test passes it to `veritas audit --import`). Each breaks exactly one goal, so the audit
must name exactly that cell's failure."""

from __future__ import annotations

import random

from veritas.envs import Built, Task, TaskFamily, Verdict, register
from veritas.envs.answers import last_boxed


class _FakeNumber(TaskFamily):
    """Name a hidden number 0..9999 that the prompt states plainly; the answer is \\boxed{n}."""

    env = "audit-fake"
    num_seeds = 100_000_000

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        n = rng.randrange(10_000)
        return Built(f"Write the number {n} as \\boxed{{{n}}}.", f"\\boxed{{{n}}}", {"n": n})

    def check(self, task: Task, text: str) -> Verdict:
        got = last_boxed(text)
        if got is None:
            return Verdict(0.0, "no box", False)
        return Verdict(1.0 if got.strip() == str(task.metadata["n"]) else 0.0, "compared")

    def wrong_answers(self, task: Task) -> list[str]:
        return [f"\\boxed{{{task.metadata['n'] + 1}}}"]


@register
class FakeAcceptsConstant(_FakeNumber):
    """Broken: also accepts the constant reply "1", so a policy earns everything without reading."""

    name = "fake_accepts_constant"
    id_offset = 0

    def check(self, task: Task, text: str) -> Verdict:
        if text.strip() == "1":
            return Verdict(1.0, "the bug: a constant accepted")
        return super().check(task, text)


@register
class FakeRaises(_FakeNumber):
    """Broken: raises on any reply that has a backtick (the registry turns it into "verifier error")."""

    name = "fake_raises"
    id_offset = 100_000_000

    def check(self, task: Task, text: str) -> Verdict:
        if "`" in text:
            raise IndexError("the bug")
        return super().check(task, text)


@register
class FakeCannotGenerate(_FakeNumber):
    """Broken: generation raises at level 3, so the audit must report that cell, not crash."""

    name = "fake_cannot_generate"
    id_offset = 200_000_000

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        if difficulty == 3:
            raise RuntimeError("the bug")
        return super().build(rng, difficulty, language, wording)
