"""Helpers for the launcher tests: run a script from the repository, read back the command its
--dry-run prints, compose verl's Hydra config from it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "train" / "scripts"
GRPO = SCRIPTS / "lgc-v2-GRPO-trainer.sh"
SFT = SCRIPTS / "lgc-v2-SFT-trainer.sh"
MERGE = SCRIPTS / "merge-checkpoint.sh"
WANDB_SYNC = SCRIPTS / "wandb-sync.sh"
DOCKER_RUN = REPO / "docker_run_verl.sh"
SLURM = REPO / "train" / "slurm" / "grpo-multinode.sbatch"
ALGOS = sorted(p.stem for p in (REPO / "train" / "presets" / "algo").glob("*.args"))
VENV_BIN = Path(sys.executable).parent

# Variables a developer's shell may carry that would change what the scripts print.
_SCRUB = (
    "MIX", "ALGO", "PRESET", "MODEL", "LORA_RANK", "LORA_ALPHA", "LORA_LR", "GPUS", "NNODES", "EXP",
    "PROJECT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR",
    "WANDB_ENTITY", "TENSORBOARD_DIR", "CUDA_VISIBLE_DEVICES", "RAY_ADDRESS", "ENV_FILE", "IMAGE",
    "HF_CACHE_DIR", "SFT_TRAIN_FILE", "SFT_VAL_FILE", "VAL_N", "DUMP_GENERATIONS", "WANDB_RUN_ID",
    "WANDB_RESUME", "SLURM_JOB_GPUS", "RAY_TMP_DIR", "SERVE_VLLM_ARGS", "PYTHON",
)


def clean_env(**overrides: str) -> dict[str, str]:
    """The current environment without the launchers' own variables, plus `overrides`.
    ENV_FILE points at a file that does not exist, so a developer's real .env is never read."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["ENV_FILE"] = "/nonexistent/.env"
    env.update(overrides)
    return env


def run(script: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["bash", str(script), *args], env=env if env is not None else clean_env(),
        cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{script.name} {args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass
class Printed:
    """The command a launcher printed: environment settings, the program, verl's overrides."""

    argv: list[str]
    env: dict[str, str]
    program: list[str]
    module: str
    overrides: list[str]


def parse_command(stdout: str) -> Printed:
    """Read the block after '== command' back into argv, exactly as bash would split it."""
    lines = stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("== command")]
    assert len(starts) == 1, f"expected one '== command' block in:\n{stdout}"
    # Backslash-newline is a line continuation for bash; shlex needs it removed first.
    argv = shlex.split("\n".join(lines[starts[0] + 1:]).replace("\\\n", " "))
    env: dict[str, str] = {}
    rest = argv
    if rest and rest[0] == "env":
        rest = rest[1:]
        while rest and "=" in rest[0] and not rest[0].startswith("-"):
            key, value = rest[0].split("=", 1)
            env[key] = value
            rest = rest[1:]
    m = rest.index("-m")
    return Printed(argv=argv, env=env, program=rest[: m + 2], module=rest[m + 1], overrides=rest[m + 2:])


def dry_run(script: Path, *args: str, **env: str) -> tuple[Printed, subprocess.CompletedProcess]:
    proc = run(script, "--dry-run", *args, env=clean_env(**env))
    return parse_command(proc.stdout), proc


def summary_value(stdout: str, label: str) -> str:
    """The value on the summary line that starts with `label` (e.g. 'checkpoints')."""
    for line in stdout.splitlines():
        if line.startswith(label + " "):
            return line[len(label):].strip()
    raise AssertionError(f"no '{label}' line in:\n{stdout}")


def write_fake(bin_dir: Path, name: str, body: str) -> Path:
    """A named fake command on PATH, for tools that cannot exist here (docker engine, GPUs, Slurm,
    the model hub). `body` is bash; FAKE_LOG (if set) is where fakes record their arguments."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\n# FAKE " + name + " written by tests/train (no real one here)\n" + body)
    path.chmod(0o755)
    return path


# One record per call, written under a lock on the log: fakes run in the background at the same time
# (the Slurm script starts a node's srun steps with `&`), and two unlocked appends of one record can
# interleave with another call's, merging two calls into one.
RECORD_ARGV = ('{ flock 9; printf "%s\\0" "$(basename "$0")" "$@" >&9; printf "\\n" >&9; } 9>>"$FAKE_LOG"\n')


def read_calls(log: Path) -> list[list[str]]:
    """The argv of each recorded call of the fakes (RECORD_ARGV format: NUL-separated, one per line)."""
    if not log.exists():
        return []
    calls = []
    for chunk in log.read_text().split("\0\n"):
        if chunk.strip("\n"):
            calls.append(chunk.lstrip("\n").split("\0"))
    return calls
