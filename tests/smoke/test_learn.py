"""What can be checked about the learning run (scripts/learn.sh) without its venv or its minutes:

- its verl configuration: the launchers' real --dry-run overrides plus the CPU, float32 and
  learning-run layers, composed by Hydra against verl 0.9.1's YAML and converted to verl's
  dataclasses (a bad key fails here, not ten minutes into the run);
- held-out scoring: content keys of a real data_gen parquet and of a real mix, overlap dropped,
  Wilson intervals from counts;
- the verdict: each criterion can fail, result.json and curve.png are written;
- the CPU serving entry point's command line (scripts/serve-cpu.sh).
The run itself is `scripts/learn.sh`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from veritas.cpu_verl import learn_eval, learn_report, overrides
from veritas.cpu_verl.learn import Config, Learn, parse_config
from veritas.cpu_verl.serve import CPU_DEFAULTS, vllm_argv
from veritas.cpu_verl.stages import REPO
from veritas.envs import content_key, generate


@pytest.fixture(scope="module")
def hydra_ctx():
    import verl
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=os.path.join(os.path.dirname(verl.__file__), "trainer", "config"),
                               version_base=None):
        yield


@pytest.fixture
def learn(tmp_path, tiny_model_dir):
    run = Learn(str(tmp_path / "learn"), ray_tmp=str(tmp_path / "ray"), cfg=Config())
    run.model = tiny_model_dir
    os.makedirs(run.work)
    return run


def _compose_argv(argv: list[str], module: str) -> list[str]:
    return argv[argv.index(module) + 1:]


@pytest.mark.slow
def test_sft_overrides_compose_in_float32(learn, hydra_ctx):
    from hydra import compose
    from omegaconf import OmegaConf
    from verl.utils.config import omega_conf_to_dataclass
    from verl.workers.config import FSDPEngineConfig

    launcher = overrides.launcher_overrides("sft", REPO, learn.launcher_env("learn-sft", learn.model))
    args = overrides.merge(launcher, overrides.CPU_SFT, overrides.CPU_FLOAT32_SFT, learn.cfg.sft_sizes())
    cfg = compose("sft_trainer_engine", overrides=args)
    OmegaConf.to_container(cfg, resolve=True)
    engine = omega_conf_to_dataclass(cfg.engine)
    assert isinstance(engine, FSDPEngineConfig)
    # float32 compute: verl's FSDP mixed precision defaults to bfloat16 without this dict.
    assert dict(engine.mixed_precision) == {"param_dtype": "fp32", "reduce_dtype": "fp32", "buffer_dtype": "fp32"}
    assert cfg.trainer.total_training_steps == learn.cfg.sft_steps
    assert cfg.data.max_token_len_per_gpu == 1024
    assert cfg.data.messages_key == "messages"  # the launcher's


@pytest.mark.slow
def test_grpo_overrides_compose_in_float32(learn, hydra_ctx):
    from hydra import compose
    from omegaconf import OmegaConf
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.workers.config import FSDPEngineConfig

    learn.build_mixes()
    launcher = overrides.launcher_overrides("grpo", REPO, learn.launcher_env("learn-grpo", learn.model))
    args = overrides.merge(launcher, overrides.CPU_GRPO, overrides.CPU_FLOAT32_GRPO, learn.cfg.grpo_sizes(),
                           learn.grpo_paths())
    assert len({overrides.override_key(a) for a in args}) == len(args)
    cfg = compose("ppo_trainer", overrides=args)
    OmegaConf.to_container(cfg, resolve=True)
    validate_config(config=cfg, use_reference_policy=need_reference_policy(cfg), use_critic=need_critic(cfg))
    for section in (cfg.actor_rollout_ref.actor.fsdp_config, cfg.actor_rollout_ref.ref.fsdp_config):
        engine = omega_conf_to_dataclass(section)
        assert isinstance(engine, FSDPEngineConfig) and engine.mixed_precision["param_dtype"] == "fp32"
    assert cfg.actor_rollout_ref.rollout.dtype == "float32"
    # The launcher's algorithm and plug-ins, our one-cell mix.
    assert cfg.algorithm.adv_estimator == "grpo" and cfg.actor_rollout_ref.actor.use_kl_loss is True
    assert cfg.data.custom_cls.name == "DynamicEnvDataset"
    assert cfg.data.train_files == learn.mix_path("train")
    assert cfg.trainer.total_training_steps == learn.cfg.grpo_steps
    assert cfg.actor_rollout_ref.rollout.n == learn.cfg.grpo_n


def test_sft_gets_every_core_and_shared_stages_one_thread(learn, monkeypatch):
    """SFT is one process and may use every core; where the trainer, Ray and vLLM share the cores,
    one OpenMP thread each (spinning threads slow a loaded torch ~10x). A user's setting wins."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert learn.env("sft")["OMP_NUM_THREADS"] == str(len(os.sched_getaffinity(0)))
    assert learn.env("grpo")["OMP_NUM_THREADS"] == learn.env("sft_eval")["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert learn.env("sft")["OMP_NUM_THREADS"] == learn.env("grpo")["OMP_NUM_THREADS"] == "3"


def test_config_set_flags():
    cfg = parse_config(["sft_steps=7", "grpo_lr=0.5", "task_type=operation"], seed=3)
    assert (cfg.sft_steps, cfg.grpo_lr, cfg.task_type, cfg.seed) == (7, 0.5, "operation", 3)
    with pytest.raises(SystemExit, match="sft_stepz"):
        parse_config(["sft_stepz=7"], seed=0)
    with pytest.raises(SystemExit, match="not a int"):
        parse_config(["sft_steps=many"], seed=0)


# ---- held-out scoring ----------------------------------------------------------------------------
def test_wilson_from_counts_is_exact_at_the_ends():
    assert learn_eval.wilson(0, 300)[0] == 0.0 and learn_eval.wilson(300, 300)[1] == 1.0
    low, high = learn_eval.wilson(128, 256)
    assert 0.43 < low < 0.5 < high < 0.57


def test_overlap_is_dropped_by_content(tmp_path):
    """A data_gen parquet and a mix both give content keys; an eval record whose task has one of
    them is dropped, a fresh one is kept."""
    from veritas.mixes import load_mix

    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "data_gen", "sft", "--task-types", "dyck_language", "--difficulty", "1",
                    "--count", "40", "--val-ratio", "0.1", "--out-dir", str(data), "--quiet"],
                   cwd=REPO, check=True, env={**os.environ, "PYTHONPATH": REPO})
    sft_keys = learn_eval.parquet_task_keys(str(data / "train.parquet"))
    assert 20 <= len(sft_keys) <= 36  # level-1 Dyck words repeat: content, not ids, is counted

    mix = tmp_path / "m.yaml"
    mix.write_text("name: m\nsplit: train\nsize: 1000\nseed: 0\ndifficulty: 1\ntasks:\n  - {task_type: dyck_language}\n")
    mix_keys = learn_eval.mix_task_keys(str(mix), 5)
    assert content_key(load_mix(str(mix)).generate(0)) in mix_keys

    # Splits are content-disjoint, so no test-split task repeats these training contents...
    held_out = [generate("dyck_language", 95_000_000 + s, difficulty=1) for s in range(300)]
    assert not any(content_key(t) in mix_keys | sft_keys for t in held_out)
    # ...and the filter is a guard: a held-out task whose content is in the training keys (as
    # data written under an older split rule would be) is dropped, the others are kept.
    twin, fresh = held_out[0], next(t for t in held_out if content_key(t) != content_key(held_out[0]))
    training_keys = mix_keys | sft_keys | {content_key(twin)}
    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    with open(eval_dir / "records.jsonl", "w") as fh:
        for task, score in ((twin, 1.0), (fresh, 0.0)):
            fh.write(json.dumps({"task_type": task.task_type, "seed": task.seed, "task_id": task.task_id,
                                 "difficulty": 1, "score": score, "format_ok": True, "error": None,
                                 "completion_tokens": 10}) + "\n")
    result = learn_eval.score_held_out(str(eval_dir), training_keys, 1)
    assert result["dropped_overlap"] == 1 and result["n"] == 1 and result["correct"] == 0
    assert result["task_ids"] == [fresh.task_id]


