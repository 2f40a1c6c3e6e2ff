"""The GRPO launcher's first-use settings (issue 14), checked against verl 0.9.1 itself: Hydra
composes the launcher's printed overrides with verl's YAML; the environment Ray workers get is
checked through verl's own run_ppo and a real local Ray cluster, with a named fake TaskRunner in
place of the trainer (which needs GPUs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import verl
from hydra import compose, initialize_config_dir

from tests.train.launchers import GRPO, REPO, clean_env, dry_run, run

VERL_CONFIG_DIR = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")


@pytest.fixture(scope="module")
def hydra_ctx():
    with initialize_config_dir(config_dir=VERL_CONFIG_DIR, version_base=None):
        yield


def composed(*args, **env):
    printed, proc = dry_run(GRPO, *args, **{"GPUS": "1", **env})
    return compose("ppo_trainer", overrides=printed.overrides), printed, proc


# ---- item 4: the tracking environment reaches Ray's workers --------------------------------------

def test_tracking_settings_are_in_rays_runtime_env(hydra_ctx):
    cfg, printed, _ = composed(WANDB_API_KEY="wandbSECRETforTEST0123456789")
    env_vars = cfg.ray_kwargs.ray_init.runtime_env.env_vars
    for key in ("WANDB_MODE", "WANDB_DIR", "TENSORBOARD_DIR", "PYTHONPATH", "WANDB_RUN_ID", "WANDB_RESUME"):
        assert env_vars[key] == printed.env[key], key
    assert env_vars.WANDB_MODE == "online"
    assert env_vars.PYTHONPATH.split(":")[0] == str(REPO)
    assert "WANDB_API_KEY" not in env_vars  # secrets travel in the environment, never on a command line
    assert "wandbSECRETforTEST0123456789" not in " ".join(printed.argv)


FAKE_TASK_RUNNER = '''
"""FAKE verl TaskRunner (tests/train): the real one needs GPUs. It records the environment the Ray
actor was started with, which is where verl's tracking (wandb.init, TensorBoard) runs."""
import json, os, ray

@ray.remote(num_cpus=0)
class FakeTaskRunner:
    def run(self, config):
        keys = ("WANDB_MODE", "WANDB_DIR", "TENSORBOARD_DIR", "PYTHONPATH", "WANDB_RUN_ID", "WANDB_RESUME")
        with open(os.environ["FAKE_RUNNER_OUT"], "w") as f:
            json.dump({k: os.environ.get(k) for k in keys}, f)
'''

RUN_PPO = '''
import sys
from hydra import compose, initialize_config_dir
sys.path.insert(0, sys.argv[2])
from fake_task_runner import FakeTaskRunner
from verl.trainer.main_ppo import run_ppo
with initialize_config_dir(config_dir=sys.argv[1], version_base=None):
    cfg = compose("ppo_trainer", overrides=sys.argv[3:] + ["ray_kwargs.ray_init.num_cpus=1"])
