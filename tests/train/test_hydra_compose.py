"""The launchers' --dry-run overrides, composed by Hydra against verl 0.9.1's own YAML (the guard
against the Hydra struct errors of the original launchers), then checked the way verl checks them
at start-up: every interpolation resolves, verl's validate_config passes, and the config sections
verl turns into dataclasses convert.

Run-time facts handled honestly:
- the model is not on disk here, so MODEL points at the tiny test model (the scripts take a local
  folder as it is); HFModelConfig then loads its real config and tokenizer;
- vLLM cannot be imported on CPU; validate_config imports it only to bound the LoRA rank, so for
  LoRA runs a named fake of that one helper records the rank and checks it against vLLM 0.24's
  allowed ranks;
- `reward.reward_model.rollout.name` stays '???' in verl's YAML; verl reads it only when a reward
  model is enabled, which these runs never do (asserted).
"""

from __future__ import annotations

import os
import sys
import types

import pytest
import verl
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from tests.train.launchers import ALGOS, GRPO, REPO, SFT, dry_run

VERL_CONFIG_DIR = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
VLLM_LORA_RANKS = {1, 8, 16, 32, 64, 128, 256, 320, 512}  # vllm.config.lora.MaxLoRARanks in 0.24
EXPECTED_ADV = {
    "grpo": "grpo", "drgrpo": "grpo", "gspo": "grpo", "dapo": "grpo",
    "rloo": "rloo", "reinforce_pp": "reinforce_plus_plus_baseline", "ppo": "gae",
}


@pytest.fixture(scope="module")
def hydra_ctx():
    with initialize_config_dir(config_dir=VERL_CONFIG_DIR, version_base=None):
        yield


