"""Environment mixes: a YAML file that names task types with weights, difficulty, split and size,
and turns an item index into a task, as a pure function of (mix, index).

    name: lgc-v2-train
    split: train          # train | val | test — picks a disjoint block of seeds
    size: 1000000         # the dataset's length (verl needs len())
    seed: 0               # the mix's own seed: which tasks, in which order
    difficulty: mixed     # 1..5, "mixed" (drawn per task from its seed), a curriculum or adaptive (below)
    language: en
    system_prompt: null   # optional system message
    tasks:
      - {task_type: dyck_language, weight: 2}
      - {task_type: sudoku, weight: 1, difficulty: 2}    # per-entry override
      - {task_type: rg.bf, partial_credit: true}          # rg.* only: reasoning-gym's partial scores

`partial_credit: true` (reasoning-gym types only) records `partial_credit` in each task's metadata,
so verify() passes on reasoning-gym's fractional score instead of scoring binary. `all` never
includes a type that failed its audit; naming one works, with a warning.

A curriculum ramps the difficulty with the item index (which is the training step times the
batch size when verl reads the dataset in order, data.shuffle=false). The levels from start to end
take equal shares of the first `over_items` items; later items stay at `end`:

    difficulty: {start: 1, end: 5, over_items: 200000}

An adaptive difficulty follows the model instead (train mixes only; veritas.curriculum decides the
levels from live pass rates at batch boundaries, and `item(index, levels=...)` takes them):

    difficulty: {adaptive: {target: [0.3, 0.7], start: 1, window: 512}}

Task type: item i's type is drawn from the weights with a hash of (mix seed, i) alone, so the
mix's proportions hold exactly in expectation whatever a consumer later skips.

Seeds: every family has at least 10^8 seeds; the splits take disjoint blocks of them (train
[0, 9*10^7), val [9*10^7, 9.5*10^7), test [9.5*10^7, 10^8)), and a seed's task is drawn with its
content in the seed's split (veritas/envs/splits.py), so train, validation and held-out
evaluation never share a task's content, by construction. Within a block, item i gets seed
perm(i), a bijection keyed by the mix seed: no two items of one mix share a seed (at small levels
two seeds may still draw the same puzzle). When a consumer must skip a
candidate (e.g. a prompt too long for the model), candidate k of item i keeps the type and uses
seed perm(i + k * size), which no other item of the mix uses; `max_candidates` = block // size
(at least 4, as size is capped at a quarter of the block) says how many there are.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field

from veritas.envs import DIFFICULTY_LEVELS, get_family, list_task_types, warn_if_excluded
from veritas.envs.rng import derive_seed
from veritas.envs.splits import SPLIT_BLOCKS

MIXED = "mixed"
# Keys a consumer may replace from outside the file (load_mix(path, overrides)).
OVERRIDABLE_KEYS = ("size", "seed", "difficulty", "language", "system_prompt")


class MixError(ValueError):
    """A mix file that cannot be used; the message names the file and the key."""


def max_size(split: str) -> int:
    lo, hi = SPLIT_BLOCKS[split]
    return (hi - lo) // 4


@dataclass(frozen=True)
class Curriculum:
    start: int
    end: int
    over_items: int

    def level(self, index: int) -> int:
        """Levels start..end (either direction) in equal stages over the first over_items items."""
        steps = abs(self.end - self.start)
        if steps == 0:
            return self.start
        stage = min(steps, index * (steps + 1) // self.over_items)
        return self.start + stage if self.end > self.start else self.start - stage


@dataclass(frozen=True)
class Adaptive:
    """A level steered by the model's recent pass rate (veritas.curriculum.controller): up when the
    rate over the last `window` scored replies is above `high`, down when below `low`."""

    low: float
    high: float
    start: int
    window: int


ADAPTIVE_KEYS = ("target", "start", "window")
ADAPTIVE_DEFAULTS = {"target": [0.3, 0.7], "start": 1, "window": 512}


@dataclass(frozen=True)
class MixEntry:
    task_type: str
    weight: float
    difficulty: int | str | Curriculum | Adaptive  # a level, MIXED, a Curriculum or Adaptive
    partial_credit: bool = False  # rg.* only: keep reasoning-gym's fractional scores


@dataclass(frozen=True)
class MixItem:
    """What item `index` of a mix is: enough to call veritas.envs.generate."""

    index: int
    candidate: int
    task_type: str
    seed: int
    difficulty: int | None  # None: drawn from the seed
    language: str


@dataclass(frozen=True)
class Mix:
    name: str
    split: str
    size: int
    seed: int
    entries: tuple[MixEntry, ...]
    language: str = "en"
    system_prompt: str | None = None
    source: str = "<memory>"
    # Derived in __post_init__ (also after dataclasses.replace), never passed in.
    _cumulative: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _affine: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.split not in SPLIT_BLOCKS:
            raise MixError(f"{self.source}: split must be one of {sorted(SPLIT_BLOCKS)}, got {self.split!r}")
        limit = max_size(self.split)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 < self.size <= limit:
            raise MixError(f"{self.source}: size must be an int in [1, {limit}] for split {self.split!r}, got {self.size!r}")
        if not self.entries:
            raise MixError(f"{self.source}: a mix needs at least one task entry")
        total = sum(e.weight for e in self.entries)
        acc, cum = 0.0, []
        for e in self.entries:
            acc += e.weight / total
            cum.append(acc)
        cum[-1] = 1.0
        object.__setattr__(self, "_cumulative", tuple(cum))
        # The seed permutation of the split's block: x -> lo + (a*x + b) mod n with gcd(a, n) = 1.
        lo, hi = SPLIT_BLOCKS[self.split]
        n = hi - lo
        key = derive_seed("mix-permutation", self.seed)
        a = key % n
        while math.gcd(a, n) != 1:
            a += 1
        object.__setattr__(self, "_affine", (a, (key >> 64) % n, n))

    @property
    def task_types(self) -> list[str]:
        return [e.task_type for e in self.entries]

    @property
    def max_candidates(self) -> int:
        """How many distinct candidates each item has (candidate k < max_candidates)."""
        lo, hi = SPLIT_BLOCKS[self.split]
        return (hi - lo) // self.size

    @property
    def has_curriculum(self) -> bool:
        """Difficulty that depends on the item's position in the stream (index ramp or adaptive)."""
        return any(isinstance(e.difficulty, (Curriculum, Adaptive)) for e in self.entries)

    @property
    def adaptive(self) -> dict[str, Adaptive]:
        """task type -> its Adaptive setting, for the entries that have one."""
        return {e.task_type: e.difficulty for e in self.entries if isinstance(e.difficulty, Adaptive)}

    def _seed_for(self, position: int) -> int:
        a, b, n = self._affine
        return SPLIT_BLOCKS[self.split][0] + (a * position + b) % n

    def entry_for(self, index: int) -> MixEntry:
        u = (derive_seed("mix-type", self.seed, index) >> 200) / float(1 << 56)
        for e, edge in zip(self.entries, self._cumulative):
            if u < edge:
                return e
        return self.entries[-1]

    def item(self, index: int, candidate: int = 0, levels: dict[str, int] | None = None) -> MixItem:
        """Item `index` (candidate `candidate`). `levels` gives the current level of adaptive task
        types (missing types: their start level); other entries ignore it."""
        if not 0 <= index < self.size:
            raise IndexError(f"item {index} is outside mix {self.name!r} of size {self.size}")
        if not 0 <= candidate < self.max_candidates:
            raise IndexError(f"candidate {candidate} of mix {self.name!r}: there are {self.max_candidates} per item")
        entry = self.entry_for(index)
        if isinstance(entry.difficulty, Curriculum):
            difficulty: int | None = entry.difficulty.level(index)
        elif isinstance(entry.difficulty, Adaptive):
            difficulty = (levels or {}).get(entry.task_type, entry.difficulty.start)
        elif entry.difficulty == MIXED:
            difficulty = None
        else:
            difficulty = int(entry.difficulty)
        seed = self._seed_for(index + candidate * self.size)
        return MixItem(index, candidate, entry.task_type, seed, difficulty, self.language)

    def generate(self, index: int, candidate: int = 0, levels: dict[str, int] | None = None):
        from veritas.envs import generate

        it = self.item(index, candidate, levels)
        task = generate(it.task_type, it.seed, it.difficulty, it.language)
        if self.entry_for(index).partial_credit:
            task = dataclasses.replace(task, metadata={**task.metadata, "partial_credit": True})
        return task


