"""scripts/gpu_check.sh on CPU: its --dry-run (the only part a machine without a GPU can run) prints
verl sft_trainer commands whose overrides Hydra composes against verl 0.9.1's own SFT config, with
the model and engine settings the check promises (FSDP2, sdpa, LoRA in the second run). The GPU part
itself has not run here (no GPU in this project's sessions so far)."""

from __future__ import annotations

import os
import shlex
import subprocess

import verl
from hydra import compose, initialize_config_dir

from tests.train.launchers import REPO, clean_env

SCRIPT = REPO / "scripts" / "gpu_check.sh"
VERL_CONFIG_DIR = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")


def dry(*args):
    proc = subprocess.run(["bash", str(SCRIPT), "--dry-run", *args], capture_output=True, text=True,
                          env=clean_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def trainer_runs(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    runs = {}
    for i, line in enumerate(lines):
        if line.startswith("== verl sft_trainer: "):
            argv = shlex.split(lines[i + 1])
            runs[line.split(": ", 1)[1].split()[0]] = argv[argv.index("verl.trainer.sft_trainer") + 1:]
    return runs


def test_dry_run_composes_against_verls_sft_config():
    out = dry("--steps", "5")
    runs = trainer_runs(out)
    assert set(runs) == {"full", "lora"}
    with initialize_config_dir(config_dir=VERL_CONFIG_DIR, version_base=None):
        full = compose("sft_trainer_engine", overrides=runs["full"])
        lora = compose("sft_trainer_engine", overrides=runs["lora"])
    for cfg in (full, lora):
        assert cfg.engine.strategy == "fsdp2"
        assert cfg.model.override_config.attn_implementation == "sdpa"
        assert cfg.trainer.total_training_steps == 5
        assert cfg.data.max_token_len_per_gpu >= cfg.data.max_length
    assert full.model.lora_rank == 0 and lora.model.lora_rank == 32 and lora.optim.lr == 1e-4
    assert "Qwen2.5-0.5B" in out and '"hidden_size": 896' in out.replace("\\", "")
    assert "--max-tokens 4096" in out  # the data fits data.max_length by construction


def test_dry_run_runs_nothing_and_prepare_names_verl(tmp_path):
    env = clean_env(GPU_CHECK_DIR=str(tmp_path / "work"))
    proc = subprocess.run(["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and not (tmp_path / "work").exists()
    proc = subprocess.run(["bash", str(SCRIPT), "--prepare", "--dry-run"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0 and "pip download --no-deps" in proc.stdout and "verl 0.9.1" in proc.stdout
    assert "--python-version 3.12" in proc.stdout and "at most 60 MiB" in proc.stdout


def test_bad_arguments_are_one_line():
    for args, message in ((["--steps", "0"], "--steps needs a positive integer"),
                          (["--have", "/nonexistent"], "--have /nonexistent: no such file"),
                          (["--bogus"], "unknown argument '--bogus'")):
        proc = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=clean_env())
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
    assert ".whl" in (REPO / ".gitignore").read_text()
