"""Procedurally generated, verifiable reasoning tasks.

Importing this package is cheap: no torch, no verl. The public API:

    list_task_types(env=None, include_excluded=False) -> list[str]
    generate(task_type, seed, difficulty=None, language="en") -> Task
    from_task_id(task_id, env="lgc-v2") -> Task
    verify(task, reply) -> Verdict
    worked_solution(task) -> str
    split_of_seed(seed) -> str; split_of_content(content_key) -> str   (veritas/envs/splits.py)
"""

from veritas.envs.base import DIFFICULTY_LEVELS, Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import (
    content_key,
    default_difficulty,
    from_task_id,
    generate,
    get_family,
    list_envs,
    list_task_types,
    register,
    verify,
    warn_if_excluded,
    worked_solution,
    wrong_answers,
)
from veritas.envs.splits import SPLIT_BLOCKS, SPLITS, split_of_content, split_of_seed

__all__ = [
    "DIFFICULTY_LEVELS",
    "Built",
    "Task",
    "TaskFamily",
    "SPLITS",
    "SPLIT_BLOCKS",
    "Verdict",
    "canonical_json",
    "content_key",
    "default_difficulty",
    "from_task_id",
    "generate",
    "get_family",
    "list_envs",
    "list_task_types",
    "register",
    "split_of_content",
    "split_of_seed",
    "verify",
    "warn_if_excluded",
    "worked_solution",
    "wrong_answers",
]