def _parse_difficulty(value, where: str):
    if value is None or value == MIXED:
        return MIXED
    if isinstance(value, bool):
        raise MixError(f"{where}: difficulty must be 1..5, 'mixed' or a curriculum mapping, got {value!r}")
    if isinstance(value, int):
        if value not in DIFFICULTY_LEVELS:
            raise MixError(f"{where}: difficulty must be one of {DIFFICULTY_LEVELS}, got {value}")
        return value
    if isinstance(value, dict) and "adaptive" in value:
        return _parse_adaptive(value, where)
    if isinstance(value, dict):
        unknown = set(value) - {"start", "end", "over_items"}
        if unknown or not {"start", "end", "over_items"} <= set(value):
            raise MixError(f"{where}: a curriculum needs exactly start, end, over_items; got keys {sorted(value)}")
        start, end, over = value["start"], value["end"], value["over_items"]
        for key, v in (("start", start), ("end", end)):
            if isinstance(v, bool) or v not in DIFFICULTY_LEVELS:
                raise MixError(f"{where}: curriculum {key} must be one of {DIFFICULTY_LEVELS}, got {v!r}")
        if isinstance(over, bool) or not isinstance(over, int) or over <= 0:
            raise MixError(f"{where}: curriculum over_items must be a positive int, got {over!r}")
        return Curriculum(start, end, over)
    raise MixError(f"{where}: difficulty must be 1..5, 'mixed' or a curriculum mapping, got {value!r}")