run_ppo(cfg, task_runner_class=FakeTaskRunner)
'''


def test_ray_workers_get_the_tracking_environment_through_verls_run_ppo(tmp_path):
    """verl's own run_ppo starts a real local Ray cluster from the launcher's overrides; the driver
    here has none of the variables set, so only the runtime env can bring them to the actor."""
    printed, _ = dry_run(GRPO, GPUS="1")
    (tmp_path / "fake_task_runner.py").write_text(FAKE_TASK_RUNNER)
    out = tmp_path / "seen.json"
    ray_tmp = tempfile.mkdtemp(prefix="vr-ray-", dir="/tmp")  # Ray's socket paths must stay < 108 bytes
    env = clean_env(FAKE_RUNNER_OUT=str(out), RAY_DEDUP_LOGS="0", RAY_USAGE_STATS_ENABLED="0",
                    PYTHONPATH=f"{tmp_path}:{REPO}", RAY_TMPDIR=ray_tmp)
    for key in ("WANDB_MODE", "WANDB_DIR", "TENSORBOARD_DIR", "WANDB_RUN_ID", "WANDB_RESUME"):
        env.pop(key, None)
    try:
        proc = subprocess.run([sys.executable, "-c", RUN_PPO, VERL_CONFIG_DIR, str(tmp_path), *printed.overrides],
                              env=env, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    seen = json.loads(out.read_text())
    for key in ("WANDB_MODE", "WANDB_DIR", "TENSORBOARD_DIR", "WANDB_RUN_ID", "WANDB_RESUME"):
        assert seen[key] == printed.env[key], key
    assert seen["PYTHONPATH"].split(":")[0] == str(REPO)


# ---- item 9: validation generations, dumps, pass@k, W&B resume, chat template switches -----------

def test_validation_generations_are_logged_and_options_compose(hydra_ctx):
    cfg, _, _ = composed()
    assert cfg.trainer.log_val_generations == 10
    assert cfg.trainer.rollout_data_dir is None and cfg.trainer.validation_data_dir is None
    assert cfg.actor_rollout_ref.rollout.val_kwargs.n == 1

    cfg, _, proc = composed(VAL_N="8", DUMP_GENERATIONS="1")
    vk = cfg.actor_rollout_ref.rollout.val_kwargs
    assert (vk.n, vk.do_sample, vk.temperature) == (8, True, 1.0)
    exp = cfg.trainer.experiment_name
    assert cfg.trainer.rollout_data_dir == str(REPO / "train" / "artifacts" / "RL" / "generations" / exp / "rollout")
    assert cfg.trainer.validation_data_dir.endswith(f"generations/{exp}/val")
    assert "pass@8" in proc.stdout

    for bad, message in (({"VAL_N": "0"}, "VAL_N=0"), ({"DUMP_GENERATIONS": "yes"}, "DUMP_GENERATIONS=yes")):
        proc = run(GRPO, "--dry-run", env=clean_env(GPUS="1", **bad), check=False)
        assert proc.returncode == 1 and message in proc.stderr


def test_documented_chat_template_and_thinking_switches_compose(hydra_ctx):
    """docs/training.md's overrides for a custom chat template and Qwen3's enable_thinking."""
    cfg, _, _ = composed("+data.apply_chat_template_kwargs.enable_thinking=False",
                         "actor_rollout_ref.model.custom_chat_template=/path/template.jinja")
    assert cfg.data.apply_chat_template_kwargs.enable_thinking is False
    assert cfg.actor_rollout_ref.model.custom_chat_template == "/path/template.jinja"
    assert "enable_thinking=False" in (REPO / "docs" / "training.md").read_text()


def test_wandb_run_id_is_kept_with_the_checkpoints(tmp_path):
    """A real run writes the id next to the checkpoints; the next run (a resume) reuses it; a new
    checkpoint folder gets a new one."""
    snippet = ('source "{0}/train/scripts/_common.sh"; wandb_run_id "{1}" my-exp 1; echo; '
               'wandb_run_id "{1}" my-exp 1; echo; wandb_run_id "{2}" my-exp 0')
    proc = subprocess.run(["bash", "-c", snippet.format(REPO, tmp_path / "a", tmp_path / "b")],
                          capture_output=True, text=True, env=clean_env())
    first, again, other = proc.stdout.split()
    assert first == again and first.startswith("my-exp-") and other != first
    assert (tmp_path / "a" / "wandb_run_id").read_text().strip() == first
    assert not (tmp_path / "b").exists()  # CREATE=0 (a dry run) writes nothing


def test_reinforce_pp_uses_the_group_baseline(hydra_ctx):
    cfg, _, _ = composed(ALGO="reinforce_pp")
    assert cfg.algorithm.adv_estimator == "reinforce_plus_plus_baseline"
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn
    assert get_adv_estimator_fn(cfg.algorithm.adv_estimator) is not None


# ---- item 6: DAPO --------------------------------------------------------------------------------

def test_dapo_filters_on_acc_which_our_reward_returns(hydra_ctx):
    from veritas.envs import generate
    from veritas.rl.reward import compute_score

    cfg, _, _ = composed(ALGO="dapo")
    fg = cfg.algorithm.filter_groups
    assert (fg.enable, fg.metric, fg.max_inflight_gen_batches) == (True, "acc", 2)
    # The v1 replay buffer reads the metric from reward_extra_info: our compute_score must return it,
    # and it must not move with the overlong penalty or the format bonus (it is the verdict).
    task = generate("dyck_language", 3)
    row = {"data_source": task.task_type, "ground_truth": task.answer, "extra_info": {"task": task.to_json()}}
    right = compute_score(solution_str=task.answer, **row)
    wrong = compute_score(solution_str="no answer here", **row)
    assert right["acc"] == 1.0 and wrong["acc"] == 0.0
    text = (REPO / "docs" / "training.md").read_text()
    assert "at most 10 refills" not in text


# ---- item 8: PPO on one GPU ----------------------------------------------------------------------

def test_ppo_on_one_gpu_offloads_both_models(hydra_ctx):
    cfg, _, proc = composed(ALGO="ppo", GPUS="1")
    assert cfg.critic.fsdp.param_offload and cfg.critic.fsdp.optimizer_offload
    assert cfg.actor_rollout_ref.actor.fsdp_config.param_offload
    assert cfg.actor_rollout_ref.actor.fsdp_config.optimizer_offload
    assert cfg.actor_rollout_ref.rollout.gpu_memory_utilization == 0.5
    assert "one GPU" in proc.stdout
    cfg, _, proc = composed(ALGO="ppo", GPUS="8")
    assert not cfg.critic.fsdp.param_offload and cfg.actor_rollout_ref.rollout.gpu_memory_utilization == 0.6
    cfg, _, _ = composed(ALGO="grpo", GPUS="1")
    assert not cfg.actor_rollout_ref.actor.fsdp_config.optimizer_offload


# ---- item 2: length budgets ----------------------------------------------------------------------

def test_token_budgets_hold_one_full_sequence(hydra_ctx):
    cfg, _, _ = composed()
    assert (cfg.data.max_prompt_length, cfg.data.max_response_length) == (2048, 4096)
    for mix in ("trace", "lgc-v2-trace"):  # trace's hardest worked solutions pass 4096 tokens
        assert composed(MIX=mix)[0].data.max_response_length == 8192
    longest = cfg.data.max_prompt_length + cfg.data.max_response_length
    assert cfg.actor_rollout_ref.actor.ppo_max_token_len_per_gpu >= longest
    assert cfg.actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu >= longest
    assert cfg.actor_rollout_ref.ref.log_prob_max_token_len_per_gpu >= longest
    cfg, _, _ = composed(ALGO="ppo")
    assert cfg.critic.ppo_max_token_len_per_gpu >= longest


# ---- item 7: resume after a GPU-count change -----------------------------------------------------

def fake_checkpoint(ckpt: Path, step: int, world: int) -> None:
    """A checkpoint folder laid out as verl 0.9.1's FSDP checkpoint manager writes it (file names only)."""
    actor = ckpt / f"global_step_{step}" / "actor"
    actor.mkdir(parents=True)
    for rank in range(world):
        (actor / f"model_world_size_{world}_rank_{rank}.pt").write_bytes(b"")
    (ckpt / "latest_checkpointed_iteration.txt").write_text(str(step))


def test_resume_with_another_gpu_count_is_refused_before_launch(tmp_path):
    ckpt = tmp_path / "ckpt"
    fake_checkpoint(ckpt, 20, 8)
    over = f"trainer.default_local_dir={ckpt}"
    env = clean_env(GPUS="4", EXP="resume-test")
    proc = run(GRPO, "--dry-run", over, env=env)  # a dry run notes it
    assert "written by 8 GPUs" in proc.stdout
    # The real path stops before anything runs (python3 is not reached: a named fake would record it).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/bin/sh\n# FAKE python3 (tests/train)\necho RAN >\"$FAKE_LOG\"\n")
    (bin_dir / "python3").chmod(0o755)
    model = tmp_path / "model"
    model.mkdir()
    env = clean_env(GPUS="4", EXP="resume-test", MODEL=str(model), PATH=f"{bin_dir}:{os.environ['PATH']}",
                    FAKE_LOG=str(tmp_path / "ran"))
    proc = run(GRPO, over, env=env, check=False)
    assert proc.returncode == 1
    assert "written by 8 GPUs" in proc.stderr and "has 4" in proc.stderr
    assert "merge-checkpoint.sh" in proc.stderr and "trainer.resume_mode=disable" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "ran").exists()
    # Same count, or NNODES x GPUS matching, or resume disabled: fine.
    assert run(GRPO, over, env={**env, "GPUS": "8"}).returncode == 0
    assert run(GRPO, over, env={**env, "GPUS": "4", "NNODES": "2", "RAY_ADDRESS": "x:1"}).returncode == 0
    assert run(GRPO, over, "trainer.resume_mode=disable", env=env).returncode == 0


# ---- item 11: every train mix has a validation twin ----------------------------------------------

def test_every_train_mix_has_a_val_twin_and_launches(hydra_ctx):
    from veritas.mixes import load_mix

    mixes = sorted(p.name[: -len("-train.yaml")] for p in (REPO / "train" / "mixes").glob("*-train.yaml"))
    assert "lgc-v2-curriculum" in mixes
    for mix in mixes:
        val = REPO / "train" / "mixes" / f"{mix}-val.yaml"
        assert val.is_file(), f"{mix}-train.yaml has no validation twin {val.name}"
        assert load_mix(str(val)).split == "val"
        cfg, _, _ = composed(MIX=mix)
        assert cfg.data.val_files == str(val)


def test_curriculum_reaches_its_last_level_within_the_default_run(hydra_ctx):
    from veritas.mixes import load_mix

    cfg, _, _ = composed(MIX="lgc-v2-curriculum")
    mix = load_mix(str(REPO / "train" / "mixes" / "lgc-v2-curriculum-train.yaml"))
    batch, steps = cfg.data.train_batch_size, cfg.trainer.total_training_steps
    levels = [mix.item(step * batch).difficulty for step in range(steps)]
    assert levels[0] == 1 and levels[-1] == 5
    assert levels.index(5) < 0.9 * steps  # the last level gets trained, not just touched