def test_repeated_held_out_contents_weigh_as_drawn_and_once_in_distinct(tmp_path):
    """dyck level 1's test split draws its commonest words again and again. Each draw is an
    independent sample of the task distribution, so the accuracy counts every held-out task; the
    ``distinct`` figure counts each content once (its first task id)."""
    tasks = [generate("dyck_language", 95_000_000 + s, difficulty=1) for s in range(200)]
    keys = [content_key(t) for t in tasks]
    first = next(i for i in range(1, len(tasks)) if keys[i] in keys[:i])  # a repeat exists in 200 seeds
    with open(tmp_path / "records.jsonl", "w") as fh:
        for i, task in enumerate(tasks[:first + 1]):
            fh.write(json.dumps({"task_type": task.task_type, "seed": task.seed, "task_id": task.task_id,
                                 "difficulty": 1, "score": 1.0 if i == first else 0.0, "format_ok": True,
                                 "error": None, "completion_tokens": 10}) + "\n")
    result = learn_eval.score_held_out(str(tmp_path), set(), 1)
    assert result["n"] == first + 1 and result["correct"] == 1  # the repeat is a draw of its own
    assert result["task_ids"] == [t.task_id for t in tasks[:first + 1]]
    distinct = result["distinct"]
    assert distinct["n"] == len(set(keys[:first + 1])) < result["n"]
    assert distinct["correct"] == 0  # the content's first draw scored 0: that one stands for it
    assert distinct["ci95"] == list(learn_eval.wilson(0, distinct["n"]))


