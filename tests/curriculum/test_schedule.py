"""The dataset side: decisions at batch boundaries, the decision log, and the state round trip
through verl's own dataloader (StatefulDataLoader, verl's sampler and collate_fn)."""

from __future__ import annotations

import copy

import pytest

from tests.rl.helpers import REPO, compose_verl_config, grpo_overrides, write_mix
from veritas.curriculum.hub import CurriculumHub
from veritas.curriculum.schedule import AdaptiveSchedule, write_snapshot
from veritas.envs import Task
from veritas.mixes import mix_from_dict

TYPES = ["sudoku", "operation", "game_of_24"]
ADAPTIVE = {"adaptive": {"target": [0.3, 0.7], "start": 3, "window": 4}}


def adaptive_mix(**over):
    return mix_from_dict({"name": "adapt", "split": "train", "size": 10_000, "seed": 1, "difficulty": ADAPTIVE,
                          "tasks": TYPES, **over})


def score(hub: CurriculumHub, mix, schedule, batch: int, batch_size: int, acc: float) -> None:
    """What the reward workers would report for one batch (two replies per prompt)."""
    for i in range(batch * batch_size, (batch + 1) * batch_size):
        it = mix.item(i, levels=schedule.levels_at(batch))
        hub.add([(i, it.task_type, it.difficulty, acc, acc)] * 2)


def test_levels_change_only_at_batch_boundaries_and_are_logged():
    mix, hub = adaptive_mix(), CurriculumHub("h")
    schedule = AdaptiveSchedule(mix, batch_size=8, read_counts=hub.snapshot, hub_name="h")
    first = [schedule.levels_for(i) for i in range(8)]
    assert all(lv == {t: 3 for t in TYPES} for lv in first)
    score(hub, mix, schedule, 0, 8, 0.0)  # a model that fails everything
    inside = schedule.levels_for(7)  # still batch 0: no decision mid-batch
    assert inside == {t: 3 for t in TYPES}
    after = schedule.levels_for(8)
    lowered = {t for t, lvl in after.items() if lvl == 2}
    assert lowered and all(schedule.levels_for(i) == after for i in range(8, 16))
    assert schedule.log == [(1, after)]
    assert schedule.levels_at(0) == {t: 3 for t in TYPES}  # the past stays replayable


def test_item_is_a_function_of_mix_index_and_decisions():
    mix, hub = adaptive_mix(), CurriculumHub("h")
    live = AdaptiveSchedule(mix, 8, read_counts=hub.snapshot)
    for b in range(6):
        live.levels_for(b * 8)
        score(hub, mix, live, b, 8, 0.0 if b < 3 else 1.0)
    replay = AdaptiveSchedule(mix, 8)  # no counts at all: only the decision log
    replay.load_state_dict(copy.deepcopy(live.state_dict()))
    for i in range(48):
        b = i // 8
        assert mix.generate(i, levels=live.levels_at(b)) == mix.generate(i, levels=replay.levels_at(b))


def test_unreadable_counts_keep_the_last_levels():
    mix = adaptive_mix()
    schedule = AdaptiveSchedule(mix, 4, read_counts=lambda: None)
    assert [schedule.levels_for(i * 4) for i in range(10)] == [{t: 3 for t in TYPES}] * 10


def test_a_new_hub_after_resume_starts_its_counts_at_zero():
    mix = adaptive_mix()
    old, new = CurriculumHub("old"), CurriculumHub("new")
    first = AdaptiveSchedule(mix, 8, read_counts=old.snapshot)
    first.levels_for(0)
    score(old, mix, first, 0, 8, 0.5)
    first.levels_for(8)
    resumed = AdaptiveSchedule(mix, 8, read_counts=new.snapshot)
    resumed.load_state_dict(first.state_dict())
    score(new, mix, resumed, 2, 8, 0.0)  # fewer replies in the new hub than seen in the old one
    resumed.levels_for(16)
    assert resumed.seen_hub == "new" and any(lvl == 2 for lvl in resumed.levels_at(2).values())