def _parse_adaptive(value: dict, where: str) -> Adaptive:
    if set(value) != {"adaptive"}:
        raise MixError(f"{where}: an adaptive difficulty is {{adaptive: {{target, start, window}}}} alone; "
                       f"got keys {sorted(value)}")
    spec = value["adaptive"]
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise MixError(f"{where}.adaptive: expected a mapping with {list(ADAPTIVE_KEYS)}, got {spec!r}")
    unknown = sorted(set(spec) - set(ADAPTIVE_KEYS))
    if unknown:
        raise MixError(f"{where}.adaptive: unknown key(s) {unknown}; allowed: {list(ADAPTIVE_KEYS)}")
    spec = {**ADAPTIVE_DEFAULTS, **spec}
    target = spec["target"]
    if (not isinstance(target, (list, tuple)) or len(target) != 2
            or any(isinstance(t, bool) or not isinstance(t, (int, float)) for t in target)):
        raise MixError(f"{where}.adaptive.target: expected [low, high] pass rates, got {target!r}")
    low, high = float(target[0]), float(target[1])
    if not 0.0 < low < high < 1.0:
        raise MixError(f"{where}.adaptive.target: need 0 < low < high < 1, got [{low}, {high}]")
    start = spec["start"]
    if isinstance(start, bool) or start not in DIFFICULTY_LEVELS:
        raise MixError(f"{where}.adaptive.start: must be one of {DIFFICULTY_LEVELS}, got {start!r}")
    window = spec["window"]
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise MixError(f"{where}.adaptive.window: must be a positive int (scored replies), got {window!r}")
    return Adaptive(low, high, int(start), window)


_TOP_KEYS = {"name", "split", "size", "seed", "difficulty", "language", "system_prompt", "tasks", "description"}
_ENTRY_KEYS = {"task_type", "weight", "difficulty", "partial_credit"}


