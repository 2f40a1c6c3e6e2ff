"""compute_score on its own: right 1, wrong 0, never raises on a reply, fails fast on a foreign row."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.rl.helpers import REPO
from tests.native import native_task_types
from veritas.envs import generate, wrong_answers
from veritas.rl.dataset import task_row
from veritas.rl.reward import METRIC_KEYS, RewardRowError, compute_score

TYPES = native_task_types()


def row_for(task, index=0):
    return task_row(task, index, "train", mix="test", candidate=0)


def score(row, reply, **kwargs):
    return compute_score(row["data_source"], reply, row["reward_model"]["ground_truth"], row["extra_info"], **kwargs)


@pytest.mark.parametrize("task_type", TYPES)
def test_reference_scores_one_and_near_misses_zero(task_type):
    for seed in range(12):
        task = generate(task_type, seed)
        row = row_for(task)
        right = score(row, task.answer)
        assert right["score"] == right["acc"] == right["format_ok"] == 1.0
        assert right["task_type"] == task_type and right["difficulty"] == task.difficulty
        for wrong in wrong_answers(task):
            result = score(row, wrong)
            assert result["score"] == result["acc"] == 0.0, wrong


@pytest.mark.parametrize("task_type", TYPES)
def test_replies_never_raise_and_keys_never_change(task_type):
    task = generate(task_type, 3)
    row = row_for(task)
    replies = ["", "   ", None, 42, "<think>unclosed " + task.answer, "x" * 2_000_000,
               task.answer * 50, "\\boxed{" * 1000, "\x00\ud800", f"<think>hmm</think>{task.answer}"]
    for reply in replies:
        result = score(row, reply)
        assert tuple(result) == METRIC_KEYS
        assert result["score"] in (0.0, 1.0) and result["prompt_skips"] == 0
    assert score(row, "")["score"] == 0.0 and score(row, None)["format_ok"] == 0.0
    assert score(row, f"<think>hmm</think>{task.answer}")["score"] == 1.0


def test_format_bonus_rewards_only_a_wrong_answer_in_format():
    task = next(t for t in (generate(tt, s) for tt in TYPES for s in range(50)) if wrong_answers(t))
    row = row_for(task)
    wrong = next(w for w in wrong_answers(task) if score(row, w)["format_ok"] == 1.0)
    assert score(row, wrong, format_bonus=0.1)["score"] == 0.1
    assert score(row, wrong, format_bonus=0.1)["acc"] == 0.0
    assert score(row, task.answer, format_bonus=0.1)["score"] == 1.0
    assert score(row, "", format_bonus=0.1)["score"] == 0.0
    with pytest.raises(ValueError, match=r"format_bonus must be a number in \[0, 1\)"):
        score(row, wrong, format_bonus=1.5)
    with pytest.raises(TypeError, match=r"unknown reward_kwargs \['format_bonsu'\]"):
        score(row, wrong, format_bonsu=0.1)
    # what verl itself adds when a reward model is configured is accepted
    assert score(row, task.answer, reward_router_address=None, reward_model_tokenizer=None)["score"] == 1.0


def test_prompt_skips_come_from_the_row():
    task = generate(TYPES[0], 1)
    row = task_row(task, 0, "train", mix="m", candidate=3)
    assert score(row, task.answer)["prompt_skips"] == 3


def test_foreign_or_broken_rows_fail_fast_naming_the_field():
    task = generate(TYPES[0], 5)
    row = row_for(task)
    gt = row["reward_model"]["ground_truth"]
    cases = [
        (("openai/gsm8k", "2", "2", {"index": 0, "split": "train"}), r"extra_info\['task'\] is missing.*openai/gsm8k"),
        ((task.task_type, "x", gt, None), r"extra_info is NoneType"),
        ((task.task_type, "x", gt, {**row["extra_info"], "task": "{not json"}), r"extra_info\['task'\] is not a task record"),
        ((task.task_type, "x", gt, {**row["extra_info"], "task": json.dumps({**task.to_dict(), "task_type": "nope"})}),
         r"task type 'nope', which is not registered"),
        (("other_source", "x", gt, row["extra_info"]), r"data_source 'other_source' does not match"),
        ((task.task_type, "x", "", row["extra_info"]), r"reward_model\.ground_truth does not match"),
    ]
    for args, message in cases:
        with pytest.raises(RewardRowError, match=message):
            compute_score(*args)


def test_many_threads_score_like_one():
    tasks = [generate(TYPES[i % len(TYPES)], 100 + i) for i in range(64)]
    calls = []
    for task in tasks:
        row = row_for(task)
        for reply in [task.answer, "nothing", *wrong_answers(task)[:2]]:
            calls.append((row, reply))
    expected = [score(r, reply) for r, reply in calls]
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(3):
            assert list(pool.map(lambda c: score(*c), calls)) == expected


def test_the_plug_in_file_function_pickles_by_reference(tmp_path):
    import cloudpickle
    from verl.utils.import_utils import load_extern_object

    fn = load_extern_object(str(REPO / "tools" / "reward_manager.py"), "compute_score")
    assert fn is compute_score and fn.__module__ == "veritas.rl.reward"
    payload = cloudpickle.dumps(fn)
    assert b"veritas.rl.reward" in payload and len(payload) < 200  # a reference, not the code
    task = generate(TYPES[0], 9)
    row = row_for(task)
    blob = tmp_path / "fn.pkl"
    blob.write_bytes(payload)
    args = json.dumps([row["data_source"], task.answer, row["reward_model"]["ground_truth"], row["extra_info"]])
    # A fresh interpreter that never loaded tools/, as a Ray worker would be.
    code = ("import cloudpickle, json, sys; fn = cloudpickle.loads(open(sys.argv[1], 'rb').read()); "
            "print(json.dumps(fn(*json.loads(sys.argv[2]))))")
    out = subprocess.run([sys.executable, "-c", code, str(blob), args], cwd=REPO, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["score"] == 1.0


# -- damaged records: checked against what this version generates for the id -------------------


def _damaged(row, task, **changes):
    record = {**task.to_dict(), **changes}
    return {**row["extra_info"], "task": json.dumps(record)}


@pytest.mark.parametrize("task_type", TYPES)
def test_every_dropped_metadata_key_and_empty_metadata_are_refused(task_type):
    task = generate(task_type, 11)
    row = row_for(task, index=17)
    gt = row["reward_model"]["ground_truth"]
    assert task.metadata, "every family records metadata for its verifier"
    for key in task.metadata:
        damaged = _damaged(row, task, metadata={k: v for k, v in task.metadata.items() if k != key})
        with pytest.raises(RewardRowError, match=rf"row index 17 .*metadata key '{key}' is missing"):
            compute_score(task_type, task.answer, gt, damaged)
    first = sorted(task.metadata)[0]  # records are canonical JSON: keys sorted
    with pytest.raises(RewardRowError, match=rf"metadata key '{first}' is missing"):
        compute_score(task_type, task.answer, gt, _damaged(row, task, metadata={}))
    with pytest.raises(RewardRowError, match=r"metadata has key\(s\) \['zz_extra'\]"):
        compute_score(task_type, task.answer, gt, _damaged(row, task, metadata={**task.metadata, "zz_extra": 1}))
    # the intact row still scores, and a row knowingly kept from another version can be scored
    assert score(row, task.answer)["score"] == 1.0
    empty = _damaged(row, task, metadata={})
    assert compute_score(task_type, "nothing", gt, empty, task_check="off")["score"] == 0.0


def test_edited_sudoku_givens_are_refused_not_scored_against_the_edit():
    task = generate("sudoku", 4)
    row = row_for(task, index=3)
    solution = task.metadata["solution"]
    cleared = _damaged(row, task, metadata={**task.metadata, "puzzle": "0" * len(task.metadata["puzzle"])})
    # a valid grid in the answer's own format (digits relabelled), but not this puzzle's solution
    other = "".join(str(int(c) % 9 + 1) if c.isdigit() and c != "0" else c for c in task.answer)
    assert other != task.answer and solution
    with pytest.raises(RewardRowError, match=r"row index 3 .*task_id .*sudoku seed 4.*metadata\['puzzle'\] differs"):
        compute_score("sudoku", other, row["reward_model"]["ground_truth"], cleared)
    # what the check prevents: scored against the edit, any valid grid would earn the reward
    assert compute_score("sudoku", other, row["reward_model"]["ground_truth"], cleared, task_check="off")["score"] == 1.0
    # a record that claims another id, or an id this version cannot generate
    with pytest.raises(RewardRowError, match=r"prompt differs"):
        compute_score("sudoku", other, task.answer, _damaged(row, task, seed=5, task_id=task.task_id + 1))
    with pytest.raises(RewardRowError, match=r"its id cannot be generated here"):
        compute_score("sudoku", other, task.answer, _damaged(row, task, difficulty=9))


def test_task_check_values():
    task = generate(TYPES[0], 2)
    row = row_for(task)
    assert score(row, task.answer, task_check="regenerate")["score"] == 1.0
    with pytest.raises(ValueError, match=r"task_check must be one of \['regenerate', 'off'\]"):
        score(row, task.answer, task_check="no")
