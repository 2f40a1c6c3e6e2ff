"""veritas.rows: the row layouts shared by the static parquet files and verl's dynamic dataset."""

from __future__ import annotations

import json

import pytest

from veritas.envs import Task, generate, verify, worked_solution
from veritas.rows import chat_prompt, rl_row, sft_messages, sft_row, task_from_extra_info

from .conftest import TASK_TYPES


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_rl_row_layout_and_round_trip(task_type):
    task = generate(task_type, 3)
    row = rl_row(task, 17, "val", system_prompt="Think step by step.")
    assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert row["data_source"] == task_type and row["ability"] == task.env
    assert row["prompt"] == [{"role": "system", "content": "Think step by step."}, {"role": "user", "content": task.prompt}]
    assert row["reward_model"] == {"style": "rule", "ground_truth": task.answer}
    info = row["extra_info"]
    assert {k: info[k] for k in ("index", "task_id", "task_type", "split")} == \
        {"index": 17, "task_id": task.task_id, "task_type": task_type, "split": "val"}
    assert isinstance(info["task"], str) and json.loads(info["task"])["task_id"] == task.task_id
    rebuilt = task_from_extra_info(info)
    assert rebuilt == task
    assert verify(rebuilt, row["reward_model"]["ground_truth"]).score == 1.0


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_sft_messages_end_with_the_worked_solution(task_type):
    task = generate(task_type, 5)
    plain = sft_messages(task)
    assert [m["role"] for m in plain] == ["user", "assistant"]
    assert plain[1]["content"] == worked_solution(task)
    with_system = sft_messages(task, "You are careful.", reply="teacher text")
    assert [m["role"] for m in with_system] == ["system", "user", "assistant"]
    assert with_system[-1]["content"] == "teacher text"
    row = sft_row(task, 0, "train")
    assert row["prompt"] == task.prompt and row["response"] == plain[1]["content"]
    assert row["messages"] == plain and Task.from_json(row["extra_info"]["task"]) == task


def test_empty_system_prompt_adds_no_message():
    assert TASK_TYPES, "no task family is registered"
    task = generate(TASK_TYPES[0], 0)
    assert chat_prompt(task, None) == chat_prompt(task, "") == [{"role": "user", "content": task.prompt}]
