"""`data_gen rl`: verl's RL schema, read by verl 0.9.1's RLHFDataset; every ground truth scores 1
when the row is scored the way the reward function does it (task from extra_info, then verify)."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from data_gen.schemas import RL_SCHEMA
from veritas.envs import Task, verify, wrong_answers

from .conftest import TASK_TYPES, all_types, ok, run_cli


@pytest.fixture(scope="module")
def rl_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("rl")
    ok(run_cli("rl", "--task-types", all_types(), "--count", str(20 * len(TASK_TYPES)), "--seed", "11",
               "--val-ratio", "0.2", "--system-prompt", "Answer in the requested format.", "--out-dir", str(out),
               "--workers", "2"))
    return out


def score_row(row: dict, reply: str) -> float:
    """What the reward function does with a row: rebuild the task from extra_info, then verify."""
    return verify(Task.from_json(row["extra_info"]["task"]), reply).score


def test_schema_is_uniform_and_ground_truths_score_one(rl_dir):
    types = set()
    for name in ("train.parquet", "val.parquet"):
        table = pq.read_table(rl_dir / name)
        assert table.schema.remove_metadata().equals(RL_SCHEMA)
        for row in table.to_pylist():
            task = Task.from_json(row["extra_info"]["task"])
            assert row["data_source"] == task.task_type == row["extra_info"]["task_type"]
            assert row["ability"] == task.env
            assert row["prompt"] == [{"role": "system", "content": "Answer in the requested format."},
                                     {"role": "user", "content": task.prompt}]
            assert row["reward_model"] == {"style": "rule", "ground_truth": task.answer}
            assert score_row(row, row["reward_model"]["ground_truth"]) == 1.0
            for wrong in wrong_answers(task)[:2]:
                assert score_row(row, wrong) == 0.0
            types.add(task.task_type)
    assert types == set(TASK_TYPES)


def test_verl_rlhf_dataset_reads_it(rl_dir, tiny_tokenizer, datasets_cache):
    from omegaconf import OmegaConf
    from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

    config = OmegaConf.create({"max_prompt_length": 1 << 14, "cache_dir": str(datasets_cache / "verl"),
                               "filter_overlong_prompts": True})
    data = pq.read_table(rl_dir / "val.parquet").to_pylist()
    dataset = RLHFDataset(str(rl_dir / "val.parquet"), tiny_tokenizer, config)
    assert len(dataset) == len(data) > 0, "no prompt may be filtered out"
    items = [dataset[i] for i in range(len(dataset))]
    for i, (item, row) in enumerate(zip(items, data)):
        assert item["raw_prompt"] == row["prompt"]
        assert item["index"] == row["extra_info"]["index"] == i
        assert item["data_source"] == row["data_source"]
        assert item["reward_model"]["ground_truth"] == row["reward_model"]["ground_truth"]
        # verl's reward manager passes these four to compute_score:
        assert score_row(item, item["reward_model"]["ground_truth"]) == 1.0
    batch = collate_fn(items)
    assert batch["dummy_tensor"].shape[0] == len(items)
    assert list(batch["data_source"]) == [r["data_source"] for r in data]


def test_val_and_test_splits_never_share_tasks_with_train(rl_dir, tmp_path):
    ok(run_cli("rl", "--task-types", all_types(), "--count", str(10 * len(TASK_TYPES)), "--seed", "11",
               "--split", "test", "--out-dir", str(tmp_path), "--workers", "1"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.parquet"]
    ids = {}
    for path in (rl_dir / "train.parquet", rl_dir / "val.parquet", tmp_path / "test.parquet"):
        ids[path.stem] = {(r["ability"], r["extra_info"]["task_id"]) for r in pq.read_table(path).to_pylist()}
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]
