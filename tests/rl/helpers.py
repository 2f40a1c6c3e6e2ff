"""Helpers for the verl plug-in tests: mixes over the registered families, verl's own config."""

from __future__ import annotations

import os
import pathlib

import yaml

from tests.native import native_task_types

REPO = pathlib.Path(__file__).resolve().parents[2]
DATASET_FILE = "tools/dataset_manager.py"
REWARD_FILE = "tools/reward_manager.py"


def write_mix(path: pathlib.Path, **data) -> str:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def registered_mix(split: str, size: int, seed: int = 0, **extra) -> dict:
    """A mix over every registered task type of the project's own, equal weights, difficulty drawn per task."""
    types = native_task_types()
    assert types, "no task family is registered (veritas/envs/tasks/ is empty)"
    return {"split": split, "size": size, "seed": seed, "difficulty": "mixed",
            "tasks": [{"task_type": t, "weight": 1} for t in types], **extra}


def compose_verl_config(overrides: list[str]):
    """verl's ppo_trainer config composed by Hydra from verl's own YAML, with our overrides: the
    same schema `python -m verl.trainer.main_ppo` validates a command line against."""
    import verl
    from hydra import compose, initialize_config_dir

    config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose("ppo_trainer", overrides=overrides)


def grpo_overrides(train_files: str, val_files: str, max_prompt_length: int, model_dir: str) -> list[str]:
    """The data and reward keys our GRPO launcher passes (docs/verl-plugins.md)."""
    return [
        f"data.custom_cls.path={DATASET_FILE}",
        "data.custom_cls.name=DynamicEnvDataset",
        f"data.train_files={train_files}",
        f"data.val_files={val_files}",
        f"data.max_prompt_length={max_prompt_length}",
        "data.shuffle=false",
        "data.train_batch_size=16",
        "data.dataloader_num_workers=2",
        f"reward.custom_reward_function.path={REWARD_FILE}",
        "reward.custom_reward_function.name=compute_score",
        f"actor_rollout_ref.model.path={model_dir}",
    ]


def run_data_gen_rl(out_dir, count: int = 60, seed: int = 0) -> tuple[str, str]:
    """(train.parquet, val.parquet) written by the real `python -m data_gen rl` over every
    registered family, in a fresh interpreter (as a user runs it)."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "data_gen", "rl", "--task-types", ",".join(native_task_types()), "--count", str(count),
                    "--seed", str(seed), "--out-dir", str(out_dir), "--val-ratio", "0.1", "--workers", "1",
                    "--quiet"], cwd=REPO, check=True, capture_output=True, text=True)
    return str(out_dir / "train.parquet"), str(out_dir / "val.parquet")
