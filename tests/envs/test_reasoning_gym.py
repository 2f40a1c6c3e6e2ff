"""reasoning-gym's datasets as rg.* task types: registration without importing reasoning_gym, the
family contract on a sample of types, seeds that never collide, the answer convention, the closed
loopholes, and the audit's exclusions. (The audit itself, over every type, is
`python -m veritas.envs.reasoning_gym.audit`; its results are committed and checked here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from veritas.envs import DIFFICULTY_LEVELS, Task, generate, get_family, list_task_types, verify
from veritas.envs.reasoning_gym import EVALS_MODEL_TEXT, ReasoningGymFamily, exclusion_reason
from veritas.envs.reasoning_gym.answer import extract_answer
from veritas.envs.reasoning_gym.audit_results import AUDIT
from veritas.envs.reasoning_gym.manifest import DATASETS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RG_ALL = [t for t in list_task_types(include_excluded=True) if t.startswith("rg.")]
RG_DEFAULT = [t for t in list_task_types() if t.startswith("rg.")]
# A sample that changes only when the audit results do: every 9th type of the default list.
# (puzzle24 and countdown, scored by our own code, are too slow to generate for the full contract
# loop; they have their own tests below.)
SAMPLE = RG_DEFAULT[::9]
SEEDS = range(6)


def test_listing_does_not_import_reasoning_gym():
    code = ("import sys, veritas.envs as e; names = e.list_task_types(include_excluded=True);"
            "print(sum(n.startswith('rg.') for n in names), 'reasoning_gym' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    count, imported = out.stdout.split()
    assert int(count) == len(DATASETS) and imported == "False"


def test_every_dataset_is_registered_with_its_own_id_range():
    import reasoning_gym.factory

    assert set(DATASETS) == set(reasoning_gym.factory.DATASETS), "manifest.py is stale: run build_manifest"
    assert sorted(RG_ALL) == sorted("rg." + n for n in DATASETS)
    indices = [spec["index"] for spec in DATASETS.values()]
    assert len(set(indices)) == len(indices)
    for task_type in RG_ALL:
        fam = get_family(task_type)
        assert fam.env == "reasoning-gym" and fam.id_offset == DATASETS[task_type[3:]]["index"] * 10**8


def test_the_audit_decides_the_default_list():
    assert set(AUDIT) == set(DATASETS), "audit_results.py is stale: run the audit with --write"
    for task_type in RG_ALL:
        reason = exclusion_reason(task_type[3:])
        assert get_family(task_type).excluded == reason
        assert (task_type in RG_DEFAULT) == (reason == "")
    # The issue aimed at 80; 81 pass today (docs/reasoning-gym.md says why the others fail). A floor
    # that catches a regression of the adapter, not a target.
    assert len(RG_DEFAULT) >= 75, f"only {len(RG_DEFAULT)} rg types pass their audit"
    for name in EVALS_MODEL_TEXT:
        assert "rg." + name not in RG_DEFAULT
    with open(os.path.join(ROOT, "docs", "reasoning-gym.md"), encoding="utf-8") as fh:
        doc = fh.read()
    for task_type in RG_ALL:
        assert f"| `{task_type}` |" in doc


def test_an_excluded_type_works_when_named_with_a_warning():
    from veritas.envs.registry import _warned_excluded, warn_if_excluded

    excluded = sorted(t for t in set(RG_ALL) - set(RG_DEFAULT) - {"rg." + n for n in EVALS_MODEL_TEXT}
                      if "generation raises" not in exclusion_reason(t[3:]))[0]
    _warned_excluded.discard(excluded)
    with pytest.warns(UserWarning, match=f"{excluded} is excluded from the default list"):
        warn_if_excluded([excluded])
    task = generate(excluded, 1, 1)
    assert verify(task, task.answer).score == 1.0


@pytest.mark.parametrize("task_type", SAMPLE)
def test_contract_on_a_sample(task_type):
    family = get_family(task_type)
    assert isinstance(family, ReasoningGymFamily)
    for level in DIFFICULTY_LEVELS:
        for seed in SEEDS:
            task = generate(task_type, seed, level)
            assert task == generate(task_type, seed, level), "a task is a pure function of its coordinates"
            again = Task.from_json(task.to_json())
            assert again == task
            assert verify(again, task.answer).score == 1.0, task.answer
            assert "Answer:" in task.prompt.rsplit("\n", 1)[-1], "the prompt ends with the answer convention"
            for styled in family.styled_answers(task):
                assert verify(task, styled).score == 1.0, styled
            bare = task.metadata["entry"]["answer"]
            assert verify(task, bare).score == 0.0 or "answer" in bare.lower(), "no `Answer:` line, no reward"
            for reply in ("", "Answer:", "<think>Answer: " + bare, "Answer: " + "9" * 5000):
                verdict = verify(task, reply)
                assert verdict.score == 0.0 and not verdict.reason.startswith("verifier error")


def test_same_tasks_in_a_separate_process():
    here = [generate(t, s, s % 5 + 1).to_json() for t in SAMPLE for s in SEEDS]
    code = ("import json, sys; from veritas.envs import generate;"
            "print(json.dumps([generate(t, s, s % 5 + 1).to_json() for t in sys.argv[1].split(',') for s in range(6)]))")
    env = dict(os.environ, PYTHONHASHSEED="777")
    out = subprocess.run([sys.executable, "-c", code, ",".join(SAMPLE)], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    assert json.loads(out.stdout) == here


def test_neighbouring_seeds_never_share_an_item():
    import reasoning_gym

    # The hazard in reasoning-gym itself: dataset seed s item 1 is dataset seed s+1 item 0.
    a = reasoning_gym.create_dataset("basic_arithmetic", seed=1000, size=2)[1]
    b = reasoning_gym.create_dataset("basic_arithmetic", seed=1001, size=1)[0]
    assert a["question"] == b["question"]
    # Ours: item 0 of a dataset seed drawn from each task's own stream.
    tasks = [generate("rg.basic_arithmetic", s, 3) for s in range(200)]
    item_seeds = [t.metadata["item_seed"] for t in tasks]
    assert len(set(item_seeds)) == len(tasks)
    assert all(abs(x - y) > 1 for x in item_seeds for y in item_seeds if x != y)
    assert len({t.prompt for t in tasks}) >= 195


def test_content_key_is_the_puzzle_not_the_id():
    family = get_family("rg.basic_arithmetic")
    from veritas.envs.base import Built

    task = generate("rg.basic_arithmetic", 5, 2)
    built = Built(task.prompt, task.answer, task.metadata)
    relabelled = Built(task.prompt, task.answer, {**task.metadata, "item_seed": 1})
    assert family.content_key(built, 2) == family.content_key(relabelled, 2)
    other = generate("rg.basic_arithmetic", 6, 2)
    assert family.content_key(built, 2) != family.content_key(Built(other.prompt, other.answer, other.metadata), 2)


def test_levels_follow_the_curriculum():
    spec = DATASETS["basic_arithmetic"]
    assert spec["curriculum"] and spec["levels"]["1"] != spec["levels"]["5"]
    easy = [len(generate("rg.basic_arithmetic", s, 1).metadata["entry"]["question"]) for s in range(30)]
    hard = [len(generate("rg.basic_arithmetic", s, 5).metadata["entry"]["question"]) for s in range(30)]
    assert sum(hard) > sum(easy)
    no_curriculum = [n for n, s in DATASETS.items() if not s["curriculum"]]
    for name in no_curriculum:
        assert all(DATASETS[name]["levels"][str(lv)] == {} for lv in DIFFICULTY_LEVELS)
        assert "no curriculum" in get_family("rg." + name).description


@pytest.mark.parametrize("reply, expected", [
    ("Answer: 42", "42"), ("**Answer:** 42", "42"), ("**Answer**: 42", "42"), ("Final answer: `42`", "42"),
    ("answer: $\\boxed{42}$", "42"), ("Answer:\n42\n", "42"), ("**Answer: 42**", "42"),
    ("Answer: 1\nthen more thought\nAnswer: 42", "42"), ("no marker here", None), ("The answer is 42", None),
])
def test_single_line_answer_extraction(reply, expected):
    assert extract_answer(reply, multi_line=False) == expected


def test_multi_line_answer_extraction():
    grid = "1 2\n3 4"
    for reply in (f"Answer:\n{grid}", f"**Answer:**\n```\n{grid}\n```", f"Answer:\n```text\n{grid}\n```\n"):
        assert extract_answer(reply, multi_line=True) == grid


def _puzzle24_task(numbers: list[int]) -> Task:
    entry = {"question": f"Make 24 using {numbers}", "answer": "x", "metadata": {"numbers": numbers}}
    return Task(task_id=0, env="reasoning-gym", task_type="rg.puzzle24", seed=0, difficulty=3, prompt="p",
                answer="Answer: x", metadata={"dataset": "puzzle24", "level": 3, "item_seed": 0, "entry": entry})


def test_puzzle24_loopholes_are_closed():
    import reasoning_gym

    rg = reasoning_gym.create_dataset("puzzle24", seed=0, size=1)
    entry = {"question": "", "answer": "", "metadata": {"numbers": [8, 5, 10, 6]}}
    assert rg.score_answer("8*3*1*1", entry) == 1.0, "reasoning-gym's own scorer has the loophole"
    task = _puzzle24_task([8, 5, 10, 6])
    for wrong in ("8*3*1*1", "7*7/2*1", "4**2+8*1", "8*5-10-6-0", "(8*5-10-6)*1", "24", "8+5+10+6"):
        assert verify(task, f"Answer: {wrong}").score == 0.0, wrong
    for right in ("8*5-10-6", "Answer: 8*5 - 10 - 6", "(8 × 5) − 10 − 6 = 24"):
        assert verify(task, right if right.startswith("Answer") else f"Answer: {right}").score == 1.0, right
    real = generate("rg.puzzle24", 3, 2)
    assert verify(real, real.answer).score == 1.0


def test_countdown_answers_with_a_leading_minus_are_read_not_evaluated():
    entry = {"question": "", "answer": "x", "metadata": {"numbers": [69, 133, 11, 5], "target": -208}}
    task = Task(task_id=0, env="reasoning-gym", task_type="rg.countdown", seed=0, difficulty=3, prompt="p",
                answer="Answer: x", metadata={"dataset": "countdown", "level": 3, "item_seed": 0, "entry": entry})
    assert verify(task, "Answer: -69 - 133 - 11 + 5").score == 1.0  # sympy's style of answer
    assert verify(task, "Answer: (-69 - 133) - (11 - 5)").score == 1.0
    assert verify(task, "Answer: -(69 + 133 + 11 - 5)").score == 1.0
    for wrong in ("Answer: 5*-69 - 133 - 11", "Answer: -69 - 133 - 11 + 5 + 0", "Answer: -69 - 133 - 11 - 5",
                  "Answer: __import__('os')"):
        assert verify(task, wrong).score == 0.0, wrong
    real = generate("rg.countdown", 1, 1)
    assert verify(real, real.answer).score == 1.0


def test_propositional_logic_contradictions_cannot_pay():
    # 23% of its items have contradictory premises, from which any conclusion follows: the adapter
    # draws again instead, so no task of ours has them.
    import reasoning_gym

    from veritas.envs.reasoning_gym.reference_solvers import premises_satisfiable, propositional_logic

    rg = reasoning_gym.create_dataset("propositional_logic", seed=0, size=1)
    contradiction = {"question": "", "answer": None,
                     "metadata": {"premises": ["P", "¬P"], "variables": ["P", "Q"], "example_answer": "(P ∨ Q)"}}
    assert rg.score_answer("(Q ∧ ¬Q)", contradiction) == 1.0, "reasoning-gym's own scorer has the loophole"
    assert not premises_satisfiable(["P", "¬P"]) and not premises_satisfiable(["(P ∧ Q)", "¬Q"])
    assert premises_satisfiable(["(P ∨ Q)", "¬Q"])
    assert propositional_logic(contradiction["metadata"]) is None
    for seed in range(25):
        task = generate("rg.propositional_logic", seed, seed % 5 + 1)
        assert premises_satisfiable(task.metadata["entry"]["metadata"]["premises"])
        assert verify(Task.from_dict(json.loads(task.to_json())), task.answer).score == 1.0


def test_graph_color_reference_is_a_proper_colouring():
    # reasoning-gym gives no answer; ours is its greedy colouring, which its own checker accepts.
    from reasoning_gym.algorithmic.graph_color import verify_graph_coloring_solution

    for seed in range(25):
        task = generate("rg.graph_color", seed, seed % 5 + 1)
        puzzle = task.metadata["entry"]["metadata"]["puzzle"]
        colouring = json.loads(task.metadata["entry"]["answer"])
        assert verify_graph_coloring_solution(puzzle, colouring)[0]
        assert puzzle["edges"], "an edgeless graph would let any colouring earn"
        assert verify(Task.from_dict(json.loads(task.to_json())), task.answer).score == 1.0
        u, v = puzzle["edges"][0]
        clash = dict(colouring, **{str(v): colouring[str(u)]})
        assert verify(task, "Answer: " + json.dumps(clash)).score == 0.0


def test_a_dataset_without_a_reference_or_solver_says_so():
    with pytest.raises(RuntimeError, match="no reference answer"):
        generate("rg.boxnet", 0, 1)


def test_level_overrides_are_generated_and_documented():
    from veritas.envs.reasoning_gym.build_manifest import LEVEL_INDEX_RANGES, LEVEL_NOTES, attribute_index

    assert set(LEVEL_INDEX_RANGES) <= set(LEVEL_NOTES), "every narrowed mapping says why"
    for name in LEVEL_NOTES:
        assert DATASETS[name].get("level_note") == LEVEL_NOTES[name], f"manifest not rebuilt for {name}"
    assert [attribute_index(lv, 10) for lv in DIFFICULTY_LEVELS] == [0, 2, 5, 7, 9]
    assert [attribute_index(lv, 10, (1, 9)) for lv in DIFFICULTY_LEVELS] == [1, 3, 5, 7, 9]
    # chain_sum's level 1 starts at two digits: enough distinct tasks for disjoint splits.
    assert DATASETS["chain_sum"]["levels"]["1"]["max_digits"] == 2
    distinct = {generate("rg.chain_sum", s, 1).metadata["entry"]["question"] for s in range(50)}
    assert len(distinct) >= 45


def test_rg_types_skip_the_unused_wording_stream():
    seen = []
    family = get_family("rg.basic_arithmetic")
    real = type(family).build

    def spy(self, rng, difficulty, language, wording):
        seen.append(wording)
        return real(self, rng, difficulty, language, wording)

    type(family).build = spy
    try:
        first = generate("rg.basic_arithmetic", 3, 2)
    finally:
        type(family).build = real
    assert seen and all(w is None for w in seen)
    assert first == generate("rg.basic_arithmetic", 3, 2)


@pytest.mark.parametrize("task_type", SAMPLE[:4])
def test_verify_is_bounded_on_a_megabyte(task_type):
    task = generate(task_type, 0, 3)
    for reply in ("Answer: " + "9" * 999_000, "x" * 999_000 + "\n" + task.answer, "Answer: 1 " * 99_000):
        t0 = time.perf_counter()
        verdict = verify(task, reply)
        elapsed = time.perf_counter() - t0
        assert elapsed < 0.05, f"{elapsed * 1000:.0f} ms"
        assert not verdict.reason.startswith("verifier error")


def test_composite_is_a_mix_of_its_parts_at_the_same_level():
    from veritas.envs.reasoning_gym.build_manifest import COMPOSITE_PARTS

    sources = set()
    for seed in range(24):
        task = generate("rg.composite", seed, seed % 5 + 1)
        source = task.metadata["entry"]["metadata"]["source_dataset"]
        assert source in COMPOSITE_PARTS
        sources.add(source)
        assert verify(Task.from_dict(json.loads(task.to_json())), task.answer).score == 1.0
        assert verify(task, "Answer: 0").score == 0.0 or task.metadata["entry"]["answer"] == "0"
    assert len(sources) >= 3
    assert DATASETS["composite"]["curriculum"]


def test_generating_bf_prints_nothing_to_stdout():
    # bf's compiler prints progress dots; a task stream on stdout (veritas sample, the audit's
    # second process) must stay clean.
    code = ("import json; from veritas.envs import generate; "
            "print(json.dumps([generate('rg.bf', s, 1).task_id for s in range(3)]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert json.loads(out.stdout) == [generate("rg.bf", s, 1).task_id for s in range(3)]


def test_set_order_and_global_random_datasets_are_the_same_in_every_process():
    # isomorphic_strings and ransom_note draw with rng.choice(list(a set of letters)), and
    # word_ladder's BFS walks neighbour sets, in an order that follows PYTHONHASHSEED; the adapter
    # hands them sorted sets, so the task is a function of its id. list_functions draws from the
    # global random module: seeded from the item seed for the call, then restored.
    import random
    from veritas.envs.reasoning_gym.runtime import SortedSet

    letters = SortedSet("zyxab")
    assert list(letters) == ["a", "b", "x", "y", "z"]
    assert list(letters - {"x"}) == ["a", "b", "y", "z"] and isinstance(letters - {"x"}, SortedSet)
    code = ("import json,sys; from veritas.envs import generate; "
            "print(json.dumps([generate(t, s, s % 5 + 1).to_json() for t in ('rg.isomorphic_strings', "
            "'rg.ransom_note', 'rg.word_ladder', 'rg.list_functions') for s in range(8)]))")
    outs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONPATH=ROOT, PYTHONHASHSEED=str(h))).stdout for h in (1, 2)]
    assert outs[0] == outs[1]
    types = ("rg.isomorphic_strings", "rg.ransom_note", "rg.word_ladder", "rg.list_functions")
    here = [generate(t, s, s % 5 + 1).to_json() for t in types for s in range(8)]
    assert json.loads(outs[0]) == here
    random.seed(7)
    expected = random.random()
    random.seed(7)
    for s in range(8):
        generate("rg.list_functions", s, 1)
    assert random.random() == expected, "the global random stream must be left as it was"
