"""Family-specific tests for dyck_language, dyck_language2 and dyck_language_reasoning_errors.

The checks re-derive every answer with implementations that share no code with the generators:
balance by repeatedly deleting adjacent matched pairs, and a regex parser that re-reads the
reasoning trace from the prompt text.
"""

from __future__ import annotations

import re

import pytest

from veritas.envs import DIFFICULTY_LEVELS, from_task_id, generate, verify, wrong_answers
from veritas.envs.tasks import dyck_language, dyck_language2, dyck_language_reasoning_errors

PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">", "⟨": "⟩", "⟦": "⟧", "⦃": "⦄", "⦅": "⦆"}
CLOSERS = {c: o for o, c in PAIRS.items()}
ADJACENT = [o + c for o, c in PAIRS.items()]
SEEDS = range(120)


def reduce_pairs(seq: str) -> str:
    """Delete adjacent matched pairs until none is left (quadratic, fine for tests)."""
    while True:
        shorter = seq
        for pair in ADJACENT:
            shorter = shorter.replace(pair, "")
        if shorter == seq:
            return seq
        seq = shorter


def depth_profile(seq: str) -> int:
    depth = deepest = 0
    for c in seq:
        depth += 1 if c in PAIRS else -1
        deepest = max(deepest, depth)
    return deepest


def shown_sequence(prompt: str) -> str:
    """The sequence line of a prompt (`Label: a b c`), symbols joined."""
    for line in prompt.splitlines():
        label, sep, rest = line.partition(": ")
        if sep and label in ("Sequence", "Input", "Brackets", "Given"):
            return rest.replace(" ", "")
    raise AssertionError("no sequence line in prompt")


def score(task, reply: str) -> float:
    return verify(task, reply).score


# ---------------------------------------------------------------- dyck_language


@pytest.mark.parametrize("level", DIFFICULTY_LEVELS)
def test_dyck_language_closing_is_minimal_and_balances(level):
    lo, hi, kinds, max_depth, open_lo, open_hi = dyck_language.LEVELS[level]
    for seed in SEEDS:
        task = generate("dyck_language", seed, level)
        prefix, closing = task.metadata["prefix"], task.metadata["closing"]
        assert shown_sequence(task.prompt) == prefix
        assert lo <= len(prefix) <= hi + 1
        assert depth_profile(prefix) <= max_depth
        assert len(set(prefix) & set(PAIRS)) <= kinds
        assert set(prefix) <= set("()[]{}<>")
        # The prefix reduces to its unmatched openers only; each needs one closer, so the number
        # of unmatched openers is a lower bound that the closing meets.
        rest = reduce_pairs(prefix)
        assert rest and all(c in PAIRS for c in rest)
        assert open_lo <= len(rest) <= open_hi
        assert len(closing) == len(rest)
        assert reduce_pairs(prefix + closing) == ""
        assert task.answer == "Answer: " + " ".join(prefix + closing)


def test_dyck_language_every_single_symbol_change_scores_zero():
    symbols = "()[]{}<>"
    for seed in range(40):
        task = generate("dyck_language", seed)
        full = task.metadata["prefix"] + task.metadata["closing"]
        for i in range(len(full)):
            for s in symbols:
                if s != full[i]:
                    changed = full[:i] + s + full[i + 1:]
                    assert score(task, "Answer: " + " ".join(changed)) == 0.0, changed
            assert score(task, "Answer: " + full[:i] + full[i + 1:]) == 0.0
        # Balanced but longer: still 0, the closing must be minimal.
        for pair in ("()", "[]", "{}", "<>"):
            assert reduce_pairs(full + pair) == ""
            assert score(task, "Answer: " + full + pair) == 0.0
            assert score(task, "Answer: " + pair + full) == 0.0
        assert score(task, "Answer: " + " ".join(task.metadata["closing"])) == 0.0


def test_dyck_language_format_tolerance():
    task = generate("dyck_language", 7, 3)
    full = task.metadata["prefix"] + task.metadata["closing"]
    spaced = " ".join(full)
    accepted = [
        f"Answer: {full}",
        f"Answer:{spaced}",
        f"Answer:   {'  '.join(full)}   ",
        f"**Answer:** {spaced}",
        f"**Answer: {spaced}**",
        f"Answer: `{spaced}`",
        f"answer: {spaced}.",
        f"ANSWER: {spaced}",
        f"Answer:\n\n{spaced}\n",
        f"Some thinking... Answer: ( ]\nActually, let me redo it.\nAnswer: {spaced}\nDone.",
        f"Answer: {spaced}\r\n",
    ]
    for reply in accepted:
        assert score(task, reply) == 1.0, reply
    rejected = [
        spaced,                                          # no label
        f"The full sequence is {spaced}",
        f"Answer: {spaced}\nAnswer: {spaced[:-1]}",      # the last label counts
        f"Answer: {spaced} or {spaced} )",               # a hedge
        f"Answer: {', '.join(full)}",                    # commas are not symbols
        f"Answer: \\boxed{{{spaced}}}",
        "Answer:",
        f"Answer: {spaced} x",
        f"Answer: {spaced}..",                           # one final full stop is allowed, not two
    ]
    for reply in rejected:
        assert score(task, reply) == 0.0, reply
    assert verify(task, f"Answer: {spaced} x").format_ok is False


