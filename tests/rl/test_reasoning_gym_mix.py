"""A mix of our own families and reasoning-gym's rg.* types, through verl 0.9.1's dataset factory
and our compute_score, plus the mix-level `partial_credit` switch."""

from __future__ import annotations

import pytest

from tests.native import native_task_types
from tests.rl.helpers import compose_verl_config, grpo_overrides, write_mix
from veritas.envs import Task, list_task_types, verify
from veritas.mixes import MixError, load_mix
from veritas.rl.reward import compute_score

pytestmark = pytest.mark.slow

RG_TYPES = ["rg.basic_arithmetic", "rg.word_sorting", "rg.cryptarithm", "rg.mini_sudoku"]


def _mix(tmp_path, name: str, split: str, size: int, **entry_options) -> str:
    tasks = [{"task_type": t, "weight": 1} for t in native_task_types()[:3]]
    tasks += [{"task_type": t, "weight": 1, **entry_options} for t in RG_TYPES]
    return write_mix(tmp_path / f"{name}.yaml", name=name, split=split, size=size, seed=5, difficulty="mixed",
                     tasks=tasks)


def test_the_rg_types_of_this_test_pass_their_audit():
    assert set(RG_TYPES) <= set(list_task_types())


def test_mixed_rows_load_through_verls_factory_and_score(in_repo, tmp_path, tiny_model_dir, tiny_tokenizer):
    from verl.trainer.ppo.utils import create_rl_dataset

    train, val = _mix(tmp_path, "mixed-train", "train", 10_000), _mix(tmp_path, "mixed-val", "val", 40)
    config = compose_verl_config(grpo_overrides(train, val, 100_000, tiny_model_dir))
    dataset = create_rl_dataset(config.data.train_files, config.data, tiny_tokenizer, None, is_train=True)
    assert type(dataset).__name__ == "DynamicEnvDataset" and len(dataset) == 10_000
    seen = set()
    for index in range(60):
        row = dataset[index]
        task = Task.from_json(row["extra_info"]["task"])
        seen.add(task.task_type)
        right = compute_score(row["data_source"], task.answer, row["reward_model"]["ground_truth"], row["extra_info"])
        wrong = compute_score(row["data_source"], "Answer: certainly not this", task.answer, row["extra_info"])
        assert right["score"] == 1.0 and right["acc"] == 1.0 and right["task_type"] == task.task_type
        assert wrong["score"] == 0.0 and wrong["acc"] == 0.0
    assert seen & set(RG_TYPES) and seen - set(RG_TYPES), f"both kinds of family in 60 rows: {sorted(seen)}"


def test_partial_credit_only_when_the_mix_asks(tmp_path):
    binary = load_mix(_mix(tmp_path, "binary", "train", 1000))
    partial = load_mix(_mix(tmp_path, "partial", "train", 1000, partial_credit=True))
    index = next(i for i in range(1000) if binary.item(i).task_type == "rg.basic_arithmetic")
    task_b, task_p = binary.generate(index), partial.generate(index)
    assert task_p.metadata["partial_credit"] is True and "partial_credit" not in task_b.metadata
    assert task_b.prompt == task_p.prompt
    ref = task_b.metadata["entry"]["answer"]
    padded = f"Answer: {ref} and 0"  # reasoning-gym gives len(ref)/len(reply) for this
    assert verify(task_b, padded).score == 0.0
    assert 0.0 < verify(task_p, padded).score < 1.0
    assert verify(task_p, task_p.answer).score == 1.0


def test_partial_credit_is_refused_for_our_own_families(tmp_path):
    path = write_mix(tmp_path / "bad.yaml", split="train", size=10,
                     tasks=[{"task_type": native_task_types()[0], "partial_credit": True}])
    with pytest.raises(MixError, match=r"tasks\[0\]: partial_credit is only available for reasoning-gym"):
        load_mix(path)
    path = write_mix(tmp_path / "bad2.yaml", split="train", size=10,
                     tasks=[{"task_type": "rg.basic_arithmetic", "partial_credit": "yes"}])
    with pytest.raises(MixError, match="partial_credit must be true or false"):
        load_mix(path)
