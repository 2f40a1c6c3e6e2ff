"""merge-checkpoint.sh with verl's real model merger, on checkpoints written in verl's FSDP format
(model_world_size_1_rank_0.pt, fsdp_config.json, huggingface/, lora_train_meta.json) from the tiny
test model: a full fine-tune and a LoRA one (PEFT, non-zero adapter so folding changes the weights)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.train.launchers import MERGE, clean_env

LORA_RANK = 8


def write_verl_checkpoint(model_dir: str, exp_dir: Path, step: int, lora: bool, grpo: bool = True):
    """What verl's FSDPCheckpointManager leaves for one rank (plain tensors: verl's non-DTensor layout)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    step_dir = exp_dir / f"global_step_{step}"
    ckpt = step_dir / "actor" if grpo else step_dir
    ckpt.mkdir(parents=True)
    torch.manual_seed(step)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    if lora:
        model = get_peft_model(model, LoraConfig(r=LORA_RANK, lora_alpha=2 * LORA_RANK, target_modules="all-linear",
                                                 init_lora_weights=False))
        (ckpt / "lora_train_meta.json").write_text(json.dumps({"r": LORA_RANK, "lora_alpha": 2 * LORA_RANK,
                                                                "task_type": "CAUSAL_LM"}))
    torch.save(model.state_dict(), ckpt / "model_world_size_1_rank_0.pt")
    (ckpt / "fsdp_config.json").write_text(json.dumps({"FSDP_version": 2, "world_size": 1}))
    hf_dir = ckpt / "huggingface"
    base = model.get_base_model() if lora else model
    base.config.save_pretrained(hf_dir)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(hf_dir)
    (exp_dir / "latest_checkpointed_iteration.txt").write_text(str(step))
    return model


def merge(*args, check=True):
    env = clean_env(PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["bash", str(MERGE), *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def logits(model, tokenizer):
    ids = tokenizer("the quick brown fox answers 42", return_tensors="pt").input_ids
    with torch.no_grad():
        return model(ids).logits.float()


def weights_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.safetensors"))


@pytest.mark.slow
def test_full_checkpoint_merges_to_a_loadable_model(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    exp = tmp_path / "checkpoints" / "exp-full"
    trained = write_verl_checkpoint(tiny_model_dir, exp, step=3, lora=False)
    target = tmp_path / "merged"
    out = merge(str(exp), str(target)).stdout
    assert "step 3 of exp-full" in out
    assert not (tmp_path / "merged.partial").exists()
    merged = AutoModelForCausalLM.from_pretrained(target)
    tok = AutoTokenizer.from_pretrained(target)
    # verl stores bf16 weights; the merged model matches the trained one to bf16 precision.
    assert torch.allclose(logits(merged, tok), logits(trained.to(torch.bfloat16), tok), atol=1e-2)
    assert not (target / "lora_adapter").exists()


@pytest.mark.slow
def test_lora_checkpoint_is_folded_into_the_weights(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    exp = tmp_path / "checkpoints" / "exp-lora"
    peft_model = write_verl_checkpoint(tiny_model_dir, exp, step=5, lora=True)
    target = tmp_path / "merged"
    merge(str(exp), str(target))
    folded = AutoModelForCausalLM.from_pretrained(target)
    tok = AutoTokenizer.from_pretrained(target)
    expected = logits(peft_model.merge_and_unload().to(torch.bfloat16), tok)
    assert torch.allclose(logits(folded, tok), expected, atol=3e-2)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).to(torch.bfloat16)
    assert not torch.allclose(logits(base, tok), expected, atol=3e-2)  # the adapter mattered
    # No larger than the base model in the same dtype; the adapter is kept beside it.
    assert next(folded.parameters()).dtype == torch.bfloat16
    assert weights_size(target) <= weights_size(Path(tiny_model_dir)) // 2 + 4096
    assert (target / "lora_adapter" / "adapter_model.safetensors").is_file()
    assert not any(".lora_" in k for k in folded.state_dict())


@pytest.mark.slow
def test_no_fold_keeps_base_and_adapter_apart(tiny_model_dir, tmp_path):
    exp = tmp_path / "exp-lora2"
    write_verl_checkpoint(tiny_model_dir, exp, step=2, lora=True)
    target = tmp_path / "unfolded"
    merge("--no-fold", str(exp), str(target))
    assert (target / "lora_adapter" / "adapter_config.json").is_file()
    assert json.loads((target / "lora_adapter" / "adapter_config.json").read_text())["r"] == LORA_RANK


def test_dry_run_picks_the_latest_step_and_names_the_target(tmp_path):
    exp = tmp_path / "my-exp"
    for step in (10, 20):
        d = exp / f"global_step_{step}" / "actor"
        d.mkdir(parents=True)
        (d / "fsdp_config.json").write_text("{}")
    (exp / "latest_checkpointed_iteration.txt").write_text("20")
    out = merge("--dry-run", str(exp)).stdout
    assert "step 20 of my-exp" in out
    assert f"--local_dir {exp}/global_step_20/actor" in out.replace(" \\\n    ", " ")
    assert "train/artifacts/merged/my-exp-step20" in out
    out = merge("--dry-run", "--step", "10", str(exp), str(tmp_path / "t")).stdout
    assert "step 10 of my-exp" in out
    # Without the tracker file, the highest step present.
    (exp / "latest_checkpointed_iteration.txt").unlink()
    assert "step 20 of my-exp" in merge("--dry-run", str(exp)).stdout


def test_sft_layout_and_clear_errors(tmp_path):
    exp = tmp_path / "sft-exp"
    (exp / "global_step_4").mkdir(parents=True)
    (exp / "global_step_4" / "fsdp_config.json").write_text("{}")
    out = merge("--dry-run", str(exp)).stdout.replace(" \\\n    ", " ")
    assert f"--local_dir {exp}/global_step_4 " in out
    proc = merge("--dry-run", "--step", "9", str(exp), check=False)
    assert proc.returncode == 1 and "global_step_9 does not exist" in proc.stderr
    proc = merge(str(tmp_path / "nothing-here"), check=False)
    assert proc.returncode == 1 and "no checkpoint folder" in proc.stderr
    (tmp_path / "taken").mkdir()
    proc = merge(str(exp), str(tmp_path / "taken"), check=False)
    assert proc.returncode == 1 and "exists; pass --force" in proc.stderr
    empty = tmp_path / "empty-exp"
    empty.mkdir()
    proc = merge(str(empty), check=False)
    assert proc.returncode == 1 and "holds no global_step_N checkpoint" in proc.stderr
    shutil.rmtree(exp / "global_step_4")
