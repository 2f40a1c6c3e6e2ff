"""PRESET=reference: the GRPO launcher's fixed learning-curve run (docs/learning.md), read back from
its --dry-run. The composition against verl's own Hydra config is in test_hydra_compose.py."""

from __future__ import annotations

from tests.train.launchers import GRPO, REPO, dry_run, run, clean_env, summary_value

PRESET_FILE = REPO / "train" / "presets" / "reference" / "grpo.args"


def values(overrides: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for o in overrides:
        key, _, value = o.partition("=")
        out[key.lstrip("+~")] = value
    return out


def test_reference_preset_fixes_the_run():
    printed, proc = dry_run(GRPO, PRESET="reference", GPUS="8")
    v = values(printed.overrides)
    # A fixed number of steps, batch and group size, validation before training and on a schedule.
    assert v["trainer.total_training_steps"] == "200"
    assert v["data.train_batch_size"] == "64"
    assert v["actor_rollout_ref.rollout.n"] == "8"
    assert v["trainer.test_freq"] == "20"
    assert v["trainer.val_before_train"] == "True"
    assert v["data.val_max_samples"] == "256"
    # GRPO from the ALGO preset, the default mix, and the launcher's default instruct model (one family).
    assert v["algorithm.adv_estimator"] == "grpo"
    assert v["data.train_files"].endswith("train/mixes/lgc-v2-train.yaml")
    assert "Qwen2.5-1.5B-Instruct" in v["actor_rollout_ref.model.path"]
    assert v["trainer.experiment_name"].endswith("-reference")
    assert "preset reference" in summary_value(proc.stdout, "algorithm")


def test_reference_preset_takes_the_small_model_and_user_overrides_win():
    printed, _ = dry_run(GRPO, "trainer.total_training_steps=20", PRESET="reference", GPUS="1",
                         MODEL="Qwen/Qwen2.5-0.5B-Instruct")
    v = values(printed.overrides)
    assert "Qwen2.5-0.5B-Instruct" in v["actor_rollout_ref.model.path"]
    assert v["trainer.total_training_steps"] == "20"  # your arguments come after the preset
    assert v["trainer.test_freq"] == "20"


def test_unknown_preset_names_both_presets():
    proc = run(GRPO, "--dry-run", env=clean_env(PRESET="referenc", GPUS="1"), check=False)
    assert proc.returncode != 0
    assert "PRESET=referenc" in proc.stderr and "PRESET=reference" in proc.stderr
    assert "Traceback" not in proc.stderr
