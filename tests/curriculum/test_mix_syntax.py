"""`difficulty: {adaptive: ...}` in mix files: parsing, defaults, clear errors."""

from __future__ import annotations

import pytest

from veritas.mixes import Adaptive, MixError, load_mix, mix_from_dict

TYPES = ["sudoku", "operation"]


def mix(difficulty, split="train", entry_difficulty=None):
    first = {"task_type": "sudoku"} if entry_difficulty is None else {"task_type": "sudoku", "difficulty": entry_difficulty}
    return mix_from_dict({"split": split, "size": 1000, "difficulty": difficulty, "tasks": [first, "operation"]},
                         source="m.yaml")


def test_on_the_mix_and_on_one_entry():
    m = mix({"adaptive": {"target": [0.2, 0.8], "start": 2, "window": 64}})
    assert m.adaptive == {t: Adaptive(0.2, 0.8, 2, 64) for t in TYPES}
    assert m.has_curriculum
    m = mix(3, entry_difficulty={"adaptive": {"start": 4}})
    assert m.adaptive == {"sudoku": Adaptive(0.3, 0.7, 4, 512)}  # defaults for the rest
    items = [m.item(i, levels={"sudoku": 1, "operation": 5}) for i in range(40)]
    assert {it.difficulty for it in items if it.task_type == "sudoku"} == {1}
    assert {it.difficulty for it in items if it.task_type == "operation"} == {3}  # fixed entries ignore levels
    assert {m.item(i).difficulty for i in range(40) if m.item(i).task_type == "sudoku"} == {4}  # start level


@pytest.mark.parametrize("value, message", [
    ({"adaptive": {"target": [0.7, 0.3]}}, "adaptive.target: need 0 < low < high < 1"),
    ({"adaptive": {"target": 0.5}}, "adaptive.target: expected [low, high]"),
    ({"adaptive": {"target": [0, 0.5]}}, "need 0 < low < high < 1"),
    ({"adaptive": {"start": 6}}, "adaptive.start: must be one of"),
    ({"adaptive": {"start": True}}, "adaptive.start"),
    ({"adaptive": {"window": 0}}, "adaptive.window: must be a positive int"),
    ({"adaptive": {"window": 1.5}}, "adaptive.window"),
    ({"adaptive": {"windows": 5}}, "unknown key(s) ['windows']"),
    ({"adaptive": [1, 2]}, "expected a mapping"),
    ({"adaptive": {}, "start": 1}, "adaptive difficulty is {adaptive: {target, start, window}} alone"),
])
def test_bad_settings_name_the_file_and_key(value, message):
    with pytest.raises(MixError) as err:
        mix(value)
    assert "m.yaml: difficulty" in str(err.value) and message in str(err.value)
    with pytest.raises(MixError) as err:
        mix(2, entry_difficulty=value)
    assert "m.yaml: tasks[0].difficulty" in str(err.value)


def test_only_train_mixes_adapt():
    with pytest.raises(MixError, match="adaptive is for train mixes"):
        mix({"adaptive": {}}, split="val")


def test_shipped_adaptive_mixes_load():
    train = load_mix("train/mixes/lgc-v2-adaptive-train.yaml")
    val = load_mix("train/mixes/lgc-v2-adaptive-val.yaml")
    assert set(train.adaptive) == set(train.task_types) == set(val.task_types)
    assert all(a == Adaptive(0.3, 0.7, 1, 512) for a in train.adaptive.values())
    assert val.split == "val" and not val.adaptive
    # the launcher's per-split override can replace the whole difficulty (the smoke does)
    low = load_mix("train/mixes/lgc-v2-adaptive-train.yaml", {"difficulty": {"adaptive": {"start": 3, "window": 1}}})
    assert {a.start for a in low.adaptive.values()} == {3}
