"""W&B offline runs: a real offline run lands where the trainers point WANDB_DIR, and
wandb-sync.sh finds it (real `wandb sync --dry-run`; uploading needs the network and a key)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.train.launchers import WANDB_SYNC, clean_env


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    wandb_dir = tmp_path_factory.mktemp("wandb")
    env = clean_env(WANDB_MODE="offline", WANDB_DIR=str(wandb_dir), WANDB_SILENT="true")
    code = ("import wandb\n"
            "run = wandb.init(project='veritas-rl', name='unit-offline')\n"
            "run.log({'reward': 0.5}); run.finish()\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=120)
    runs = sorted((wandb_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    return wandb_dir, runs[0]


def sync(*args, **env):
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return subprocess.run(["bash", str(WANDB_SYNC), *args], env=clean_env(PATH=path, **env),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_sync_dry_run_finds_the_offline_run(offline_run):
    wandb_dir, run = offline_run
    proc = sync("--dry-run", WANDB_DIR=str(wandb_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert run.name in proc.stdout + proc.stderr


@pytest.mark.slow
def test_upload_without_a_key_says_where_to_put_one(offline_run):
    wandb_dir, _ = offline_run
    proc = sync(WANDB_DIR=str(wandb_dir))
    assert proc.returncode == 1
    assert "WANDB_API_KEY is not set" in proc.stderr and ".env" in proc.stderr


def test_no_runs_is_a_clear_error(tmp_path):
    proc = sync(WANDB_DIR=str(tmp_path))
    assert proc.returncode == 1 and "no offline W&B runs" in proc.stderr
