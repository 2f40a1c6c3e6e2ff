"""The registry of task families, and the public generate / verify / from_task_id functions.

A new family is one new module in veritas/envs/tasks/ whose TaskFamily subclass carries
@register; discovery imports every module of that package in sorted order.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
import threading
import warnings

from veritas.envs.answers import MAX_REPLY_CHARS, strip_reasoning
from veritas.envs.base import DIFFICULTY_LEVELS, Built, Task, TaskFamily, Verdict
from veritas.envs.rng import derive_rng, derive_seed
from veritas.envs.splits import SplitExhausted, split_of_seed

_FAMILIES: dict[str, TaskFamily] = {}
_discovered = False
_discovery_lock = threading.Lock()


def register(cls: type[TaskFamily]) -> type[TaskFamily]:
    """Class decorator: instantiate the family and add it to the registry."""
    family = cls()
    for attr in ("name", "env", "id_offset", "num_seeds"):
        if not hasattr(family, attr):
            raise TypeError(f"{cls.__name__} must define class attribute {attr!r}")
    if family.name in _FAMILIES and type(_FAMILIES[family.name]) is not cls:
        raise ValueError(f"task type {family.name!r} is registered twice")
    lo, hi = family.id_offset, family.id_offset + family.num_seeds
    for other in _FAMILIES.values():
        if other.env == family.env and other.name != family.name:
            olo, ohi = other.id_offset, other.id_offset + other.num_seeds
            if lo < ohi and olo < hi:
                raise ValueError(f"id range of {family.name!r} overlaps {other.name!r} in env {family.env!r}")
    _FAMILIES[family.name] = family
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _discovery_lock:
        if _discovered:
            return
        import veritas.envs.tasks as tasks_pkg

        for info in sorted(pkgutil.iter_modules(tasks_pkg.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{tasks_pkg.__name__}.{info.name}")
        _discovered = True


def _families() -> dict[str, TaskFamily]:
    _discover()
    return _FAMILIES


def list_task_types(env: str | None = None, include_excluded: bool = False) -> list[str]:
    """Registered task types, ordered by (env, first task id). The default list (what `all`
    means) leaves out types that failed their audit; include_excluded=True lists every type."""
    fams = sorted(_families().values(), key=lambda f: (f.env, f.id_offset))
    return [f.name for f in fams if (env is None or f.env == env) and (include_excluded or not f.excluded)]


_warned_excluded: set[str] = set()


def warn_if_excluded(task_types) -> None:
    """Warn once per process for each named type that failed its audit (it still works)."""
    for name in task_types:
        family = _families().get(name)
        if family is not None and family.excluded and name not in _warned_excluded:
            _warned_excluded.add(name)
            warnings.warn(f"task type {name} is excluded from the default list: {family.excluded} "
                          "(see docs/reasoning-gym.md); using it because it was named", stacklevel=2)


def list_envs() -> list[str]:
    return sorted({f.env for f in _families().values()})


def get_family(task_type: str) -> TaskFamily:
    fams = _families()
    try:
        return fams[task_type]
    except KeyError:
        raise ValueError(f"unknown task type {task_type!r}; known: {', '.join(list_task_types(include_excluded=True))}") from None


def default_difficulty(task_type: str, seed: int) -> int:
    """difficulty=None draws the level from the seed, uniformly, so an id alone names a task."""
    return DIFFICULTY_LEVELS[derive_seed("difficulty", task_type, seed) % len(DIFFICULTY_LEVELS)]


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def generate(task_type: str, seed: int, difficulty: int | None = None, language: str = "en") -> Task:
    """The task for (task_type, seed, difficulty, language): byte-identical on every machine."""
    family = get_family(task_type)
    seed = _check_int("seed", seed)
    if not 0 <= seed < family.num_seeds:
        raise ValueError(f"seed for {task_type} must be in [0, {family.num_seeds}), got {seed}")
    if difficulty is None:
        difficulty = default_difficulty(task_type, seed)
    difficulty = _check_int("difficulty", difficulty)
    if difficulty not in DIFFICULTY_LEVELS:
        raise ValueError(f"difficulty must be one of {DIFFICULTY_LEVELS}, got {difficulty}")
    if language not in family.languages:
        raise ValueError(f"language {language!r} is not available for {task_type}; available: {family.languages}")
    split = split_of_seed(seed)

    # The wording stream is the same at every attempt: hash it once, seed a fresh copy per attempt.
    wording_seed = derive_seed(family.env, task_type, seed, difficulty, "wording") if family.uses_wording else None

    def draw(attempt: int):
        # Content and wording come from separate streams: the language never changes the puzzle.
        # Attempt 0 is the stream every task had before splits were decided by content.
        content = ("content",) if attempt == 0 else ("content", attempt)
        return (
            derive_rng(family.env, task_type, seed, difficulty, *content),
            None if wording_seed is None else random.Random(wording_seed),
        )

    try:
        built = family.build_in_split(draw, difficulty, language, split)
    except SplitExhausted as exc:
        raise ValueError(f"{task_type} level {difficulty}, split {split!r}: {exc} (seed {seed}); "
                         f"this level's content space has (almost) nothing in that split") from None
    return Task(
        task_id=family.id_offset + seed,
        env=family.env,
        task_type=task_type,
        seed=seed,
        difficulty=difficulty,
        prompt=built.prompt,
        answer=built.answer,
        metadata=built.metadata,
        language=language,
    )


def from_task_id(task_id: int, env: str = "lgc-v2", difficulty: int | None = None, language: str = "en") -> Task:
    task_id = _check_int("task_id", task_id)
    for family in _families().values():
        if family.env == env and family.id_offset <= task_id < family.id_offset + family.num_seeds:
            return generate(family.name, task_id - family.id_offset, difficulty, language)
    if env not in list_envs():
        raise ValueError(f"unknown env {env!r}; known: {', '.join(list_envs())}")
    raise ValueError(f"task id {task_id} is not in any id range of env {env!r}")


def verify(task: Task | dict, reply: str) -> Verdict:
    """Score a reply. Never raises because of the reply; raises ValueError only for a task record
    that names no known task type (a misconfigured run, not a bad reply)."""
    if isinstance(task, dict):
        task = Task.from_dict(task)
    family = get_family(task.task_type)
    if not isinstance(reply, str):
        return Verdict(0.0, f"reply is {type(reply).__name__}, not str", False)
    if len(reply) > MAX_REPLY_CHARS:
        return Verdict(0.0, f"reply longer than {MAX_REPLY_CHARS} characters", False)
    text, why = strip_reasoning(reply)
    if text is None:
        return Verdict(0.0, why, False)
    if not text.strip():
        return Verdict(0.0, "empty answer", False)
    try:
        verdict = family.check(task, text)
    except Exception as exc:  # a verifier bug must not kill a training run; tests keep this path dead
        return Verdict(0.0, f"verifier error: {type(exc).__name__}", False)
    if not 0.0 <= verdict.score <= 1.0:
        return Verdict(min(1.0, max(0.0, float(verdict.score))), verdict.reason, verdict.format_ok)
    return verdict


def worked_solution(task: Task | dict) -> str:
    if isinstance(task, dict):
        task = Task.from_dict(task)
    return get_family(task.task_type).worked_solution(task)


def wrong_answers(task: Task | dict) -> list[str]:
    if isinstance(task, dict):
        task = Task.from_dict(task)
    return get_family(task.task_type).wrong_answers(task)


def content_key(task: Task | dict) -> str:
    """What a learner sees of a task, wording aside, prefixed by its type: two tasks with equal keys
    are the same problem (the family's ``content_key``, which also decides the task's split)."""
    if isinstance(task, dict):
        task = Task.from_dict(task)
    built = Built(task.prompt, task.answer, task.metadata)
    return f"{task.task_type}|{get_family(task.task_type).content_key(built, task.difficulty)}"
