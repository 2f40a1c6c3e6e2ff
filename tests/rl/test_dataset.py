"""DynamicEnvDataset on its own: row layout, determinism, the prompt-length rule, parquet, settings."""

from __future__ import annotations

import pickle
import statistics

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.rl.helpers import registered_mix, write_mix
from veritas import rows
from tests.native import native_task_types
from veritas.envs import Task, generate, verify
from veritas.mixes import load_mix
from veritas.rl.dataset import (
    DatasetConfigError,
    DynamicEnvDataset,
    PromptTooLongError,
    byte_bound_forms,
    fits_by_bytes,
)

TYPES = native_task_types()
ROW_KEYS = {"data_source", "raw_prompt", "ability", "reward_model", "extra_info", "index",
            "tools_kwargs", "interaction_kwargs", "dummy_tensor"}


def verl_prompt_length(tokenizer, messages) -> int:
    """The prompt's length as verl's agent loop computes it (its own helpers)."""
    from verl.utils.tokenizer import normalize_token_ids
    from verl.utils.tokenizer.chat_template import apply_chat_template

    return len(normalize_token_ids(apply_chat_template(tokenizer, messages, tokenize=True, add_generation_prompt=True)))


def _comparable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "dummy_tensor"}


@pytest.fixture
def train_mix(tmp_path):
    return write_mix(tmp_path / "t.yaml", name="t", **registered_mix("train", 5_000, seed=11))


