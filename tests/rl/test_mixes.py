"""Mixes: item i is a pure function of (mix, i); splits never share a task; the shipped files."""

from __future__ import annotations

import dataclasses
import glob
import os
from collections import Counter

import pytest
import yaml

from tests.rl.helpers import REPO, registered_mix, write_mix
from tests.native import native_task_types
from veritas.mixes import (
    SPLIT_BLOCKS,
    Curriculum,
    MixError,
    load_mix,
    max_size,
    mix_from_dict,
)

TYPES = native_task_types()
SHIPPED = sorted(glob.glob(str(REPO / "train" / "mixes" / "*.yaml")))


def test_the_required_mix_files_ship():
    names = {os.path.basename(p) for p in SHIPPED}
    for stem in ("lgc-v2", "trace", "lgc-v2-trace"):
        assert {f"{stem}-train.yaml", f"{stem}-val.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_shipped_mix_loads_or_names_its_missing_family(path):
    with open(path, encoding="utf-8") as fh:
        declared = [e["task_type"] for e in yaml.safe_load(fh)["tasks"]]
    missing = [t for t in declared if t not in TYPES]
    if missing:
        # Families land one by one; until then the file must say which one it lacks.
        with pytest.raises(MixError, match=f"unknown task_type {missing[0]!r}"):
            load_mix(path)
        return
    mix = load_mix(path)
    assert mix.task_types == declared
    assert mix.name == os.path.basename(path)[: -len(".yaml")]
    if mix.split == "val":
        assert mix.size <= 1024, "verl validates the whole val set in one batch"
    else:
        assert mix.split == "train" and mix.size >= 100_000
    tasks = [mix.generate(i) for i in range(0, mix.size, max(1, mix.size // 40))]
    assert {t.task_type for t in tasks} <= set(declared)


@pytest.mark.parametrize("stem", ["lgc-v2", "trace", "lgc-v2-trace"])
def test_shipped_train_and_val_twins_match(stem):
    docs = {}
    for split in ("train", "val"):
        with open(REPO / "train" / "mixes" / f"{stem}-{split}.yaml", encoding="utf-8") as fh:
            docs[split] = yaml.safe_load(fh)
    assert docs["train"]["split"] == "train" and docs["val"]["split"] == "val"
    assert docs["train"]["tasks"] == docs["val"]["tasks"]


def _mix(split="train", size=10_000, seed=0, **extra):
    return mix_from_dict(registered_mix(split, size, seed, **extra), source="test")


def test_item_is_a_pure_function_of_mix_and_index():
    a, b = _mix(seed=5), _mix(seed=5)
    idx = [0, 1, 2, 999, 5000, 9999]
    assert [a.item(i) for i in idx] == [b.item(i) for i in idx]
    assert [a.generate(i).to_json() for i in idx[:3]] == [b.generate(i).to_json() for i in idx[:3]]
    assert [a.item(i) for i in idx] != [_mix(seed=6).item(i) for i in idx]


def test_no_two_items_or_candidates_share_a_seed():
    mix = _mix(size=2_000)
    seen = set()
    for i in range(mix.size):
        for k in range(3):
            seen.add(mix.item(i, k).seed)
    assert len(seen) == 3 * mix.size
    lo, hi = SPLIT_BLOCKS["train"]
    assert all(lo <= s < hi for s in seen)


def test_a_candidate_keeps_the_task_type_and_difficulty_rule():
    mix = _mix(size=500)
    for i in range(0, 500, 7):
        first = mix.item(i)
        for k in (1, 2, mix.max_candidates - 1):
            other = mix.item(i, k)
            assert (other.task_type, other.difficulty) == (first.task_type, first.difficulty)
    with pytest.raises(IndexError, match="candidate"):
        mix.item(0, mix.max_candidates)
    with pytest.raises(IndexError, match="outside mix"):
        mix.item(500)


def test_train_val_and_test_never_share_a_task():
    ids = {}
    for split in SPLIT_BLOCKS:
        mix = _mix(split=split, size=3_000, seed=1)
        ids[split] = {(it.task_type, it.seed) for it in (mix.item(i, k) for i in range(mix.size) for k in range(2))}
    assert not ids["train"] & ids["val"]
    assert not ids["train"] & ids["test"]
    assert not ids["val"] & ids["test"]


def test_weights_set_the_proportions():
    types = TYPES[:3]
    weights = [1, 2, 3][: len(types)]
    mix = mix_from_dict({"split": "train", "size": 30_000,
                         "tasks": [{"task_type": t, "weight": w} for t, w in zip(types, weights)]})
    counts = Counter(mix.item(i).task_type for i in range(mix.size))
    total = sum(weights)
    for t, w in zip(types, weights):
        assert abs(counts[t] / mix.size - w / total) < 0.015, counts


def test_difficulty_fixed_mixed_and_per_entry():
    types = TYPES[:2]
    tasks = [{"task_type": types[0]}] + ([{"task_type": types[1], "difficulty": 4}] if len(types) > 1 else [])
    mix = mix_from_dict({"split": "train", "size": 2_000, "difficulty": 2, "tasks": tasks})
    for i in range(200):
        it = mix.item(i)
        assert it.difficulty == (2 if it.task_type == types[0] else 4)
    mixed = mix_from_dict({"split": "train", "size": 2_000, "tasks": [types[0]]})
    assert {mixed.item(i).difficulty for i in range(50)} == {None}
    assert {mixed.generate(i).difficulty for i in range(200)} == {1, 2, 3, 4, 5}


def test_curriculum_levels_take_equal_stages_then_hold():
    c = Curriculum(1, 5, 1000)
    assert [c.level(i) for i in (0, 199, 200, 399, 400, 799, 800, 999, 1000, 10**6)] == [1, 1, 2, 2, 3, 4, 5, 5, 5, 5]
    stages = Counter(c.level(i) for i in range(1000))
    assert set(stages.values()) == {200}
    down = Curriculum(4, 2, 300)
    assert [down.level(i) for i in (0, 99, 100, 200, 5000)] == [4, 4, 3, 2, 2]
    assert Curriculum(3, 3, 10).level(7) == 3


def test_curriculum_mix_ramps_with_the_item_index():
    mix = _mix(size=10_000, difficulty={"start": 1, "end": 5, "over_items": 5_000})
    assert mix.has_curriculum
    assert [mix.item(i).difficulty for i in (0, 999, 1000, 2500, 4999, 5000, 9999)] == [1, 1, 2, 3, 5, 5, 5]
    assert mix.generate(4_999).difficulty == 5
    assert mix.item(3, 2).difficulty == mix.item(3).difficulty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": 0}, "size must be an int"),
        ({"size": 10**9}, "size must be an int"),
        ({"split": "dev"}, "split must be one of"),
        ({"seed": -1}, "seed must be a non-negative int"),
        ({"difficulty": 6}, "difficulty must be one of"),
        ({"difficulty": {"start": 1, "end": 5}}, "curriculum needs exactly"),
        ({"difficulty": {"start": 1, "end": 9, "over_items": 5}}, "curriculum end"),
        ({"tasks": []}, "tasks must be a non-empty list"),
        ({"tasks": [{"task_type": "no_such_type"}]}, "unknown task_type 'no_such_type'"),
        ({"tasks": [{"task_type": TYPES[0], "weight": 0}]}, "weight must be a positive number"),
        ({"tasks": [{"task_type": TYPES[0], "share": 1}]}, r"unknown key\(s\) \['share'\]"),
        ({"tasks": [TYPES[0], TYPES[0]]}, "listed twice"),
        ({"shuffle": True}, r"unknown key\(s\) \['shuffle'\]"),
    ],
)
def test_bad_mixes_name_the_key(tmp_path, change, message):
    path = write_mix(tmp_path / "bad.yaml", **{**registered_mix("train", 100), **change})
    with pytest.raises(MixError, match=message) as err:
        load_mix(path)
    assert str(err.value).startswith(path)


def test_overrides_replace_top_level_keys_only(tmp_path):
    path = write_mix(tmp_path / "m.yaml", **registered_mix("val", 100))
    assert load_mix(path, {"size": 7, "seed": 3}).size == 7
    assert load_mix(path, {"size": 7}).name == "m"
    with pytest.raises(MixError, match=r"with overrides \{'size': -1\}.*size must be"):
        load_mix(path, {"size": -1})
    with pytest.raises(MixError, match=r"cannot override \['split'\]"):
        load_mix(path, {"split": "train"})


def test_replace_revalidates_and_rederives():
    mix = _mix(size=1_000)
    val = dataclasses.replace(mix, split="val", size=10)
    lo, hi = SPLIT_BLOCKS["val"]
    assert all(lo <= val.item(i).seed < hi for i in range(10))
    with pytest.raises(MixError, match="size must be"):
        dataclasses.replace(mix, size=max_size("val") + 1, split="val")


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(MixError, match="cannot read mix file"):
        load_mix(tmp_path / "absent.yaml")
    bad = tmp_path / "broken.yaml"
    bad.write_text("tasks: [unclosed", encoding="utf-8")
    with pytest.raises(MixError, match="not valid YAML"):
        load_mix(bad)
