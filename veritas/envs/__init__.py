"""Procedurally generated, verifiable reasoning tasks.

Importing this package is cheap: no torch, no verl. The public API:

    list_task_types(env=None, include_excluded=False) -> list[str]
    generate(task_type, seed, difficulty=None, language="en") -> Task
    from_task_id(task_id, env="lgc-v2") -> Task
    verify(task, reply) -> Verdict
    worked_solution(task) -> str
"""

from veritas.envs.base import DIFFICULTY_LEVELS, Built, Task, TaskFamily, Verdict, canonical_json
from veritas.envs.registry import (
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

__all__ = [
    "DIFFICULTY_LEVELS",
    "Built",
    "Task",
    "TaskFamily",
    "Verdict",
    "canonical_json",
    "default_difficulty",
    "from_task_id",
    "generate",
    "get_family",
    "list_envs",
    "list_task_types",
    "register",
    "verify",
    "warn_if_excluded",
    "worked_solution",
    "wrong_answers",
]