def test_failed_requests_fail_the_stage(tmp_path):
    from veritas.cpu_verl.stages import StageFailed

    with open(tmp_path / "records.jsonl", "w") as fh:
        for i in range(10):
            fh.write(json.dumps({"task_type": "dyck_language", "seed": 95_000_000 + i, "task_id": i, "score": 0.0,
                                 "error": "HTTP 400: max_tokens too large"}) + "\n")
    with pytest.raises(StageFailed, match="10 of 10 requests failed.*HTTP 400"):
        learn_eval.score_held_out(str(tmp_path), set(), 1)


# ---- the verdict ---------------------------------------------------------------------------------
def _held_out(correct: int, n: int = 300) -> dict:
    low, high = learn_eval.wilson(correct, n)
    return {"n": n, "correct": correct, "accuracy": correct / n, "ci95": [low, high], "dropped_overlap": 4,
            "distinct": {"n": n // 2, "correct": correct // 2, "accuracy": correct / n,
                         "ci95": list(learn_eval.wilson(correct // 2, n // 2))},
            "requested": n + 4, "task_ids": list(range(n))}


def _metrics(tmp_path, rewards: list[float]) -> str:
    path = tmp_path / "metrics.jsonl"
    with open(path, "w") as fh:
        for step, r in enumerate(rewards, 1):
            fh.write(json.dumps({"step": step, "data": {"critic/score/mean": r}}) + "\n")
    return str(path)


STAGES = {"sft": {"seconds": 100, "peak_rss_bytes": 3 << 30, "peak_pss_bytes": 2 << 30}}


@pytest.mark.parametrize("sft_correct, grpo_correct, rewards, seconds, failing", [
    (90, 150, [0.2] * 5 + [0.5] * 5, 900, set()),
    (90, 110, [0.2] * 5 + [0.5] * 5, 900, {"grpo_beats_sft"}),      # better, but the intervals overlap
    (90, 150, [0.5] * 5 + [0.2] * 5, 900, {"reward_rises"}),
    (90, 150, [0.2] * 5 + [0.5] * 5, 1600, {"budget"}),
])
def test_each_criterion_can_fail(tmp_path, sft_correct, grpo_correct, rewards, seconds, failing):
    result = learn_report.build_result(
        {"task_type": "dyck_language", "level": 1, "seed": 0}, STAGES,
        {"sft_eval": _held_out(sft_correct), "grpo_eval": _held_out(grpo_correct)},
        _metrics(tmp_path, rewards), seconds)
    assert {k for k, c in result["criteria"].items() if not c["passed"]} == failing
    assert result["passed"] is (not failing)
    assert result["grpo_reward_per_step"] == rewards
    learn_report.write_result(str(tmp_path), result)
    learn_report.draw_curve(str(tmp_path / "curve.png"), result)
    assert json.loads((tmp_path / "result.json").read_text())["passed"] is (not failing)
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ("LEARN OK" in learn_report.summary_text(result)) is (not failing)


def test_too_few_held_out_tasks_fail(tmp_path):
    result = learn_report.build_result({"task_type": "t", "level": 1, "seed": 0}, STAGES,
                                       {"sft_eval": _held_out(10, 200), "grpo_eval": _held_out(150, 200)},
                                       _metrics(tmp_path, [0.1] * 5 + [0.9] * 5), 600)
    assert not result["criteria"]["held_out_n"]["passed"] and not result["passed"]


# ---- CPU serving ---------------------------------------------------------------------------------
def test_serve_cpu_command_line():
    assert vllm_argv(["m", "--port", "9"]) == ["vllm", "serve", "m", *CPU_DEFAULTS, "--port", "9"]
    # Stands in for the vllm executable: `serve` and a lone `--` are dropped; user flags come last.
    assert vllm_argv(["serve", "m", "--", "--dtype", "bfloat16"])[-2:] == ["--dtype", "bfloat16"]
    with pytest.raises(ValueError, match="MODEL_DIR"):
        vllm_argv(["--port", "9"])


def test_serve_cpu_refuses_a_folder_without_a_model(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "veritas.cpu_verl.serve", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": REPO})
    assert proc.returncode == 2
    assert "no config.json" in proc.stderr and "Traceback" not in proc.stderr