# ---------------------------------------------------------------- dyck_language2


@pytest.mark.parametrize("level", DIFFICULTY_LEVELS)
def test_dyck_language2_opening_is_minimal_and_balances(level):
    lo, hi, kinds, pool, max_depth, open_lo, open_hi = dyck_language2.LEVELS[level]
    allowed = set("".join(o + c for o, c in list(PAIRS.items())[:pool]))
    for seed in SEEDS:
        task = generate("dyck_language2", seed, level)
        given, opening = task.metadata["given"], task.metadata["opening"]
        assert shown_sequence(task.prompt) == given
        assert lo <= len(given) <= hi + 1
        assert set(given) <= allowed
        assert len(set(given) & set(CLOSERS)) <= kinds
        # The given sequence reduces to unmatched closers only; each needs one opener in front.
        rest = reduce_pairs(given)
        assert rest and all(c in CLOSERS for c in rest)
        assert open_lo <= len(rest) <= open_hi
        assert all(c in PAIRS for c in opening) and len(opening) == len(rest)
        assert reduce_pairs(opening + given) == ""
        assert task.answer == "`" + " ".join(opening + given) + "`"


def test_dyck_language2_uses_the_unicode_pairs():
    seen = set()
    for seed in range(60):
        seen |= set(generate("dyck_language2", seed, 5).metadata["given"])
    assert {"⟨", "⟩", "⟦", "⟧", "⦃", "⦄", "⦅", "⦆"} <= seen


def test_dyck_language2_second_type_index_is_the_upper_half():
    task = from_task_id(5 * 100_000_000 + 17)
    assert task.task_type == "dyck_language2" and task.seed == 100_000_017
    assert task == generate("dyck_language2", 100_000_017)
    assert from_task_id(4 * 100_000_000 + 17).seed == 17
    assert score(task, task.answer) == 1.0


def test_dyck_language2_near_misses_and_format():
    for seed in range(40):
        task = generate("dyck_language2", seed)
        given, opening = task.metadata["given"], task.metadata["opening"]
        full = opening + given
        for i in range(len(opening)):
            for s in PAIRS:
                if s != opening[i]:
                    assert score(task, "`" + opening[:i] + s + opening[i + 1:] + given + "`") == 0.0
        assert score(task, f"`{opening}`") == 0.0               # the added part alone
        assert score(task, f"`{given}`") == 0.0
        assert score(task, f"`(){full}`") == 0.0                # balanced, not minimal
        assert score(task, f"`{full}`") == 1.0
    task = generate("dyck_language2", 3, 4)
    spaced = " ".join(task.metadata["opening"] + task.metadata["given"])
    for reply in (f"The answer is `{spaced}`.", f"`{spaced.replace(' ', '')}`", f"```\n{spaced}\n```",
                  f"Working: `(` then `[`... so: `{spaced}`", f"**`{spaced}`**", f"`**{spaced}**`"):
        assert score(task, reply) == 1.0, reply
    for reply in (spaced, f"`{spaced}` or maybe `{spaced} ( )`", f"`{spaced}` and `x`", f"`{spaced}, ( )`"):
        assert score(task, reply) == 0.0, reply


# ---------------------------------------------------------------- reasoning errors

STEP = re.compile(r"^Step (\d+): (.*)$")
PUSH = re.compile(r"^read `(.)`, an opening bracket, so push it\. Stack: (.*)$")
POP = re.compile(r"^read `(.)`, which closes the `(.)` on top, so pop it\. Stack: (.*)$")
CLOSE = re.compile(r"^end of input; closing the open brackets from the top of the stack gives: ?(.*)$")
FINAL = re.compile(r"^so the completed sequence is: ?(.*)$")


