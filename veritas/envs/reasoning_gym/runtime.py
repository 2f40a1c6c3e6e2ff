"""Everything that touches the reasoning_gym package, imported on first use only (importing it costs
about 2 s and 115 MB), so that `veritas list` and our own families never pay for it.

One dataset object per (dataset, level) is built once and reseeded per task where the manifest
says that gives the same item as a fresh size-1 dataset with that seed ("reseed"); the others are
built per task. reasoning-gym's item idx of dataset seed s is drawn from Random(s + idx), which is
why seed s item 1 equals seed s+1 item 0: we only ever take item 0 of a seed drawn from the task's
own SHA-256 stream, so neighbouring task seeds never share an item.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import threading
from typing import Any

from veritas.envs.reasoning_gym.manifest import DATASETS

_datasets: dict[tuple[str, int], Any] = {}
_lock = threading.RLock()  # reentrant: dataset() takes it again inside raw_item's hold
_module = None


class ReasoningGymMissing(RuntimeError):
    pass


def rg_module():
    global _module
    if _module is None:
        try:
            import reasoning_gym
        except ImportError:
            raise ReasoningGymMissing(
                "rg.* task types need the optional reasoning-gym package: pip install -e '.[rg]'"
            ) from None
        _module = reasoning_gym
    return _module


def level_config(name: str, level: int) -> dict:
    return dict(DATASETS[name]["levels"][str(level)])


class SortedSet(frozenset):
    """A set that iterates in sorted order, and stays one under `-`: reasoning-gym draws with
    rng.choice(list(some_set)), whose order follows str hashing (PYTHONHASHSEED), so the same seed
    gave different items in different processes. Sorted, the draw is a function of the seed."""

    def __new__(cls, items=()):
        self = super().__new__(cls, items)
        self._order = tuple(sorted(frozenset.__iter__(self)))  # sorted once, iterated often (BFS)
        return self

    def __iter__(self):
        return iter(self._order)

    def __sub__(self, other):
        return SortedSet(frozenset.__sub__(self, other))


# Datasets whose only process-dependent draw is from their `letters` set (checked under three
# PYTHONHASHSEEDs); word_ladder's is the order of its precomputed neighbour sets. knight_swap
# iterates sets built inside its search, out of our reach: it stays excluded as nondeterministic.
SET_ORDER_DATASETS = frozenset({"isomorphic_strings", "ransom_note"})


def _canonicalise(name: str, ds: Any) -> Any:
    if name in SET_ORDER_DATASETS:  # self.letters: a set of str, drawn from through list()
        ds.letters = SortedSet(ds.letters)
    elif name == "word_ladder":  # its BFS walks each word's neighbour set: the first path found follows its order
        for graph in ds.word_graphs.values():
            for word, neighbours in graph.items():
                graph[word] = SortedSet(neighbours)
    return ds


def _create(name: str, level: int, seed: int):
    config = level_config(name, level)
    if name == "composite":  # its parts are DatasetSpec objects, JSON dicts in the manifest
        from reasoning_gym.composite import DatasetSpec

        config["datasets"] = [DatasetSpec(**spec) for spec in config["datasets"]]
    return _canonicalise(name, rg_module().create_dataset(name, seed=seed, size=1, **config))


def dataset(name: str, level: int):
    """The cached dataset object of (name, level): used for scoring, and for generation when the
    dataset can be reseeded in place."""
    key = (name, level)
    ds = _datasets.get(key)
    if ds is None:
        with _lock:
            ds = _datasets.get(key)
            if ds is None:
                ds = _create(name, level, 0)
                _datasets[key] = ds
    return ds


# Generators that print progress to stdout (bf's compiler prints dots): generating a task must not
# write into a JSONL stream on stdout (`veritas sample > tasks.jsonl`, the audit's second process).
PRINTS_TO_STDOUT = frozenset({"bf"})


# Generators that draw from the global `random` module (list_functions' generator 14 calls
# random.randint through create_random_odd_numbers): seeded from the item seed for the call and
# restored after, so the item is a function of its seed and no one else's global stream changes.
GLOBAL_RANDOM_DATASETS = frozenset({"list_functions"})


def raw_item(name: str, level: int, item_seed: int) -> dict:
    """Item 0 of reasoning-gym's dataset `name` at our `level` with dataset seed item_seed."""
    if name in PRINTS_TO_STDOUT:
        with _lock, contextlib.redirect_stdout(io.StringIO()):
            return _raw_item(name, level, item_seed, locked=True)
    if name in GLOBAL_RANDOM_DATASETS:
        with _lock:
            state = random.getstate()
            random.seed(item_seed)
            try:
                return _raw_item(name, level, item_seed, locked=True)
            finally:
                random.setstate(state)
    return _raw_item(name, level, item_seed, locked=False)


