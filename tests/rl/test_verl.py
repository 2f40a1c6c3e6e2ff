"""The plug-ins through verl 0.9.1's own code, on CPU: its config schema (Hydra, verl's YAML), its
dataset factory, sampler, StatefulDataLoader and collate_fn, and its naive reward manager."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import torch
import yaml

from tests.rl.helpers import compose_verl_config, grpo_overrides
from veritas import rows
from veritas.envs import Task, generate, wrong_answers
from veritas.rl.dataset import task_row
from veritas.rl.reward import METRIC_KEYS, RewardRowError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def verl_config(mix_pair, tiny_model_dir):
    train, val = mix_pair
    return compose_verl_config(grpo_overrides(train, val, 2048, tiny_model_dir) + ["+data.veritas.val.size=40"])


def build(config, tokenizer, split: str):
    from verl.trainer.ppo.utils import create_rl_dataset

    files = config.data.train_files if split == "train" else config.data.val_files
    return create_rl_dataset(files, config.data, tokenizer, None, is_train=split == "train",
                             max_samples=config.data.get(f"{split}_max_samples", -1))


def train_loader(dataset, config):
    """The train dataloader exactly as verl's v1 trainer builds it (trainer_base._init_dataloader)."""
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.trainer.ppo.utils import create_rl_sampler
    from verl.utils.dataset.rl_dataset import collate_fn

    return StatefulDataLoader(dataset=dataset, batch_size=config.data.train_batch_size,
                              num_workers=config.data.dataloader_num_workers, drop_last=True,
                              collate_fn=collate_fn, sampler=create_rl_sampler(config.data, dataset))


def test_verl_factory_loads_our_class_by_path(in_repo, verl_config, tiny_tokenizer, data_gen_parquet):
    from verl.utils.dataset.rl_dataset import get_dataset_class

    cls = get_dataset_class(verl_config.data)
    assert cls.__name__ == "DynamicEnvDataset" and cls.__module__ == "veritas.rl.dataset"
    by_package = verl_config.data.copy()
    by_package.custom_cls.path = "pkg://veritas.rl.dataset"
    assert get_dataset_class(by_package) is cls
    train, val = build(verl_config, tiny_tokenizer, "train"), build(verl_config, tiny_tokenizer, "val")
    assert type(train) is cls and type(val) is cls
    assert len(train) == 100_000
    assert len(val) == 40  # +data.veritas.val.size, read from the data section verl passes
    assert train.settings.max_prompt_length == 2048
    row = val[3]
    assert row["extra_info"]["split"] == "val" and row["extra_info"]["mix"] == "all-val"

    # static data from data_gen, through the same class and the same keys
    train_parquet, val_parquet = data_gen_parquet
    static_config = compose_verl_config(grpo_overrides(train_parquet, val_parquet, 4096,
                                                       verl_config.actor_rollout_ref.model.path))
    static_train, static_val = build(static_config, tiny_tokenizer, "train"), build(static_config, tiny_tokenizer, "val")
    assert type(static_train) is cls and (len(static_train), len(static_val)) == (54, 6)
    for row in (static_train[0], static_train[53], static_val[5]):
        task = Task.from_json(row["extra_info"]["task"])
        assert task == generate(task.task_type, task.seed, task.difficulty, task.language)
        assert row["raw_prompt"] == rows.chat_prompt(task) and row["reward_model"]["ground_truth"] == task.answer


def test_verl_max_samples_keys_cap_the_length(in_repo, mix_pair, tiny_model_dir, tiny_tokenizer):
    train, val = mix_pair
    config = compose_verl_config(grpo_overrides(train, val, 2048, tiny_model_dir)
                                 + ["data.train_max_samples=64", "data.val_max_samples=5"])
    assert len(build(config, tiny_tokenizer, "train")) == 64
    assert len(build(config, tiny_tokenizer, "val")) == 5


