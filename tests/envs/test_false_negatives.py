"""Issue 12, item 3: right answers written the way strong chat models write them score 1, and
the same decoration around a second, different answer scores 0.

Each family's `styled_answers(task)` is its false-negative corpus (markdown emphasis, headers,
code spans and fences, LaTeX spacing and font commands, a trailing full stop, Chinese phrasing
where the family has Chinese prompts). Every family x level x a few seeds x language is checked.
"""

from __future__ import annotations

import pytest

from tests.native import native_task_types
from veritas.envs import DIFFICULTY_LEVELS, generate, get_family, verify, wrong_answers

SEEDS = range(4)
# trace reads the FIRST fenced block; every other family reads the last answer in the reply.
FIRST_ANSWER_COUNTS = {"trace"}


def _tasks(task_type):
    fam = get_family(task_type)
    for level in DIFFICULTY_LEVELS:
        for seed in SEEDS:
            for language in fam.languages:
                yield generate(task_type, seed, level, language)


@pytest.mark.parametrize("task_type", native_task_types())
def test_styled_right_answers_score_one(task_type):
    fam = get_family(task_type)
    checked = 0
    for task in _tasks(task_type):
        styles = fam.styled_answers(task)
        assert len(styles) >= 5, f"{task_type}: a corpus of several styles per task"
        assert len(set(styles)) == len(styles)
        for reply in styles:
            v = verify(task, reply)
            assert v.score == 1.0, (task.seed, task.difficulty, task.language, reply[:300], v.reason)
            # the same reply after a reasoning block
            assert verify(task, "<think>\nworking...\n</think>\n\n" + reply).score == 1.0
            checked += 1
    assert checked >= 5 * len(DIFFICULTY_LEVELS) * len(SEEDS)


@pytest.mark.parametrize("task_type", native_task_types())
def test_styled_answer_with_a_different_answer_scores_zero(task_type):
    """A styled right answer followed (or, for trace, preceded) by a different answer: the
    answer that counts is the wrong one. Hedging never pays."""
    fam = get_family(task_type)
    for task in _tasks(task_type):
        # wrong answers that are answers (a reply the verifier can read), not format errors such
        # as a bare `None` outside a block, which leave the styled answer the only answer
        wrong = [w for w in wrong_answers(task) if verify(task, w).format_ok]
        assert wrong
        for reply in fam.styled_answers(task):
            for other in wrong[:3]:
                pair = other + "\n\n" + reply if task_type in FIRST_ANSWER_COUNTS else reply + "\n\n" + other
                v = verify(task, pair)
                assert v.score == 0.0, (task.seed, task.difficulty, pair[:400], v.reason)


@pytest.mark.parametrize("task_type", native_task_types())
def test_every_family_states_its_trivial_replies(task_type):
    fam = get_family(task_type)
    for level in DIFFICULTY_LEVELS:
        replies = fam.trivial_replies(level)
        assert replies and all(isinstance(r, str) and r.strip() for r in replies)


# The exact replies the issue found scored 0 although right.
def _issue_cases():
    crypt = generate("cryptarithm", 3, 1)
    eq = crypt.answer[len("The answer is "):]
    yield crypt, f"**The answer is {eq}**"
    yield crypt, f"`The answer is {eq}`"
    yield crypt, f"The answer is `{eq}`"
    yield crypt, f"**答案是 {eq}**"
    yield crypt, f"答案是 `{eq}`。"
    boolean = next(t for t in (generate("boolean_expressions", s, 2) for s in range(50))
                   if len(t.metadata["true_letters"]) == 2)
    a, b = boolean.metadata["true_letters"]
    yield boolean, f"\\boxed{{\\text{{{a}}}, \\text{{{b}}}}}"
    yield boolean, f"\\boxed{{{a},\\ {b}}}"
    dyck = generate("dyck_language", 5, 3)
    seq = " ".join(dyck.metadata["prefix"] + dyck.metadata["closing"])
    yield dyck, f"Answer:\n```\n{seq}\n```"
    dyck2 = generate("dyck_language2", 5, 3)
    seq2 = " ".join(dyck2.metadata["opening"] + dyck2.metadata["given"])
    yield dyck2, f"Symbol `{dyck2.metadata['given'][-1]}` is read first.\n\n```\n{seq2}\n```"
    sudoku = generate("sudoku", 2, 1)
    rows = [sudoku.metadata["solution"][r * 9:(r + 1) * 9] for r in range(9)]
    yield sudoku, "```\n" + "\n".join(f"{r[:3]} | {r[3:6]} | {r[6:]}" for r in rows) + "\n```"
    yield sudoku, "```\n" + "\n".join(rows[:3] + [""] + rows[3:6] + [""] + rows[6:]) + "\n```"
    g24 = next(t for t in (generate("game_of_24", s, 1) for s in range(50)) if t.metadata["solvable"])
    yield g24, f"```python\n{g24.metadata['solution']}  # = 24\n```"
    yield g24, f"```\n{g24.metadata['solution']}\n```"


@pytest.mark.parametrize("case", range(13))
def test_the_issue_cases_score_one(case):
    cases = list(_issue_cases())
    assert len(cases) == 13
    task, reply = cases[case]
    assert verify(task, reply).score == 1.0, reply