def mix_from_dict(data: dict, source: str = "<memory>", default_name: str | None = None) -> Mix:
    """Validate a mix given as a mapping; `source` labels every error message. The name defaults to
    `default_name`, else the stem of `source`."""
    if not isinstance(data, dict):
        raise MixError(f"{source}: a mix is a YAML mapping, got {type(data).__name__}")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise MixError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    for key in ("split", "size", "tasks"):
        if key not in data:
            raise MixError(f"{source}: missing required key {key!r}")
    split = data["split"]
    if split not in SPLIT_BLOCKS:
        raise MixError(f"{source}: split must be one of {sorted(SPLIT_BLOCKS)}, got {split!r}")
    size = data["size"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= max_size(split):
        raise MixError(f"{source}: size must be an int in [1, {max_size(split)}] for split {split!r}, got {size!r}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise MixError(f"{source}: seed must be a non-negative int, got {seed!r}")
    language = data.get("language", "en")
    if not isinstance(language, str):
        raise MixError(f"{source}: language must be a string such as 'en', got {language!r}")
    system_prompt = data.get("system_prompt")
    if system_prompt is not None and not isinstance(system_prompt, str):
        raise MixError(f"{source}: system_prompt must be a string or null")
    default_difficulty = _parse_difficulty(data.get("difficulty"), f"{source}: difficulty")
    tasks = data["tasks"]
    if not isinstance(tasks, list) or not tasks:
        raise MixError(f"{source}: tasks must be a non-empty list of {{task_type, weight, difficulty}}")
    known = set(list_task_types(include_excluded=True))
    entries = []
    for i, raw in enumerate(tasks):
        where = f"{source}: tasks[{i}]"
        if isinstance(raw, str):
            raw = {"task_type": raw}
        if not isinstance(raw, dict):
            raise MixError(f"{where}: expected a mapping with task_type, got {raw!r}")
        unknown = set(raw) - _ENTRY_KEYS
        if unknown:
            raise MixError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
        task_type = raw.get("task_type")
        if task_type not in known:
            raise MixError(f"{where}: unknown task_type {task_type!r}; known: {', '.join(sorted(known)) or '(none registered)'}")
        if language not in get_family(task_type).languages:
            raise MixError(f"{where}: {task_type} has no language {language!r}")
        weight = raw.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0 or weight != weight:
            raise MixError(f"{where}: weight must be a positive number, got {weight!r}")
        difficulty = _parse_difficulty(raw["difficulty"], f"{where}.difficulty") if "difficulty" in raw else default_difficulty
        partial = raw.get("partial_credit", False)
        if not isinstance(partial, bool):
            raise MixError(f"{where}: partial_credit must be true or false, got {partial!r}")
        if partial and get_family(task_type).env != "reasoning-gym":
            raise MixError(f"{where}: partial_credit is only available for reasoning-gym (rg.*) task types; "
                           f"{task_type} scores 0 or 1")
        warn_if_excluded([task_type])
        entries.append(MixEntry(task_type, float(weight), difficulty, partial))
    if len({e.task_type for e in entries}) != len(entries):
        raise MixError(f"{source}: a task_type is listed twice")
    if split != "train" and any(isinstance(e.difficulty, Adaptive) for e in entries):
        raise MixError(f"{source}: difficulty adaptive is for train mixes; a {split} mix needs fixed levels "
                       "(or mixed) so that runs compare")
    name = data.get("name") or default_name or os.path.splitext(os.path.basename(source))[0]
    return Mix(str(name), split, size, seed, tuple(entries), language, system_prompt, source)


def load_mix(path: str | os.PathLike, overrides: dict | None = None) -> Mix:
    """Read and validate a mix file. `overrides` replace top-level keys (OVERRIDABLE_KEYS, e.g.
    {"size": 64}); errors then name the file as `PATH (with overrides ...)`."""
    import yaml

    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise MixError(f"{path}: cannot read mix file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise MixError(f"{path}: not valid YAML: {exc}") from None
    source = path
    if overrides:
        bad = sorted(set(overrides) - set(OVERRIDABLE_KEYS))
        if bad:
            raise MixError(f"{path}: cannot override {bad}; overridable keys: {list(OVERRIDABLE_KEYS)}")
        if not isinstance(data, dict):
            raise MixError(f"{path}: a mix is a YAML mapping, got {type(data).__name__}")
        data = {**data, **overrides}
        source = f"{path} (with overrides {dict(sorted(overrides.items()))})"
    return mix_from_dict(data, source=source, default_name=os.path.splitext(os.path.basename(path))[0])


def is_mix_file(path: str | os.PathLike) -> bool:
    return os.fspath(path).endswith((".yaml", ".yml"))
