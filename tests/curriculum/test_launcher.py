"""MIX=lgc-v2-adaptive through the GRPO launcher's --dry-run, composed against verl's own YAML."""

from __future__ import annotations

from tests.rl.helpers import compose_verl_config
from tests.train.launchers import GRPO, dry_run

SAMPLER_KEYS = {"trainer.v1.sampler.custom_sampler.path": "pkg://veritas.curriculum.sampler",
                "trainer.v1.sampler.custom_sampler.name": "CurriculumReplayBuffer"}


def as_dict(overrides: list[str]) -> dict[str, str]:
    return dict(o.lstrip("+").split("=", 1) for o in overrides)


def test_adaptive_mix_is_selectable_and_plugs_in_the_metrics_sampler(tiny_model_dir):
    printed, proc = dry_run(GRPO, MIX="lgc-v2-adaptive", MODEL=tiny_model_dir, GPUS="1")
    got = as_dict(printed.overrides)
    assert got["data.train_files"].endswith("train/mixes/lgc-v2-adaptive-train.yaml")
    assert got["data.val_files"].endswith("train/mixes/lgc-v2-adaptive-val.yaml")
    assert got["data.shuffle"] == "false"  # the adaptive schedule reads items in order
    assert {k: got.get(k) for k in SAMPLER_KEYS} == SAMPLER_KEYS
    assert "lgc-v2-adaptive" in proc.stdout

    from verl.utils.import_utils import load_extern_object

    config = compose_verl_config(printed.overrides)
    custom = config.trainer.v1.sampler.custom_sampler
    cls = load_extern_object(custom.path, custom.name)  # what verl's trainer does with these keys
    from verl.trainer.ppo.v1.replay_buffer import ReplayBuffer

    assert issubclass(cls, ReplayBuffer) and cls.__module__ == "veritas.curriculum.sampler"

    plain, _ = dry_run(GRPO, MIX="lgc-v2", MODEL=tiny_model_dir, GPUS="1")
    assert not set(SAMPLER_KEYS) & set(as_dict(plain.overrides))  # other mixes keep verl's own sampler