def _raw_item(name: str, level: int, item_seed: int, locked: bool) -> dict:
    if DATASETS[name]["reseed"]:
        ds = dataset(name, level)
        with contextlib.nullcontext() if locked else _lock:  # reseed and read must not interleave
            ds.seed = item_seed
            ds.config.seed = item_seed
            return ds[0]
    return _create(name, level, item_seed)[0]


def _not_json(obj: Any) -> Any:
    raise TypeError


# Built once: json.dumps with any keyword argument builds a new encoder per call, which costs more
# than encoding a small metadata dict.
_ENCODE = json.JSONEncoder(allow_nan=False, default=_not_json).encode
_DECODE = json.JSONDecoder().decode


def to_json_value(obj: Any) -> Any:
    """to_json_value_slow(obj), through the C JSON codec when the metadata is plain JSON already
    (most is; the walk in Python costs more than many generators)."""
    try:
        return _DECODE(_ENCODE(obj))
    except (TypeError, ValueError):
        return to_json_value_slow(obj)


def to_json_value_slow(obj: Any) -> Any:
    """reasoning-gym metadata as JSON types: tuples and sets become lists (sets sorted by repr, so
    the order is the same in every process), numpy values become Python ones, other objects their
    str()."""
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, dict):
        return {str(k): to_json_value_slow(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_value_slow(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_json_value_slow(v) for v in sorted(obj, key=repr)]
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return to_json_value_slow(tolist())
    return str(obj)


def item(name: str, level: int, item_seed: int) -> dict:
    raw = raw_item(name, level, item_seed)
    return {
        "question": str(raw["question"]),
        "answer": None if raw.get("answer") is None else str(raw["answer"]),
        "metadata": to_json_value(raw.get("metadata") or {}),
    }


def solved_reference(name: str, level: int, entry: dict) -> str | None:
    """Our solver's reference answer for an item reasoning-gym gives none for, kept only when
    reasoning-gym's own scorer gives it 1.0 (reference_solvers.py)."""
    from veritas.envs.reasoning_gym.reference_solvers import SOLVERS

    answer = SOLVERS[name](entry["metadata"])
    if answer is None:
        return None
    return answer if score(name, level, answer, {**entry, "answer": answer}) >= 1.0 else None


# Datasets whose scorer compares the reply with metadata held as tuples (grids as tuples of
# tuples): JSON made them lists, so they are turned back into tuples for scoring.
TUPLE_METADATA = frozenset({"arc_agi", "rearc"})


def _tuples(obj: Any) -> Any:
    if isinstance(obj, list):
        return tuple(_tuples(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _tuples(v) for k, v in obj.items()}
    return obj


def score(name: str, level: int, answer: str, entry: dict) -> float:
    """reasoning-gym's own score_answer on the JSON form of the item."""
    if name in TUPLE_METADATA:
        entry = {**entry, "metadata": _tuples(entry["metadata"])}
    value = dataset(name, level).score_answer(answer, entry)
    return float(value) if value is not None else 0.0
