"""`compute_score`: verl 0.9.1's custom reward function (`reward.custom_reward_function`).

verl's reward loop calls it once per reply, from a thread pool in each RewardLoopWorker:

    compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=..., **reward_kwargs)

It rebuilds the task from `extra_info["task"]` (the canonical task JSON every veritas row carries)
and scores with `veritas.envs.verify`; no answer format is known here. It returns a dict whose
`score` is the reward and whose other keys verl keeps as `reward_extra_info` (validation metrics
per data source, generation dumps). Every call returns the same keys, because verl takes the key
list from the first reply of a batch.

Errors: a reply never makes it raise (verify scores anything, including non-strings). A row
that is not a veritas row (no task in extra_info, an unknown task type, a data_source or
ground_truth that disagrees with the task) is a misconfigured run, and raises RewardRowError naming
the field, instead of quietly scoring 0.

Shaping (off by default), through `+reward.custom_reward_function.reward_kwargs.KEY=VALUE`:
    format_bonus   the reward for a wrong answer given in the expected format, instead of 0
                   (0 <= x < 1; default 0). A reply with no readable answer still gets 0.
`acc` is always the unshaped correctness.

Curriculum: a train item of an adaptive mix names its run's hub in extra_info["curriculum"];
the (index, task type, level, acc, score) of each reply is then queued for it
(veritas.curriculum.reporter: buffered, sent by a background thread, never blocks or raises).

Thread safety: no shared mutable state besides a bounded LRU of parsed tasks (functools.lru_cache
locks internally); verifiers are pure functions of (task, reply).
"""

from __future__ import annotations

import functools
import numbers
from typing import Any

from veritas.curriculum.reporter import report
from veritas.envs import Task, get_family, verify

# Rows in flight at once: a GRPO batch has ~1k prompts with n replies each; parsing a task once
# per prompt instead of once per reply is what the cache buys.
TASK_CACHE_SIZE = 4096
# Keyword arguments verl itself may pass besides reward_kwargs (reward-model plumbing).
_VERL_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})
SHAPING_KEYS = frozenset({"format_bonus"})
METRIC_KEYS = ("score", "acc", "format_ok", "task_type", "difficulty", "prompt_skips", "reason")


class RewardRowError(ValueError):
    """A row compute_score cannot score because it was not built by veritas."""


@functools.lru_cache(maxsize=TASK_CACHE_SIZE)
def _task_from_json(text: str) -> Task:
    return Task.from_json(text)


def task_for_row(data_source: Any, ground_truth: Any, extra_info: Any) -> Task:
    """The task a verl row was built from, checked against the row's other fields."""
    if not isinstance(extra_info, dict):
        raise RewardRowError(
            f"compute_score: extra_info is {type(extra_info).__name__}, not a mapping with the task "
            f"(data_source={data_source!r}); rows must come from DynamicEnvDataset or python -m data_gen rl"
        )
    raw = extra_info.get("task")
    if raw is None:
        raise RewardRowError(
            f"compute_score: extra_info['task'] is missing (data_source={data_source!r}, extra_info keys "
            f"{sorted(extra_info)}); this row was not built by veritas (DynamicEnvDataset or python -m data_gen rl), "
            "so it cannot be scored: check data.train_files / data.val_files"
        )
    try:
        task = _task_from_json(raw) if isinstance(raw, str) else Task.from_dict(raw)
    except (ValueError, TypeError, KeyError) as exc:
        raise RewardRowError(f"compute_score: extra_info['task'] is not a task record: {exc}") from None
    try:
        get_family(task.task_type)
    except ValueError:
        raise RewardRowError(
            f"compute_score: extra_info['task'] names task type {task.task_type!r}, which is not registered "
            "in this veritas install (is its family module missing?)"
        ) from None
    if data_source != task.task_type:
        raise RewardRowError(
            f"compute_score: data_source {data_source!r} does not match extra_info['task'] task type {task.task_type!r}"
        )
    if ground_truth != task.answer:
        raise RewardRowError(
            f"compute_score: reward_model.ground_truth does not match the task's reference answer "
            f"(task_id {task.task_id}, {task.task_type}); the row was altered or built by other code"
        )
    return task


def _format_bonus(kwargs: dict) -> float:
    unknown = sorted(set(kwargs) - SHAPING_KEYS - _VERL_KWARGS)
    if unknown:
        raise TypeError(
            f"compute_score: unknown reward_kwargs {unknown}; supported: {sorted(SHAPING_KEYS)} "
            "(set as +reward.custom_reward_function.reward_kwargs.KEY=VALUE)"
        )
    bonus = kwargs.get("format_bonus", 0.0)
    if isinstance(bonus, bool) or not isinstance(bonus, (int, float)) or not 0.0 <= bonus < 1.0:
        raise ValueError(f"compute_score: reward_kwargs.format_bonus must be a number in [0, 1), got {bonus!r}")
    return float(bonus)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> dict:
    """Score one reply; see the module docstring for the contract and the returned keys."""
    format_bonus = _format_bonus(kwargs)
    task = task_for_row(data_source, ground_truth, extra_info)
    verdict = verify(task, solution_str)
    score = float(verdict.score)
    if score == 0.0 and verdict.format_ok:
        score = format_bonus
    skips = extra_info.get("candidate")  # absent in data_gen parquet rows
    hub = extra_info.get("curriculum")  # adaptive-difficulty train items name their run's hub
    if hub and isinstance(hub, str):
        report(hub, extra_info.get("index", -1), task.task_type, task.difficulty, 1.0 if verdict.correct else 0.0, score)
    return {
        "score": score,
        "acc": 1.0 if verdict.correct else 0.0,
        "format_ok": 1.0 if verdict.format_ok else 0.0,
        "task_type": task.task_type,
        "difficulty": task.difficulty,
        "prompt_skips": int(skips) if isinstance(skips, numbers.Integral) else 0,
        "reason": verdict.reason,
    }