@pytest.mark.parametrize("task_type", TYPES)
def test_row_layout_and_ground_truth_scores_one(tmp_path, tiny_tokenizer, task_type):
    path = write_mix(tmp_path / "one.yaml", split="train", size=1_000, seed=2, tasks=[task_type],
                     system_prompt="Be brief.")
    ds = DynamicEnvDataset(path, tiny_tokenizer, None, {"max_prompt_length": 100_000})
    for index in (0, 1, 17, 999):
        row = ds[index]
        assert set(row) == ROW_KEYS
        assert row["data_source"] == task_type
        assert row["index"] == row["extra_info"]["index"] == index
        assert row["tools_kwargs"] == {} and row["interaction_kwargs"] == {}
        assert row["dummy_tensor"].dtype.is_floating_point is False and row["dummy_tensor"].shape == (1,)
        task = Task.from_json(row["extra_info"]["task"])
        item = load_mix(path).item(index)
        assert task == generate(task_type, item.seed, item.difficulty)
        assert row["extra_info"]["task_id"] == task.task_id
        assert (row["extra_info"]["task_type"], row["extra_info"]["split"]) == (task_type, "train")
        assert (row["extra_info"]["mix"], row["extra_info"]["candidate"]) == ("one", 0)
        assert row["raw_prompt"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": task.prompt}]
        assert row["reward_model"] == {"style": "rule", "ground_truth": task.answer}
        assert row["ability"] == task.env
        assert verify(task, row["reward_model"]["ground_truth"]).score == 1.0


def test_items_are_pure_functions_of_the_index(train_mix, tiny_tokenizer):
    a = DynamicEnvDataset([train_mix], tiny_tokenizer, None, {"max_prompt_length": 4096})
    b = DynamicEnvDataset([train_mix], tiny_tokenizer, None, {"max_prompt_length": 4096})
    order = [4, 0, 4_999, 17, 4]
    assert [_comparable(a[i]) for i in order] == [_comparable(b[i]) for i in reversed(order)][::-1]
    clone = pickle.loads(pickle.dumps(a))
    assert [_comparable(clone[i]) for i in order] == [_comparable(a[i]) for i in order]
    ids = [a[i]["extra_info"]["task_id"] for i in range(300)]
    types = [a[i]["data_source"] for i in range(300)]
    assert len(set(zip(types, ids))) == 300


def test_overlong_prompts_are_skipped_never_truncated(train_mix, tiny_tokenizer):
    mix = load_mix(train_mix)
    n = 120
    first = [verl_prompt_length(tiny_tokenizer, rows.chat_prompt(mix.generate(i))) for i in range(n)]
    # A limit every type can meet (a skip keeps the type) that still rejects many first candidates:
    # the largest of the per-type 30th percentiles.
    by_type: dict[str, list[int]] = {}
    for i in range(n):
        for k in range(3):
            by_type.setdefault(mix.item(i).task_type, []).append(
                verl_prompt_length(tiny_tokenizer, rows.chat_prompt(mix.generate(i, k))))
    limit = max(sorted(v)[len(v) * 3 // 10] for v in by_type.values())
    assert min(first) <= limit < max(first), "the families' prompts should vary in length"
    ds = DynamicEnvDataset(train_mix, tiny_tokenizer, None, {"max_prompt_length": limit})
    items = [ds[i] for i in range(n)]
    for i, row in enumerate(items):
        assert verl_prompt_length(tiny_tokenizer, row["raw_prompt"]) <= limit
        k = row["extra_info"]["candidate"]
        assert (k == 0) == (first[i] <= limit)
        assert Task.from_json(row["extra_info"]["task"]) == mix.generate(i, k)
        assert row["data_source"] == mix.item(i).task_type  # a skip keeps the task type
    assert ds.stats["prompt_skips"] == sum(r["extra_info"]["candidate"] for r in items) > 0
    again = DynamicEnvDataset(train_mix, tiny_tokenizer, None, {"max_prompt_length": limit})
    assert [_comparable(again[i]) for i in range(0, n, 7)] == [_comparable(items[i]) for i in range(0, n, 7)]


def test_a_limit_no_candidate_fits_is_a_clear_error(train_mix, tiny_tokenizer):
    ds = DynamicEnvDataset(train_mix, tiny_tokenizer, None, {"max_prompt_length": 3})
    with pytest.raises(PromptTooLongError, match=r"t\.yaml: item 0 .*data\.max_prompt_length=3"):
        ds[0]


def test_data_section_overrides_apply_by_split(tmp_path, tiny_tokenizer):
    train = write_mix(tmp_path / "tr.yaml", **registered_mix("train", 1_000))
    val = write_mix(tmp_path / "va.yaml", **registered_mix("val", 100))
    config = {"max_prompt_length": 4096, "veritas": {"val": {"size": 7, "seed": 9}}}
    assert len(DynamicEnvDataset(val, tiny_tokenizer, None, config)) == 7
    assert len(DynamicEnvDataset(train, tiny_tokenizer, None, config)) == 1_000
    reseeded = DynamicEnvDataset(val, tiny_tokenizer, None, config)[0]["extra_info"]["task"]
    plain = DynamicEnvDataset(val, tiny_tokenizer, None, {"max_prompt_length": 4096})[0]["extra_info"]["task"]
    assert reseeded != plain
    for bad, message in (
        ({"dev": {"size": 1}}, r"data\.veritas\.dev: unknown split"),
        ({"val": {"split": "train"}}, r"data\.veritas\.val\.split: not an overridable"),
        ({"val": {"size": 0}}, r"va\.yaml \(with overrides .*size must be"),
        ({"val": 3}, r"data\.veritas\.val must be a mapping"),
    ):
        with pytest.raises(DatasetConfigError, match=message):
            DynamicEnvDataset(val, tiny_tokenizer, None, {"veritas": bad})


def test_max_samples_caps_and_files_concatenate(tmp_path, tiny_tokenizer):
    a = write_mix(tmp_path / "a.yaml", **registered_mix("train", 30, seed=1))
    b = write_mix(tmp_path / "b.yaml", **registered_mix("train", 20, seed=2))
    both = DynamicEnvDataset([a, b], tiny_tokenizer, None, {})
    assert len(both) == 50
    alone = DynamicEnvDataset(b, tiny_tokenizer)[0]
    assert both[30]["extra_info"]["task"] == alone["extra_info"]["task"]
    assert both[30]["index"] == both[30]["extra_info"]["index"] == 30
    assert len(DynamicEnvDataset([a, b], tiny_tokenizer, None, {}, max_samples=12)) == 12
    assert len(DynamicEnvDataset([a, b], tiny_tokenizer, None, {}, max_samples=-1)) == 50
    with pytest.raises(IndexError):
        both[50]


def test_curriculum_needs_sequential_reading(tmp_path, tiny_tokenizer):
    ramp = {"start": 1, "end": 5, "over_items": 500}
    path = write_mix(tmp_path / "c.yaml", **{**registered_mix("train", 1_000), "difficulty": ramp})
    with pytest.raises(DatasetConfigError, match=r"c\.yaml: .*curriculum.*data\.shuffle=false"):
        DynamicEnvDataset(path, tiny_tokenizer, None, {"shuffle": True})
    ds = DynamicEnvDataset(path, tiny_tokenizer, None, {"shuffle": False})
    assert Task.from_json(ds[0]["extra_info"]["task"]).difficulty == 1
    assert Task.from_json(ds[999]["extra_info"]["task"]).difficulty == 5


def test_bad_data_files_are_named(tmp_path, tiny_tokenizer):
    with pytest.raises(DatasetConfigError, match=r"x\.json: expected a mix file"):
        DynamicEnvDataset(str(tmp_path / "x.json"), tiny_tokenizer)
    with pytest.raises(DatasetConfigError, match="no data files"):
        DynamicEnvDataset([], tiny_tokenizer)
    with pytest.raises(DatasetConfigError, match="cannot read mix file"):
        DynamicEnvDataset(str(tmp_path / "absent.yaml"), tiny_tokenizer)
    with pytest.raises(DatasetConfigError, match="max_prompt_length must be a positive int"):
        DynamicEnvDataset(str(tmp_path / "absent.yaml"), tiny_tokenizer, None, {"max_prompt_length": 0})


# ---------------------------------------------------------------- parquet (static data in verl's schema)


def test_data_gen_parquet_rows_are_served_in_order_with_long_ones_dropped(data_gen_parquet, tiny_tokenizer):
    path = data_gen_parquet[0]
    table = pq.read_table(path).to_pylist()
    full = DynamicEnvDataset(path, tiny_tokenizer, None, {"max_prompt_length": 100_000})
    assert len(full) == len(table) and full.stats["parquet_rows_dropped"] == 0
    assert {r["data_source"] for r in table} == set(TYPES)
    for i in (0, len(table) // 2, len(table) - 1):
        row = full[i]
        assert set(row) == ROW_KEYS
        task = Task.from_json(row["extra_info"]["task"])
        assert row["data_source"] == task.task_type and row["index"] == table[i]["extra_info"]["index"]
        assert row["raw_prompt"] == table[i]["prompt"] == rows.chat_prompt(task)
        assert row["reward_model"]["ground_truth"] == task.answer
        assert verify(task, row["reward_model"]["ground_truth"]).score == 1.0
    lengths = [verl_prompt_length(tiny_tokenizer, r["prompt"]) for r in table]
    limit = int(statistics.median(lengths))
    short = DynamicEnvDataset(path, tiny_tokenizer, None, {"max_prompt_length": limit})
    kept = [table[i]["extra_info"]["index"] for i, n in enumerate(lengths) if n <= limit]
    assert [short[j]["index"] for j in range(len(short))] == kept
    assert short.stats["parquet_rows_dropped"] == len(table) - len(kept) > 0


def test_parquet_without_task_info_is_refused(tmp_path, tiny_tokenizer):
    other = tmp_path / "gsm8k.parquet"
    pq.write_table(pa.Table.from_pylist([{
        "data_source": "openai/gsm8k", "prompt": [{"role": "user", "content": "1+1?"}], "ability": "math",
        "reward_model": {"style": "rule", "ground_truth": "2"}, "extra_info": {"index": 0, "split": "train"},
    }]), other)
    with pytest.raises(DatasetConfigError, match=r"gsm8k\.parquet: column extra_info has no 'task' field"):
        DynamicEnvDataset(str(other), tiny_tokenizer)
    thin = tmp_path / "thin.parquet"
    pq.write_table(pa.Table.from_pylist([{"prompt": "hi"}]), thin)
    with pytest.raises(DatasetConfigError, match=r"thin\.parquet: missing column\(s\) \['data_source'"):
        DynamicEnvDataset(str(thin), tiny_tokenizer)


# ---------------------------------------------------------------- the byte bound behind the fast length check


def test_the_tiny_tokenizer_makes_at_most_one_token_per_byte(tiny_tokenizer):
    import unicodedata

    from hypothesis import given, settings
    from hypothesis import strategies as st

    forms = byte_bound_forms(tiny_tokenizer)
    assert forms == ("NFC",)
    texts = [tiny_tokenizer.apply_chat_template(rows.chat_prompt(generate(t, s)), add_generation_prompt=True,
                                                tokenize=False) for t in TYPES for s in range(5)]

    def count(text):
        return len(tiny_tokenizer(text, add_special_tokens=False)["input_ids"])

    for text in texts:
        assert count(text) <= len(text.encode())
        assert fits_by_bytes(text, count(text) - 1, forms) is False  # never claims a fit that is not one

    @settings(max_examples=300, deadline=None)
    @given(st.text(st.characters(exclude_categories=["Cs"]), max_size=200))
    def bound_holds(text):
        if unicodedata.is_normalized("NFC", text):
            assert count(text) <= len(text.encode())
        if fits_by_bytes(text, 50, forms):
            assert count(text) <= 50

    bound_holds()
    assert not fits_by_bytes("e\u0301" * 10, 100, forms)  # not NFC: the tokenizer would change it
    assert fits_by_bytes("\u00e9" * 10, 20, forms) and not fits_by_bytes("\u00e9" * 10, 19, forms)


def _fast(tokenizer_obj):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tokenizer_obj, unk_token="[UNK]")


def test_tokenizers_that_may_exceed_one_token_per_byte_are_measured():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"[UNK]": 0, "a": 1, "b": 2}
    # SentencePiece style: a prepended marker can add a token the text does not contain.
    sp = Tokenizer(models.BPE(vocab=dict(vocab, **{"\u2581": 3}), merges=[], unk_token="[UNK]"))
    sp.pre_tokenizer = pre_tokenizers.Metaspace()
    assert byte_bound_forms(_fast(sp)) is None
    prefixed = Tokenizer(models.BPE(vocab=dict(vocab), merges=[]))
    prefixed.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    assert byte_bound_forms(_fast(prefixed)) is None
    prepending = Tokenizer(models.BPE(vocab=dict(vocab), merges=[]))
    prepending.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    prepending.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Prepend("\u2581")])
    assert byte_bound_forms(_fast(prepending)) is None
    plain = Tokenizer(models.BPE(vocab=dict(vocab), merges=[]))
    plain.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    plain.normalizer = normalizers.Sequence([normalizers.NFKC()])
    assert byte_bound_forms(_fast(plain)) == ("NFKC",)
    assert byte_bound_forms(object()) is None
    assert fits_by_bytes("short", 100, None) is False