def missing_values(node, path=""):
    """Paths whose value is still Hydra's mandatory marker '???' after resolution."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from missing_values(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from missing_values(v, f"{path}[{i}]")
    elif node == "???":
        yield path


@pytest.fixture
def fake_vllm_lora_check(monkeypatch):
    """Named fake: verl.workers.rollout.vllm_rollout.utils imports vLLM (absent on CPU). Only its
    get_vllm_max_lora_rank is reached from validate_config; this stand-in records the rank."""
    seen: list[int] = []
    fake = types.ModuleType("verl.workers.rollout.vllm_rollout.utils")

    def get_vllm_max_lora_rank(lora_rank: int) -> int:
        seen.append(lora_rank)
        assert 0 < lora_rank <= max(VLLM_LORA_RANKS)
        return min(r for r in VLLM_LORA_RANKS if r >= lora_rank)

    fake.get_vllm_max_lora_rank = get_vllm_max_lora_rank
    monkeypatch.setitem(sys.modules, "verl.workers.rollout.vllm_rollout.utils", fake)
    return seen


def assert_unique_keys(overrides: list[str]) -> None:
    keys = [o.split("=", 1)[0].lstrip("~+") for o in overrides]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, f"keys passed more than once: {sorted(dupes)}"


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["", "quick", "reference"])
@pytest.mark.parametrize("lora_rank", ["0", "32"])
@pytest.mark.parametrize("algo", ALGOS)
def test_grpo_overrides_compose_against_verl(algo, lora_rank, preset, hydra_ctx, tiny_model_dir,
                                             fake_vllm_lora_check):
    from verl.trainer.config import AlgoConfig
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.workers.config import HFModelConfig, RolloutConfig

    printed, _ = dry_run(GRPO, ALGO=algo, LORA_RANK=lora_rank, PRESET=preset, GPUS="8",
                         MODEL=tiny_model_dir)
    assert printed.module == "verl.trainer.main_ppo"
    assert_unique_keys(printed.overrides)

    cfg = compose("ppo_trainer", overrides=printed.overrides)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert list(missing_values(resolved)) == ["reward.reward_model.rollout.name"]
    assert cfg.reward.reward_model.enable is False

    # What main_ppo does before Ray starts, then the dataclasses its workers build.
    validate_config(config=cfg, use_reference_policy=need_reference_policy(cfg), use_critic=need_critic(cfg))
    model = omega_conf_to_dataclass(cfg.actor_rollout_ref.model)
    assert isinstance(model, HFModelConfig)
    rollout = omega_conf_to_dataclass(cfg.actor_rollout_ref.rollout)
    assert isinstance(rollout, RolloutConfig) and rollout.name == "vllm"
    assert isinstance(omega_conf_to_dataclass(cfg.algorithm), AlgoConfig)

    # The preset's meaning reached the config.
    assert cfg.algorithm.adv_estimator == EXPECTED_ADV[algo]
    assert need_critic(cfg) is (algo == "ppo")
    if algo == "drgrpo":
        assert cfg.algorithm.norm_adv_by_std_in_grpo is False
        assert cfg.actor_rollout_ref.actor.loss_scale_factor == cfg.data.max_response_length
    if algo == "gspo":
        assert cfg.actor_rollout_ref.actor.policy_loss.loss_mode == "gspo"
    if algo == "dapo":
        assert cfg.algorithm.filter_groups.enable is True
        assert cfg.algorithm.filter_groups.metric == "acc"  # not the reward, which carries the overlong penalty
        assert cfg.algorithm.filter_groups.max_inflight_gen_batches == 2
        assert cfg.algorithm.filter_groups.max_num_gen_batches == 0  # ignored by the v1 trainer: not set
        assert cfg.reward.reward_manager.name == "dapo"
        buffer = cfg.reward.reward_kwargs.overlong_buffer_cfg
        assert 0 < buffer.len < cfg.reward.reward_kwargs.max_resp_len == cfg.data.max_response_length
    if algo == "ppo":
        assert cfg.critic.model.path == tiny_model_dir
    if int(lora_rank):
        assert cfg.actor_rollout_ref.model.lora_rank == int(lora_rank)
        assert cfg.actor_rollout_ref.rollout.load_format == "safetensors"
        assert cfg.actor_rollout_ref.actor.optim.lr == 1e-5
        assert fake_vllm_lora_check == [int(lora_rank)]
    else:
        assert cfg.actor_rollout_ref.model.lora_rank == 0
        assert cfg.actor_rollout_ref.actor.optim.lr == 1e-6  # no LoRA learning rate without LoRA
        assert fake_vllm_lora_check == []
    if preset == "quick":
        assert cfg.trainer.total_training_steps == 5
        assert cfg.data.train_batch_size == 8
    elif preset == "reference":
        assert cfg.trainer.total_training_steps == 200
        assert cfg.trainer.test_freq == 20 and cfg.trainer.val_before_train is True
    else:
        assert cfg.trainer.total_training_steps == 500

    # Our plug-ins, by the documented paths; the reward under `reward.` (the key main_ppo reads).
    assert cfg.data.custom_cls.path == str(REPO / "tools" / "dataset_manager.py")
    assert cfg.data.custom_cls.name == "DynamicEnvDataset"
    assert cfg.data.train_files == str(REPO / "train" / "mixes" / "lgc-v2-train.yaml")
    assert cfg.data.val_files == str(REPO / "train" / "mixes" / "lgc-v2-val.yaml")
    assert cfg.data.shuffle is False
    assert cfg.reward.custom_reward_function.path == str(REPO / "tools" / "reward_manager.py")
    assert cfg.reward.custom_reward_function.name == "compute_score"
    assert cfg.trainer.n_gpus_per_node == 8
    assert list(cfg.trainer.logger) == ["console", "wandb", "tensorboard"]


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["", "quick"])
@pytest.mark.parametrize("lora_rank", ["0", "16"])
def test_sft_overrides_compose_against_verl(lora_rank, preset, hydra_ctx, tiny_model_dir):
    from verl.utils.config import omega_conf_to_dataclass

    printed, _ = dry_run(SFT, LORA_RANK=lora_rank, PRESET=preset, GPUS="2", MODEL=tiny_model_dir)
    assert printed.module == "verl.trainer.sft_trainer"
    assert printed.program[:4] == ["torchrun", "--standalone", "--nnodes=1", "--nproc_per_node=2"]
    assert_unique_keys(printed.overrides)

    cfg = compose("sft_trainer_engine", overrides=printed.overrides)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert list(missing_values(resolved)) == []
    # The sections SFTTrainer turns into dataclasses at start-up (verl/trainer/sft_trainer.py).
    for section in ("model", "engine", "optim", "checkpoint", "profiler"):
        omega_conf_to_dataclass(cfg[section])

    assert cfg.data.train_files == str(REPO / "train" / "parquet" / "train.parquet")
    assert cfg.data.val_files == str(REPO / "train" / "parquet" / "val.parquet")
    assert cfg.data.messages_key == "messages"
    assert cfg.model.lora_rank == int(lora_rank)
    assert cfg.optim.lr == (1e-4 if int(lora_rank) else 1e-5)
    assert cfg.trainer.n_gpus_per_node == 2
    assert cfg.trainer.total_training_steps == (5 if preset else None)


@pytest.mark.parametrize("mix", ["lgc-v2", "trace", "lgc-v2-trace"])
def test_every_mix_plugs_in_the_same_way(mix, hydra_ctx):
    printed, proc = dry_run(GRPO, MIX=mix, GPUS="1")
    cfg = compose("ppo_trainer", overrides=printed.overrides)
    assert cfg.data.train_files == str(REPO / "train" / "mixes" / f"{mix}-train.yaml")
    assert cfg.data.val_files == str(REPO / "train" / "mixes" / f"{mix}-val.yaml")
    assert cfg.data.custom_cls.name == "DynamicEnvDataset"
    assert cfg.trainer.experiment_name.startswith(f"{mix}-grpo-")


def test_user_overrides_win_and_reach_hydra_once(hydra_ctx):
    printed, proc = dry_run(GRPO, "actor_rollout_ref.rollout.n=16", "trainer.total_training_steps=42",
                            "+actor_rollout_ref.rollout.val_kwargs.extra_marker=7", GPUS="1")
    assert_unique_keys(printed.overrides)
    assert "actor_rollout_ref.rollout.n=16" in printed.overrides
    assert "actor_rollout_ref.rollout.n=8" not in printed.overrides
    cfg = compose("ppo_trainer", overrides=printed.overrides)
    assert cfg.actor_rollout_ref.rollout.n == 16
    assert cfg.trainer.total_training_steps == 42
    assert cfg.actor_rollout_ref.rollout.val_kwargs.extra_marker == 7


def test_multinode_sets_trainer_nnodes(hydra_ctx):
    printed, _ = dry_run(GRPO, GPUS="8", NNODES="2", RAY_ADDRESS="10.0.0.1:6379")
    cfg = compose("ppo_trainer", overrides=printed.overrides)
    assert (cfg.trainer.nnodes, cfg.trainer.n_gpus_per_node) == (2, 8)


def test_reward_function_key_is_the_one_main_ppo_reads(hydra_ctx, tmp_path):
    """verl 0.9.1's main_ppo (v1 trainer) reads only reward.custom_reward_function
    (verl/trainer/ppo/reward.py::get_custom_reward_fn); the top-level custom_reward_function is
    migrated only by the fully-async entry point, so under main_ppo it would be silently ignored."""
    from verl.trainer.ppo.reward import get_custom_reward_fn

    reward_file = tmp_path / "reward.py"
    reward_file.write_text("def compute_score(data_source, solution_str, ground_truth, extra_info=None):\n"
                           "    return float(solution_str == ground_truth)\n")
    printed, _ = dry_run(GRPO, f"reward.custom_reward_function.path={reward_file}", GPUS="1")
    fn = get_custom_reward_fn(compose("ppo_trainer", overrides=printed.overrides))
    assert fn is not None
    assert fn(data_source="x", solution_str="7", ground_truth="7", extra_info={}) == 1.0

    legacy = compose("ppo_trainer", overrides=[f"custom_reward_function.path={reward_file}",
                                               "custom_reward_function.name=compute_score"])
    assert get_custom_reward_fn(legacy) is None


def test_hydra_rejects_an_unknown_key(hydra_ctx):
    """The check above is real: a misspelt key passed by a user fails composition."""
    printed, _ = dry_run(GRPO, "trainer.total_trainig_steps=3", GPUS="1")
    with pytest.raises(Exception, match="total_trainig_steps"):
        compose("ppo_trainer", overrides=printed.overrides)


def test_preset_files_are_documented_overrides():
    """Each preset file starts with a comment saying what it is and where it comes from, and holds
    only key=value lines."""
    for path in sorted((REPO / "train" / "presets").rglob("*.args")):
        lines = path.read_text().splitlines()
        assert lines[0].startswith(f"# {path.stem if path.parent.name == 'algo' else path.parent.name} ")
        body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
        assert body, path
        assert all("=" in ln and " " not in ln.split("=", 1)[0] for ln in body), path
    assert set(ALGOS) == set(EXPECTED_ADV)
