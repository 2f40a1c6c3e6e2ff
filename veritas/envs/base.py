"""The one contract of the project: a Task is a pure function of (task_type, seed, difficulty),
and a Verdict is what a verifier says about a reply to it.

Everything else (the verl dataset, the reward function, data_gen, eval) consumes these types;
none of it re-implements a verifier or an answer format.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, ClassVar

from veritas.envs.splits import MAX_SPLIT_ATTEMPTS, SplitExhausted, split_of_content

# Every family shares the same difficulty scale, so one curriculum knob drives a whole mix.
DIFFICULTY_LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)


def canonical_json(obj: Any) -> str:
    """The byte-stable JSON used for goldens, extra_info and files: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Task:
    """One generated task. `answer` is the reference reply: scoring it as a reply gives 1.0.

    `metadata` holds everything the verifier needs, so a Task rebuilt from JSON verifies without
    regenerating. It must contain only JSON types (str, int, float, bool, None, list, dict with str
    keys) so that the JSON round trip is exact.
    """

    task_id: int
    env: str
    task_type: str
    seed: int
    difficulty: int
    prompt: str
    answer: str
    metadata: dict = field(default_factory=dict)
    language: str = "en"

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        # No asdict(): its deep copy of the metadata is half the cost of a data row, and
        # serialising JSON types needs no copy.
        return canonical_json({name: getattr(self, name) for name in _TASK_FIELDS})

    @classmethod
    def from_dict(cls, data: dict) -> "Task":
        if not isinstance(data, dict):
            raise TypeError(f"Task.from_dict expects a dict, got {type(data).__name__}")
        missing = [k for k in ("task_id", "env", "task_type", "seed", "difficulty", "prompt", "answer") if k not in data]
        if missing:
            raise ValueError(f"task record is missing field(s) {missing}")
        return cls(
            task_id=int(data["task_id"]),
            env=str(data["env"]),
            task_type=str(data["task_type"]),
            seed=int(data["seed"]),
            difficulty=int(data["difficulty"]),
            prompt=str(data["prompt"]),
            answer=str(data["answer"]),
            metadata=dict(data.get("metadata") or {}),
            language=str(data.get("language", "en")),
        )

    @classmethod
    def from_json(cls, text: str) -> "Task":
        return cls.from_dict(json.loads(text))


_TASK_FIELDS = tuple(f.name for f in fields(Task))


@dataclass(frozen=True)
class Verdict:
    """score in [0, 1]; format_ok says whether an answer in the expected format was found at all."""

    score: float
    reason: str
    format_ok: bool = True

    @property
    def correct(self) -> bool:
        return self.score >= 1.0


@dataclass(frozen=True)
class Built:
    """What a family's generator returns; the registry wraps it into a Task."""

    prompt: str
    answer: str
    metadata: dict


class TaskFamily(ABC):
    """One task type. Subclass it in one module under veritas/envs/tasks/ and decorate with @register.

    Ids: task_id = id_offset + seed for seed in [0, num_seeds); the registry checks that the id
    ranges of one env never overlap.
    """

    name: ClassVar[str]
    env: ClassVar[str]
    id_offset: ClassVar[int]
    num_seeds: ClassVar[int]
    languages: ClassVar[tuple[str, ...]] = ("en",)
    description: ClassVar[str] = ""
    # Non-empty: why this type is left out of the default list (it failed its audit); it still
    # generates and verifies when named explicitly, with a warning (registry.warn_if_excluded).
    excluded: ClassVar[str] = ""
    # False: build() never reads `wording` (one fixed prompt), so generate() skips seeding that
    # stream and passes None; a family that uses templates keeps True.
    uses_wording: ClassVar[bool] = True

    @abstractmethod
    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        """Generate one task. `rng` drives the content; `wording` only picks prompt templates, so
        that every language gets the same puzzle and answer."""

    @abstractmethod
    def check(self, task: Task, text: str) -> Verdict:
        """Score `text`: the reply with any reasoning block already removed, non-empty, bounded in
        size by verify(). Must not raise, must not execute anything, must stay linear in len(text)."""

    def worked_solution(self, task: Task) -> str:
        """A step-by-step solution written by the generator, ending with the answer in exactly the
        format check() accepts (used for SFT data)."""
        raise NotImplementedError(f"{self.name} has no worked solution")

    def wrong_answers(self, task: Task) -> list[str]:
        """Targeted near-miss replies (one digit, one cell, one bracket off...) that must score 0."""
        return []

    def content_key(self, built: Built, difficulty: int) -> str:
        """The task's content, wording aside: two tasks with equal keys are the same task to a
        learner. The split a task belongs to is decided by a keyed hash of this key, so that
        validation and test tasks never repeat a training task. Default: the reference answer and
        the metadata as canonical JSON; a family overrides it where those carry wording."""
        return canonical_json([built.answer, built.metadata])

    def build_in_split(
        self,
        draw: Callable[[int], tuple[random.Random, random.Random]],
        difficulty: int,
        language: str,
        split: str,
    ) -> Built:
        """A task whose content lies in `split`. `draw(k)` gives attempt k's (content, wording)
        streams; attempt 0 is the seed's own stream, so a task whose first content already lies in
        its split is the task it always was. The default builds attempt after attempt; a family
        whose build is dear and whose key is known early (trace: before the sandbox runs)
        overrides this to test the key first."""
        for attempt in range(MAX_SPLIT_ATTEMPTS):
            rng, wording = draw(attempt)
            built = self.build(rng, difficulty, language, wording)
            if split_of_content(self.content_key(built, difficulty)) == split:
                return built
        raise SplitExhausted(f"no content in split {split!r} within {MAX_SPLIT_ATTEMPTS} draws")

    def styled_answers(self, task: Task) -> list[str]:
        """Right answers written the way strong chat models write them (markdown emphasis, code
        spans, LaTeX spacing, other languages' phrasing): each must score 1. The false-negative
        corpus of the audit and the tests."""
        return []

    def trivial_replies(self, difficulty: int) -> list[str]:
        """Constant replies a policy could learn without reasoning ("None", "\\boxed{A}", ...). The
        audit scores these, and the commonest reference answers, on many tasks: none may earn more
        than a sliver of reward."""
        return []