def test_dataloader_two_workers_resume_and_split_disjointness(in_repo, verl_config, tiny_tokenizer):
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.utils.dataset.rl_dataset import collate_fn

    train = build(verl_config, tiny_tokenizer, "train")
    loader = train_loader(train, verl_config)
    it = iter(loader)
    batches = [next(it) for _ in range(5)]
    for batch in batches:
        assert batch["dummy_tensor"].shape == (16, 1)
        assert isinstance(batch["raw_prompt"], np.ndarray) and batch["raw_prompt"].dtype == object
    ids = [(ds, info["task_id"]) for b in batches for ds, info in zip(b["data_source"], b["extra_info"])]
    assert len(ids) == 80 and len(set(ids)) == 80, "two workers must never produce the same task"
    # data.shuffle=false: the item index is the position in the stream (what a curriculum relies on)
    assert [i for b in batches for i in b["index"]] == list(range(80))

    state = loader.state_dict()
    expected = next(it)
    resumed = train_loader(build(verl_config, tiny_tokenizer, "train"), verl_config)
    resumed.load_state_dict(state)
    got = next(iter(resumed))
    assert list(got["index"]) == list(expected["index"]) == list(range(80, 96))
    assert [x["task"] for x in got["extra_info"]] == [x["task"] for x in expected["extra_info"]]
    assert torch.equal(got["dummy_tensor"], expected["dummy_tensor"])

    val = build(verl_config, tiny_tokenizer, "val")
    # verl's validation loader: the whole val set in one batch (data.val_batch_size unset)
    val_batches = list(StatefulDataLoader(dataset=val, batch_size=verl_config.data.val_batch_size or len(val),
                                          num_workers=2, shuffle=verl_config.data.validation_shuffle,
                                          drop_last=False, collate_fn=collate_fn))
    assert len(val_batches) == 1
    val_batch = val_batches[0]
    val_ids = {(ds, info["task_id"]) for ds, info in zip(val_batch["data_source"], val_batch["extra_info"])}
    seen = set(ids) | {(ds, info["task_id"]) for ds, info in zip(expected["data_source"], expected["extra_info"])}
    assert len(val_ids) == len(val) and not val_ids & seen


# ---------------------------------------------------------------- reward, through verl's reward loop


def reward_batch(tokenizer, items, replies, prompt_len=8, response_len=400):
    """A DataProto shaped like a rollout's output: left-padded prompts, right-padded responses."""
    from verl import DataProto

    pad = tokenizer.pad_token_id
    prompts = torch.full((len(items), prompt_len), pad)
    responses = torch.full((len(items), response_len), pad)
    mask = torch.zeros((len(items), prompt_len + response_len), dtype=torch.long)
    for i, reply in enumerate(replies):
        ids = tokenizer(reply, add_special_tokens=False)["input_ids"][:response_len]
        assert tokenizer.decode(ids, skip_special_tokens=True) == reply, "the tiny tokenizer must round-trip replies"
        responses[i, : len(ids)] = torch.tensor(ids)
        mask[i, :prompt_len] = 1
        mask[i, prompt_len: prompt_len + len(ids)] = 1
    obj = lambda key: np.array([r[key] for r in items], dtype=object)  # noqa: E731
    return DataProto.from_dict(
        tensors={"prompts": prompts, "responses": responses, "attention_mask": mask},
        non_tensors={"data_source": obj("data_source"), "reward_model": obj("reward_model"),
                     "extra_info": obj("extra_info")},
    )


def run_naive(config, tokenizer, data):
    """verl's naive reward manager with our function, loaded the way its RewardLoopWorker loads it."""
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager
    from verl.trainer.ppo.reward import load_reward_manager

    manager = load_reward_manager(config, tokenizer)
    assert isinstance(manager, NaiveRewardManager)

    async def all_rows():
        return await asyncio.gather(*(manager.run_single(data[i: i + 1]) for i in range(len(data))))

    return manager.loop.run_until_complete(all_rows())


def test_naive_reward_manager_scores_through_our_function(in_repo, verl_config, tiny_tokenizer):
    from verl.trainer.ppo.reward import get_custom_reward_fn

    fn = get_custom_reward_fn(verl_config)
    assert fn.args[0].__module__ == "veritas.rl.reward"  # loaded by path, pickles by module reference
    val = build(verl_config, tiny_tokenizer, "val")
    batch_rows, replies, expect = [], [], []
    for i in range(12):
        row = val[i]
        task = Task.from_json(row["extra_info"]["task"])
        misses = [w for w in wrong_answers(task) if w.isascii()] or ["no answer here"]
        for reply, right in ((task.answer, 1.0), (misses[0], 0.0), ("", 0.0)):
            batch_rows.append(row)
            replies.append(reply)
            expect.append(right)
    outputs = run_naive(verl_config, tiny_tokenizer, reward_batch(tiny_tokenizer, batch_rows, replies))
    assert [o["reward_score"] for o in outputs] == expect
    for out, row, right in zip(outputs, batch_rows, expect):
        info = out["reward_extra_info"]
        assert tuple(info) == METRIC_KEYS
        assert info["acc"] == right and info["task_type"] == row["data_source"]