def independent_wrong_steps(prompt: str) -> tuple[list[int], int]:
    """Re-read the trace from the prompt text and judge each step against the true state."""
    prefix = shown_sequence(prompt)
    steps = [STEP.match(line) for line in prompt.splitlines() if line.startswith("Step ")]
    assert all(steps) and [int(m.group(1)) for m in steps] == list(range(1, len(steps) + 1))
    assert len(steps) == len(prefix) + 2
    wrong = []
    stack: list[str] = []
    for k, m in enumerate(steps[: len(prefix)], 1):
        c = prefix[k - 1]
        body = m.group(2)
        top_before = stack[-1] if stack else None
        stack = stack + [c] if c in PAIRS else stack[:-1]
        true_stack = " ".join(stack) if stack else "empty"
        push, pop = PUSH.match(body), POP.match(body)
        if c in PAIRS:
            ok = bool(push) and push.group(1) == c and push.group(2) == true_stack
        else:
            ok = bool(pop) and pop.group(1) == c and pop.group(2) == top_before and pop.group(3) == true_stack
        if not ok:
            wrong.append(k)
    closing = "".join(PAIRS[o] for o in reversed(stack))
    assert reduce_pairs(prefix + closing) == ""
    close = CLOSE.match(steps[len(prefix)].group(2))
    assert close, steps[len(prefix)].group(2)
    if close.group(1).replace(" ", "") != closing:
        wrong.append(len(prefix) + 1)
    final = FINAL.match(steps[len(prefix) + 1].group(2))
    assert final
    if final.group(1).replace(" ", "") != prefix + closing:
        wrong.append(len(prefix) + 2)
    return wrong, len(steps)


@pytest.mark.parametrize("level", DIFFICULTY_LEVELS)
def test_injected_errors_are_wrong_and_the_rest_right(level):
    lo, hi, kinds, max_depth, open_lo, open_hi, wrong_counts = dyck_language_reasoning_errors.LEVELS[level]
    wrong_lo, wrong_hi = min(wrong_counts), max(wrong_counts)
    for seed in SEEDS:
        task = generate("dyck_language_reasoning_errors", seed, level)
        wrong, total = independent_wrong_steps(task.prompt)
        assert wrong == task.metadata["wrong_steps"], (seed, task.metadata["errors"])
        assert wrong_lo <= len(wrong) <= wrong_hi and len(wrong) < total
        assert lo <= len(task.metadata["prefix"]) <= hi + 1
        assert task.answer == "Answer: " + ", ".join(map(str, wrong))


def test_every_kind_of_corruption_occurs():
    kinds = set()
    for seed in range(400):
        task = generate("dyck_language_reasoning_errors", seed)
        kinds |= {e["kind"] for e in task.metadata["errors"]}
    assert kinds == {"stack_extra", "stack_dropped", "stack_kind", "stack_swapped", "wrong_top", "action",
                     "misread", "closing_dropped", "closing_kind", "closing_reversed", "final_dropped",
                     "final_kind"}


def test_reasoning_errors_answer_format():
    task = next(t for t in (generate("dyck_language_reasoning_errors", s, 3) for s in range(50))
                if len(t.metadata["wrong_steps"]) >= 2)
    wrong = task.metadata["wrong_steps"]
    total = len(task.metadata["steps"])
    a, b = wrong[0], wrong[1]
    rest = ", ".join(map(str, wrong[2:]))
    tail = (", " + rest) if rest else ""
    accepted = [
        f"Answer: {', '.join(map(str, wrong))}",
        f"Answer: {','.join(map(str, wrong))}",
        f"Answer:{a} ,{b}{tail}",
        f"**Answer:** {a}, {b}{tail}.",
        f"Answer: `{a}, {b}{tail}`",
        f"answer:\n{a}, {b}{tail}",
        f"Answer: 1\nOn second thought:\nAnswer: {a}, {b}{tail}",
    ]
    for reply in accepted:
        assert score(task, reply) == 1.0, reply
    rejected = [
        f"Answer: {b}, {a}{tail}",                           # not increasing
        f"Answer: {a}, {a}, {b}{tail}",                      # duplicate
        f"Answer: 0{a}, {b}{tail}",                          # leading zero
        f"Answer: +{a}, {b}{tail}",
        f"Answer: {a} and {b}{tail}",
        f"Answer: [{a}, {b}{tail}]",
        f"Answer: {a} {b}{tail}",
        f"Answer: {a}, {b}{tail},",
        f"Answer: {', '.join(map(str, range(1, total + 1)))}",    # stuffing every step
        f"Answer: {', '.join(map(str, wrong))} or {', '.join(map(str, wrong[1:]))}",
        f"Answer: {', '.join(map(str, wrong))}\nAnswer: {a}",
        f"Answer: {'١'}, {b}{tail}",                          # a non-ASCII digit
        ", ".join(map(str, wrong)),                            # no label
    ]
    for reply in rejected:
        assert score(task, reply) == 0.0, reply


def test_stuffing_every_step_never_scores():
    for seed in range(200):
        task = generate("dyck_language_reasoning_errors", seed)
        total = len(task.metadata["steps"])
        assert score(task, "Answer: " + ", ".join(map(str, range(1, total + 1)))) == 0.0
        assert "Answer: " + ", ".join(map(str, range(1, total + 1))) in wrong_answers(task)
