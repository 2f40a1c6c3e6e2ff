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

Integrity: a task record is checked against what this veritas generates for its id (a task is a
pure function of its id), once per distinct record per process (the parsed-task LRU). A record
that was damaged (a metadata key dropped, a value edited) or written by a version whose generator
differs would otherwise be scored against the wrong thing: a dropped key scores every reply 0 as a
"verifier error", cleared sudoku givens score any valid grid 1. Such a row raises RewardRowError
naming the row and the first field or metadata key that differs. Rows of any age are handled the
same way: nothing in the row has to vouch for it, so files written before this check need no
migration, and score exactly when this version would have generated the same task.
`task_check=off` (a reward kwarg) skips the comparison for a data set knowingly kept from another
version.

Options, through `+reward.custom_reward_function.reward_kwargs.KEY=VALUE`:
    format_bonus   the reward for a wrong answer given in the expected format, instead of 0
                   (0 <= x < 1; default 0, no shaping). A reply with no readable answer still gets 0.
    task_check     "regenerate" (default) or "off": see Integrity above.
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
from veritas.envs import Task, generate, get_family, verify
from veritas.envs.base import canonical_json

# Rows in flight at once: a GRPO batch has ~1k prompts with n replies each; parsing a task once
# per prompt instead of once per reply is what the cache buys.
TASK_CACHE_SIZE = 4096
# Keyword arguments verl itself may pass besides reward_kwargs (reward-model plumbing).
_VERL_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer"})
SHAPING_KEYS = frozenset({"format_bonus", "task_check"})
TASK_CHECKS = ("regenerate", "off")
# Metadata keys a mix adds to a generated task as scoring options (not content): a mix entry's
# `partial_credit: true` for reasoning-gym types. The integrity check allows them.
_SCORING_OPTION_KEYS = frozenset({"partial_credit"})
_IDENTITY_FIELDS = ("task_type", "seed", "difficulty", "language", "task_id", "env", "prompt", "answer")
METRIC_KEYS = ("score", "acc", "format_ok", "task_type", "difficulty", "prompt_skips", "reason")


class RewardRowError(ValueError):
    """A row compute_score cannot score because it was not built by veritas."""


class _RecordDiffers(ValueError):
    """A task record that is not what this veritas generates for its id (the caller names the row)."""


@functools.lru_cache(maxsize=TASK_CACHE_SIZE)
def _task_from_json(text: str) -> Task:
    return Task.from_json(text)


def record_difference(stored: Task, fresh: Task) -> str | None:
    """The first field or metadata key in which a stored task differs from a freshly generated one."""
    for name in _IDENTITY_FIELDS:
        if getattr(stored, name) != getattr(fresh, name):
            return f"{name} differs"
    for key, value in fresh.metadata.items():
        if key not in stored.metadata:
            return f"metadata key {key!r} is missing"
        if canonical_json(stored.metadata[key]) != canonical_json(value):
            return f"metadata[{key!r}] differs"
    extra = sorted(set(stored.metadata) - set(fresh.metadata) - _SCORING_OPTION_KEYS)
    return f"metadata has key(s) {extra} that this version does not write" if extra else None


@functools.lru_cache(maxsize=TASK_CACHE_SIZE)
def _checked_task_from_json(text: str) -> Task:
    """Parse, then compare with the task regenerated from the record's id; cached per distinct
    record (the n replies to one prompt share it; a failure is not cached and raises each time)."""
    task = _task_from_json(text)
    try:
        fresh = generate(task.task_type, task.seed, task.difficulty, task.language)
    except (ValueError, TypeError) as exc:
        raise _RecordDiffers(f"its id cannot be generated here ({exc})") from None
    why = record_difference(task, Task.from_json(fresh.to_json()))
    if why is not None:
        raise _RecordDiffers(why)
    return task


def _row_name(extra_info: dict, data_source: Any) -> str:
    return f"row index {extra_info.get('index')!r} (data_source={data_source!r})"


def task_for_row(data_source: Any, ground_truth: Any, extra_info: Any, task_check: str = "regenerate") -> Task:
    """The task a verl row was built from, checked against the row's other fields and (unless
    task_check is "off") against what this veritas generates for its id."""
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
        text = raw if isinstance(raw, str) else canonical_json(raw)
        task = _task_from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise RewardRowError(
            f"compute_score: extra_info['task'] is not a task record ({_row_name(extra_info, data_source)}): {exc}"
        ) from None
    try:
        get_family(task.task_type)
    except ValueError:
        raise RewardRowError(
            f"compute_score: extra_info['task'] names task type {task.task_type!r}, which is not registered "
            "in this veritas install (is its family module missing?)"
        ) from None
    if task_check != "off":
        try:
            _checked_task_from_json(text)
        except _RecordDiffers as exc:
            raise RewardRowError(
                f"compute_score: extra_info['task'] of {_row_name(extra_info, data_source)}, task_id {task.task_id} "
                f"({task.task_type} seed {task.seed}), is not what this veritas generates for that id: {exc}; "
                "the row was damaged or written by a version whose generator differs: regenerate the data with "
                "this version (or set reward_kwargs.task_check=off to score it as it is)"
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


def _task_check(kwargs: dict) -> str:
    value = kwargs.get("task_check", "regenerate")
    if value not in TASK_CHECKS:
        raise ValueError(f"compute_score: reward_kwargs.task_check must be one of {list(TASK_CHECKS)}, got {value!r}")
    return value


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
    task = task_for_row(data_source, ground_truth, extra_info, _task_check(kwargs))
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

