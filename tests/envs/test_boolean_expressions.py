"""boolean_expressions: every option is re-evaluated by CPython itself (the options are Python
expressions over facts that can be computed), and the answer-format rules the module documents
are pinned down reply by reply."""

from __future__ import annotations

import re

import pytest

from veritas.envs import generate, verify, worked_solution, wrong_answers
from veritas.envs.tasks.boolean_expressions import LETTERS, LEVELS

SEEDS = range(120)


def independent_is_prime(n: int) -> bool:
    # Deliberately not the module's table: plain trial division.
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


# The option texts are the generator's output (never model text); CPython is the independent
# evaluator, with only the helpers the prompt defines.
NAMESPACE = {"__builtins__": {}, "len": len, "abs": abs, "max": max, "min": min, "is_prime": independent_is_prime}


def python_value(text: str) -> bool:
    value = eval(text, dict(NAMESPACE))  # noqa: S307 - generator output, see above
    assert isinstance(value, bool), (text, value)
    return value


def option_lines(prompt: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^([A-J])\. (.+)$", prompt, flags=re.M)}


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_option_is_what_python_says_and_the_answer_is_the_true_ones(level):
    n_options = LEVELS[level][0]
    counts_seen = set()
    for seed in SEEDS:
        task = generate("boolean_expressions", seed, level)
        shown = option_lines(task.prompt)
        assert list(shown) == list(LETTERS[:n_options])
        assert list(shown.values()) == task.metadata["options"]
        truth = [letter for letter, text in shown.items() if python_value(text)]
        assert truth == task.metadata["true_letters"], (seed, shown)
        assert 1 <= len(truth) <= n_options - 1, "at least one option true and at least one false"
        assert task.answer == "\\boxed{" + ",".join(truth) + "}"
        counts_seen.add(len(truth))
    assert counts_seen == set(range(1, n_options)), "every number of true options should occur"


def test_facts_are_computed_not_looked_up_and_helpers_are_defined_in_the_prompt():
    allowed = re.compile(r'^[\w\s\d+\-*/%<>=!().,"]+$')
    for level in LEVELS:
        for seed in range(60):
            for language in ("en", "zh"):
                task = generate("boolean_expressions", seed, level, language)
                for text in task.metadata["options"]:
                    assert allowed.match(text), text
                    names = set(re.findall(r"\b([a-z_]+)\(", text))
                    assert names <= {"is_prime", "len", "abs", "max", "min", "count"}, names
                    notes = task.prompt.split("\n\n")[-2]
                    for name in names:
                        assert f"`{name}(" in notes or f".{name}(" in notes, (name, notes)
                    if "//" in text or "%" in text:
                        assert "`a // b`" in notes and "`a % b`" in notes
                    if '" in "' in text:
                        assert '`"ab" in "word"`' in notes


def mixes_and_or_without_brackets(text: str) -> bool:
    """True when `and` and `or` meet at one bracket depth, so that precedence decides."""
    depth = 0
    ops_at_depth: dict[int, set] = {}
    for token in re.findall(r"\(|\)|\band\b|\bor\b", text):
        if token == "(":
            depth += 1
        elif token == ")":
            ops_at_depth.pop(depth, None)
            depth -= 1
        else:
            ops_at_depth.setdefault(depth, set()).add(token)
            if len(ops_at_depth[depth]) == 2:
                return True
    return False


def test_low_levels_bracket_every_nested_and_or():
    for level in (1, 2):
        for seed in SEEDS:
            task = generate("boolean_expressions", seed, level)
            for text in task.metadata["options"]:
                assert not mixes_and_or_without_brackets(text), text


def test_higher_levels_rely_on_the_stated_precedence():
    options = [text for seed in range(100) for text in generate("boolean_expressions", seed, 5).metadata["options"]]
    mixed = sum(mixes_and_or_without_brackets(text) for text in options)
    assert mixed >= len(options) // 5, f"only {mixed} of {len(options)} options need and-before-or"
    assert mixes_and_or_without_brackets("True or False and False")
    assert not mixes_and_or_without_brackets("True or (False and False)")


def test_worked_solution_states_each_option_value():
    for seed in range(40):
        for language in ("en", "zh"):
            task = generate("boolean_expressions", seed, None, language)
            solution = worked_solution(task)
            for i, text in enumerate(task.metadata["options"]):
                letter = LETTERS[i]
                value = "True" if letter in task.metadata["true_letters"] else "False"
                if language == "en":
                    assert f"So option {letter} is {value}." in solution
                else:
                    assert f"所以选项 {letter} 的值为 {value}。" in solution
            assert solution.rstrip().endswith(task.answer)


def _task_with(n_true_min: int):
    for seed in range(500):
        task = generate("boolean_expressions", seed, 4)
        if len(task.metadata["true_letters"]) >= n_true_min:
            return task
    raise AssertionError("no task with enough true options")


def test_accepted_answer_forms():
    task = _task_with(2)
    a, b = task.metadata["true_letters"][:2]
    rest = task.metadata["true_letters"][2:]
    tail = "".join("," + x for x in rest)
    for reply in (
        f"\\boxed{{{a},{b}{tail}}}",
        f"\\boxed{{{b},{a}{tail}}}",                     # any order
        f"\\boxed{{ {a} , {b}{tail} }}",                 # spaces
        f"\\boxed{{{a}，{b}{tail.replace(',', '，')}}}",  # full-width commas
        f"\\boxed{{{a}、{b}{tail.replace(',', '、')}}}",
        f"\\boxed{{{a} {b}{tail.replace(',', ' ')}}}",   # whitespace alone separates
        f"\\boxed{{\\text{{{a}, {b}{tail}}}}}",          # one \text wrapper
        f"The answer is \\boxed{{{a}}} ... no, wait: \\boxed{{{a},{b}{tail}}}",  # the last box counts
    ):
        assert verify(task, reply).score == 1.0, reply


def test_rejected_answer_forms_score_zero():
    task = _task_with(2)
    truth = task.metadata["true_letters"]
    n = len(task.metadata["options"])
    joined = ",".join(truth)
    false_letter = next(LETTERS[i] for i in range(n) if LETTERS[i] not in truth)
    for reply in (
        joined,                                           # no box
        f"\\boxed{{{''.join(truth)}}}",                   # no separator (SynLogic accepted this)
        f"\\boxed{{{joined.lower()}}}",                   # lower case
        f"\\boxed{{{truth[0]},{joined}}}",                # duplicate (SynLogic accepted this)
        f"\\boxed{{{joined},}}",                          # trailing separator
        f"\\boxed{{{joined},,}}",
        f"\\boxed{{{joined.replace(',', ' and ')}}}",
        f"\\boxed{{{','.join(LETTERS[:n])}}}",            # stuffing every letter
        f"\\boxed{{{','.join(LETTERS[:10])}}}",           # letters past the last option
        f"\\boxed{{{joined},{false_letter}}}",
        f"\\boxed{{{joined}}} or \\boxed{{{false_letter}}}",  # hedge: the last box counts
        f"\\boxed{{{joined} or {false_letter}}}",
        "\\boxed{}",
        f"\\boxed{{Options {joined}}}",
        f"\\boxed{{({joined})}}",
        f"\\boxed{{{joined}.}}",
    ):
        v = verify(task, reply)
        assert v.score == 0.0, reply


def test_wrong_answers_include_the_documented_near_misses():
    task = _task_with(2)
    wrong = wrong_answers(task)
    truth = task.metadata["true_letters"]
    assert "\\boxed{" + ",".join(truth[:-1]) + "}" in wrong          # one removed
    assert "\\boxed{" + ",".join(LETTERS[: len(task.metadata["options"])]) + "}" in wrong  # all letters
    assert any(w.count("\\boxed") == 2 for w in wrong)              # a hedge
    for w in wrong:
        assert verify(task, w).score == 0.0


def test_metadata_alone_scores_a_reply():
    task = generate("boolean_expressions", 9, 3)
    record = task.to_dict()
    record["prompt"] = ""  # the verifier must not need the prompt
    assert verify(record, task.answer).score == 1.0
