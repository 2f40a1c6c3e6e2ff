"""`data_gen sft --tokenizer DIR --max-tokens N` (issue 14, item 1): conversations counted in a real
tokenizer's tokens (the tiny test model's byte-level BPE and chat template), rows over N left out and
reported, the count equal to what verl 0.9.1's own MultiTurnSFTDataset sees."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from veritas.token_lengths import conversation_length, parquet_lengths

from .conftest import ok, run_cli

TYPES = "dyck_language,boolean_expressions"


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def write(out, *extra):
    return run_cli("sft", "--task-types", TYPES, "--count", "60", "--seed", "5", "--val-ratio", "0.1",
                   "--out-dir", str(out), "--workers", "1", "--quiet", *extra)


def test_report_then_filter_by_tokens(tmp_path, tiny_model_dir, tokenizer):
    plain = tmp_path / "plain"
    proc = ok(write(plain, "--tokenizer", tiny_model_dir))
    lengths = parquet_lengths(str(plain / "train.parquet"), tokenizer)
    assert len(lengths) == 54
    assert f"longest {max(lengths)} tokens" in proc.stdout + proc.stderr
    limit = sorted(lengths)[len(lengths) // 2]  # about half the rows are longer
    expected_dropped = sum(n > limit for n in lengths)
    assert 0 < expected_dropped < len(lengths)

    cut = tmp_path / "cut"
    proc = ok(write(cut, "--tokenizer", tiny_model_dir, "--max-tokens", str(limit)))
    assert f"left out {expected_dropped} of 54 rows longer than {limit} tokens" in proc.stdout + proc.stderr
    kept = pq.read_table(cut / "train.parquet").to_pylist()
    assert len(kept) == 54 - expected_dropped
    assert all(conversation_length(tokenizer, r["messages"]) <= limit for r in kept)
    # Rows keep their own index (nothing renumbered), and the same command again finds the file complete.
    originals = {r["extra_info"]["index"]: r for r in pq.read_table(plain / "train.parquet").to_pylist()}
    assert all(originals[r["extra_info"]["index"]]["messages"] == r["messages"] for r in kept)
    proc = ok(write(cut, "--tokenizer", tiny_model_dir, "--max-tokens", str(limit)))
    assert "already complete" in proc.stdout + proc.stderr
    assert "left out 0 of" in proc.stdout + proc.stderr
    ok(run_cli("validate", str(cut / "train.parquet")))


def test_count_matches_verls_sft_dataset(tmp_path, tiny_model_dir, tokenizer):
    """The length we count is the length of the sequence verl's MultiTurnSFTDataset builds."""
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    ok(write(tmp_path, "--tokenizer", tiny_model_dir))
    path = tmp_path / "val.parquet"
    ours = parquet_lengths(str(path), tokenizer)
    config = OmegaConf.create({"messages_key": "messages", "max_length": max(ours) + 16, "truncation": "error",
                               "pad_mode": "no_padding"})
    ds = MultiTurnSFTDataset(parquet_files=[str(path)], tokenizer=tokenizer, config=config)
    theirs = [int(ds[i]["input_ids"].shape[-1]) for i in range(len(ds))]
    assert theirs == ours


@pytest.mark.parametrize("args, message", [
    (["--max-tokens", "100"], "--max-tokens needs --tokenizer"),
    (["--tokenizer", "/nonexistent/model"], "--tokenizer /nonexistent/model: not a folder"),
])
def test_bad_token_options_are_one_line(tmp_path, args, message):
    proc = write(tmp_path, *args)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "train.parquet").exists()  # refused before generating anything