# ---- through verl's dataloader -------------------------------------------------------------------

@pytest.fixture
def adaptive_config(tmp_path, tiny_model_dir, monkeypatch):
    monkeypatch.chdir(REPO)  # verl loads the plug-in files by relative path, as the launcher runs
    train = write_mix(tmp_path / "adapt-train.yaml", name="adapt-train", split="train", size=100_000, seed=2,
                      difficulty=ADAPTIVE, tasks=TYPES)
    val = write_mix(tmp_path / "adapt-val.yaml", name="adapt-val", split="val", size=8, tasks=TYPES)
    return compose_verl_config(grpo_overrides(train, val, 4096, tiny_model_dir))


def build_train(config, tokenizer):
    from verl.trainer.ppo.utils import create_rl_dataset

    return create_rl_dataset(config.data.train_files, config.data, tokenizer, None, is_train=True, max_samples=-1)


def loader(dataset, config, workers):
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.trainer.ppo.utils import create_rl_sampler
    from verl.utils.dataset.rl_dataset import collate_fn

    return StatefulDataLoader(dataset=dataset, batch_size=config.data.train_batch_size, num_workers=workers,
                              drop_last=True, collate_fn=collate_fn, sampler=create_rl_sampler(config.data, dataset))


def levels_of(batch) -> list[tuple[str, int]]:
    return [(t, Task.from_json(x["task"]).difficulty) for t, x in zip(batch["data_source"], batch["extra_info"])]


@pytest.mark.parametrize("workers", [0, 2])
def test_verl_dataloader_resume_gives_identical_next_batches(adaptive_config, tiny_tokenizer, workers):
    """Counts arrive through the snapshot file (what the trainer's poller writes), are read by the
    dataset in the dataloader's worker subprocesses, lower the levels, and the dataloader state
    (verl's data.pt) resumes the exact stream."""
    dataset = build_train(adaptive_config, tiny_tokenizer)
    (src,) = dataset.sources
    hub = CurriculumHub("h-test")
    hub.add([(0, t, 3, 0.0, 0.0) for t in TYPES for _ in range(4)])  # every type failed 4 times at level 3
    write_snapshot(src.schedule.read_counts.path, hub.snapshot())
    try:
        dl = loader(dataset, adaptive_config, workers)
        it = iter(dl)
        first = [next(it) for _ in range(3)]
        assert {lvl for b in first for _, lvl in levels_of(b)} == {2}, "the counts must have lowered every type"
        state = dl.state_dict()
        expected = [next(it) for _ in range(2)]
        resumed = loader(build_train(adaptive_config, tiny_tokenizer), adaptive_config, workers)
        resumed.load_state_dict(state)
        rit = iter(resumed)
        got = [next(rit) for _ in range(2)]
        for a, b in zip(got, expected):
            assert list(a["index"]) == list(b["index"])
            assert [x["task"] for x in a["extra_info"]] == [x["task"] for x in b["extra_info"]]
        if workers == 0:
            saved = state["dataset_state"]["curriculum"]["0:adapt-train"]
            assert {s["level"] for s in saved["controller"].values()} == {2} and saved["log"][0][0] == 0
    finally:
        import os
        os.unlink(src.schedule.read_counts.path)


def test_dataset_config_errors_name_the_key(tmp_path):
    from veritas.rl.dataset import DatasetConfigError, DynamicEnvDataset

    path = write_mix(tmp_path / "a.yaml", name="a", split="train", size=100, difficulty=ADAPTIVE, tasks=TYPES)
    with pytest.raises(DatasetConfigError, match="needs data.train_batch_size"):
        DynamicEnvDataset(path, config={})
    with pytest.raises(DatasetConfigError, match="set data.shuffle=false"):
        DynamicEnvDataset(path, config={"train_batch_size": 4, "shuffle": True})
    with pytest.raises(DatasetConfigError, match="data.train_batch_size must be a positive int"):
        DynamicEnvDataset(path, config={"train_batch_size": 0})
