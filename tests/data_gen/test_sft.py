"""`data_gen sft`: worked solutions that score 1, a train/val split with disjoint ids, and a file
verl 0.9.1's own MultiTurnSFTDataset reads with the assistant turn (only) in the loss mask."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from veritas.envs import Task, verify

from .conftest import TASK_TYPES, all_types, ok, run_cli

PER_TYPE = 60


@pytest.fixture(scope="module")
def sft_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft")
    # --no-check: the writer's own scoring is off, so this test is the one that catches a bad reply.
    ok(run_cli("sft", "--task-types", all_types(), "--count", str(PER_TYPE * len(TASK_TYPES)), "--seed", "3",
               "--val-ratio", "0.1", "--out-dir", str(out), "--no-check", "--workers", "2"))
    return out


def rows(path):
    return pq.read_table(path).to_pylist()


def test_every_assistant_reply_scores_one(sft_dir):
    seen = set()
    for name in ("train.parquet", "val.parquet"):
        for i, row in enumerate(rows(sft_dir / name)):
            task = Task.from_json(row["extra_info"]["task"])
            roles = [m["role"] for m in row["messages"]]
            assert roles == ["user", "assistant"], (name, i, roles)
            user, assistant = row["messages"][0]["content"], row["messages"][1]["content"]
            assert user == row["prompt"] == task.prompt
            assert assistant == row["response"]
            assert len(assistant) > len(task.answer), "the reply is a worked solution, not the bare answer"
            verdict = verify(task, assistant)
            assert verdict.score == 1.0, (name, i, task.task_type, task.seed, verdict, assistant[-300:])
            assert row["data_source"] == task.task_type and row["ability"] == task.env
            seen.add(task.task_type)
    assert seen == set(TASK_TYPES), "every registered family appears in the file"


def test_train_and_val_are_split_by_ratio_with_disjoint_ids(sft_dir):
    train, val = rows(sft_dir / "train.parquet"), rows(sft_dir / "val.parquet")
    total = PER_TYPE * len(TASK_TYPES)
    assert len(val) == round(total * 0.1) and len(train) == total - len(val)
    for split, data in (("train", train), ("val", val)):
        assert [r["extra_info"]["index"] for r in data] == list(range(len(data)))
        assert {r["extra_info"]["split"] for r in data} == {split}
    key = lambda r: (r["ability"], r["extra_info"]["task_id"])  # noqa: E731
    train_ids, val_ids = {key(r) for r in train}, {key(r) for r in val}
    assert len(train_ids) == len(train) and len(val_ids) == len(val), "no task twice within a split"
    assert not train_ids & val_ids


def test_no_temporary_or_partial_files_are_left(sft_dir):
    assert sorted(p.name for p in sft_dir.iterdir()) == ["train.parquet", "val.parquet"]


def _check_item(tokenizer, item, messages):
    ids, mask = item["input_ids"].tolist(), item["loss_mask"].tolist()
    assert len(ids) == len(mask)
    first = mask.index(1)
    assert all(mask[first:]) and not any(mask[:first]), "one contiguous assistant block at the end"
    assistant = messages[-1]["content"]
    assert tokenizer.decode(ids[first:]) == assistant + "<|im_end|>\n"
    expected_prefix = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    assert tokenizer.decode(ids[:first]) == expected_prefix


@pytest.mark.parametrize("system_prompt", [None, "You solve puzzles. Show your work."])
def test_verl_multiturn_sft_dataset_reads_it_and_masks_only_the_assistant(tmp_path, tiny_tokenizer, system_prompt):
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    args = ["sft", "--task-types", all_types(), "--count", str(4 * len(TASK_TYPES)), "--val-ratio", "0",
            "--out-dir", str(tmp_path), "--workers", "1"]
    if system_prompt:
        args += ["--system-prompt", system_prompt]
    ok(run_cli(*args))
    path = tmp_path / "train.parquet"
    config = OmegaConf.create({"max_length": 1 << 16, "truncation": "error", "pad_mode": "no_padding",
                               "messages_key": "messages"})
    dataset = MultiTurnSFTDataset([str(path)], tiny_tokenizer, config)
    data = rows(path)
    assert len(dataset) == len(data) == 4 * len(TASK_TYPES)
    for i, row in enumerate(data):
        messages = row["messages"]
        assert (messages[0]["role"] == "system") == bool(system_prompt)
        _check_item(tiny_tokenizer, dataset[i], messages)


def test_right_padded_items_keep_the_mask_on_assistant_tokens(tmp_path, tiny_tokenizer):
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    ok(run_cli("sft", "--task-types", TASK_TYPES[0], "--count", "3", "--val-ratio", "0", "--out-dir", str(tmp_path),
               "--workers", "1"))
    config = OmegaConf.create({"max_length": 1 << 14, "truncation": "error", "messages_key": "messages"})
    dataset = MultiTurnSFTDataset([str(tmp_path / "train.parquet")], tiny_tokenizer, config)
    for i, row in enumerate(rows(tmp_path / "train.parquet")):
        item = dataset[i]
        mask, attn = item["loss_mask"].tolist(), item["attention_mask"].tolist()
        assert len(mask) == 1 << 14
        assert not any(m and not a for m, a in zip(mask, attn)), "no loss on padding"
        masked = [t for t, m in zip(item["input_ids"].tolist(), mask) if m]
        assert tiny_tokenizer.decode(masked) == row["messages"][-1]["content"] + "<|im_end|>\n"