def test_reward_kwargs_and_where_verl_reads_the_reward_function(in_repo, mix_pair, tiny_model_dir, tiny_tokenizer):
    from verl.trainer.ppo.reward import get_custom_reward_fn

    train, val = mix_pair
    base = grpo_overrides(train, val, 2048, tiny_model_dir)
    shaped = compose_verl_config(base + ["+reward.custom_reward_function.reward_kwargs.format_bonus=0.25"])
    assert get_custom_reward_fn(shaped).args[1] == {"format_bonus": 0.25}
    # verl 0.9.1's main_ppo reads reward.custom_reward_function; the old top-level key is only
    # migrated by the fully-async entry point, so with main_ppo it would be silently ignored.
    legacy = compose_verl_config([o for o in base if not o.startswith("reward.custom_reward_function")]
                                 + ["custom_reward_function.path=tools/reward_manager.py",
                                    "custom_reward_function.name=compute_score"])
    assert get_custom_reward_fn(legacy) is None

    task, wrong = formatted_wrong_answer()
    row = task_row(task, 0, "val")
    out = run_naive(shaped, tiny_tokenizer, reward_batch(tiny_tokenizer, [row], [wrong]))
    assert out[0]["reward_score"] == 0.25 and out[0]["reward_extra_info"]["acc"] == 0.0


def formatted_wrong_answer():
    """A registered task and a wrong reply in its expected format (ASCII, for the tiny tokenizer)."""
    from veritas.envs import list_task_types
    from veritas.rl.reward import compute_score

    for task_type in list_task_types():
        for seed in range(30):
            task = generate(task_type, seed)
            row = task_row(task, 0, "val")
            for wrong in wrong_answers(task):
                result = compute_score(row["data_source"], wrong, task.answer, row["extra_info"])
                if wrong.isascii() and result["format_ok"] == 1.0 and result["acc"] == 0.0:
                    return task, wrong
    raise AssertionError("no registered family has a wrong answer in its expected format")


def test_a_row_from_another_data_set_is_an_error_not_a_zero(in_repo, verl_config, tiny_tokenizer):
    foreign = {"data_source": "openai/gsm8k", "reward_model": {"style": "rule", "ground_truth": "72"},
               "extra_info": {"index": 0, "split": "test", "question": "How many?"}}
    with pytest.raises(RewardRowError, match=r"extra_info\['task'\] is missing.*openai/gsm8k"):
        run_naive(verl_config, tiny_tokenizer, reward_batch(tiny_tokenizer, [foreign], ["The answer is 72."]))


def test_a_tampered_row_is_refused_through_verls_reward_manager(in_repo, verl_config, tiny_tokenizer):
    # A row whose task JSON still parses but lost a metadata key the verifier needs: before the
    # integrity check it scored a right reply 0 ("verifier error: KeyError").
    val = build(verl_config, tiny_tokenizer, "val")
    row = dict(val[5])
    record = json.loads(row["extra_info"]["task"])
    dropped = sorted(record["metadata"])[0]
    del record["metadata"][dropped]
    row["extra_info"] = {**row["extra_info"], "task": json.dumps(record)}
    intact = val[6]
    task = Task.from_json(intact["extra_info"]["task"])
    assert run_naive(verl_config, tiny_tokenizer, reward_batch(tiny_tokenizer, [intact], [task.answer]))[0]["reward_score"] == 1.0
    with pytest.raises(RewardRowError, match=rf"row index 5 .*metadata key '{dropped}' is missing"):
        run_naive(verl_config, tiny_tokenizer, reward_batch(tiny_tokenizer, [row], [record["answer"]]))


@pytest.mark.parametrize("stem", ["lgc-v2", "trace", "lgc-v2-trace"])
def test_shipped_mix_pairs_through_verl(in_repo, tiny_model_dir, tiny_tokenizer, stem):
    from veritas.envs import list_task_types
    from veritas.rl.dataset import DatasetConfigError

    train, val = f"train/mixes/{stem}-train.yaml", f"train/mixes/{stem}-val.yaml"
    config = compose_verl_config(grpo_overrides(train, val, 4096, tiny_model_dir))
    declared = {e["task_type"] for e in yaml.safe_load(open(train, encoding="utf-8"))["tasks"]}
    if not declared <= set(list_task_types()):  # families land one by one
        with pytest.raises(DatasetConfigError, match="unknown task_type"):
            build(config, tiny_tokenizer, "train")
        return
    train_ds, val_ds = build(config, tiny_tokenizer, "train"), build(config, tiny_tokenizer, "val")
    assert len(train_ds) == 1_000_000 and len(val_ds) <= 512
    seen = {(r["data_source"], r["extra_info"]["task_id"]) for r in (train_ds[i] for i in range(0, 4000, 10))}
    val_seen = {(r["data_source"], r["extra_info"]["task_id"]) for r in (val_ds[i] for i in range(len(val_ds)))}
    assert {t for t, _ in seen} == declared and {t for t, _ in val_seen} == declared
    assert not seen & val_seen
