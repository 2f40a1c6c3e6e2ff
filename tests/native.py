"""The project's own task families: what the suites written for every family iterate over.

reasoning-gym's rg.* types (about 100, when the optional package is installed) have their own
sampled contract tests (tests/envs/test_reasoning_gym.py) and their audit; running every
family-wide suite over all of them would take the whole suite's time budget many times over."""

from __future__ import annotations

from veritas.envs import list_task_types


def native_task_types(env: str | None = None) -> list[str]:
    return [t for t in list_task_types(env) if not t.startswith("rg.")]
