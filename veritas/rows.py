"""The row layouts a task takes in data files, in one place: verl's RL schema and chat messages for SFT.

The static parquet files written by `python -m data_gen rl` / `sft` and the dynamic dataset that verl's
trainer reads build their rows here, so one reward function and one dataset class serve both:

    data_source   task type (verl's reward manager keys on it)
    prompt        [optional system message, user message] as chat messages
    ability       env name
    reward_model  {"style": "rule", "ground_truth": task.answer}
    extra_info    {"index", "task_id", "task_type", "split",
                   "task": task.to_json()}   # a JSON string, so one parquet schema fits every type

The reward function rebuilds the task with `Task.from_json(extra_info["task"])` and scores with
`veritas.envs.verify`; nothing here knows an answer format.
"""

from __future__ import annotations

from veritas.envs.base import Task

REWARD_STYLE = "rule"


def chat_prompt(task: Task, system_prompt: str | None = None) -> list[dict]:
    """The conversation up to the model's turn: an optional system message, then the task prompt."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": task.prompt})
    return messages


def extra_info(task: Task, index: int, split: str) -> dict:
    return {
        "index": int(index),
        "task_id": int(task.task_id),
        "task_type": task.task_type,
        "split": split,
        "task": task.to_json(),
    }


def rl_row(task: Task, index: int, split: str, system_prompt: str | None = None) -> dict:
    """One row of verl's RL dataset schema (what `RLHFDataset` and the reward manager read)."""
    return {
        "data_source": task.task_type,
        "prompt": chat_prompt(task, system_prompt),
        "ability": task.env,
        "reward_model": {"style": REWARD_STYLE, "ground_truth": task.answer},
        "extra_info": extra_info(task, index, split),
    }


def sft_messages(task: Task, system_prompt: str | None = None, reply: str | None = None) -> list[dict]:
    """[optional system, user, assistant]. The assistant turn is `reply` when given (a teacher's
    reply in distillation), else the family's worked solution."""
    if reply is None:
        from veritas.envs import worked_solution

        reply = worked_solution(task)
    return chat_prompt(task, system_prompt) + [{"role": "assistant", "content": reply}]


def sft_row(task: Task, index: int, split: str, system_prompt: str | None = None, reply: str | None = None) -> dict:
    """One SFT row: `messages` for verl's multi-turn SFT dataset, the same turn as plain `prompt` /
    `response` strings, and the RL row's `data_source`, `ability` and `extra_info`."""
    messages = sft_messages(task, system_prompt, reply)
    return {
        "data_source": task.task_type,
        "ability": task.env,
        "messages": messages,
        "prompt": task.prompt,
        "response": messages[-1]["content"],
        "extra_info": extra_info(task, index, split),
    }


def task_from_extra_info(info: dict) -> Task:
    """The task a row was built from (the inverse of extra_info()["task"])."""
    return Task.from_json(info["task"])
