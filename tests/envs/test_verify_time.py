"""Issue 12, item 5: every verify takes < 50 ms on any reply up to 1 MB.

Adversarial floods of about 1 MB (veritas/envs/probes.py: backtick runs, fences, braces, `\\boxed{`,
digits, newlines, `<think>` tags, answer markers, the reference repeated) for every family, on a
level-1 and a level-5 task. Each flood is timed as the best of 5 runs, so a machine loaded by
other jobs does not make the test flaky while a super-linear or per-run Python loop still fails
(the floods that were slow before issue 12 took 150-300 ms even as their best run).
"""

from __future__ import annotations

import pytest

from tests.native import native_task_types
from veritas.envs import generate, verify
from veritas.envs.answers import MAX_REPLY_CHARS

from veritas.envs.probes import floods, worst_flood_time

LIMIT_SECONDS = 0.050


@pytest.mark.parametrize("level,seed", [(1, 0), (5, 1)])
@pytest.mark.parametrize("task_type", native_task_types())
def test_every_flood_verifies_in_under_50_ms(task_type, level, seed):
    task = generate(task_type, seed, level)
    seconds, name = worst_flood_time(task, repeats=5)
    assert seconds < LIMIT_SECONDS, f"{task_type} level {level}: flood {name!r} took {seconds * 1000:.1f} ms"


def test_floods_are_about_a_megabyte_and_score_zero():
    task = generate("sudoku", 0, 1)
    for name, reply in floods(task).items():
        assert MAX_REPLY_CHARS - 1000 <= len(reply) <= MAX_REPLY_CHARS, name
        if "answer" not in name and "reference" not in name:
            assert verify(task, reply).score == 0.0, name
