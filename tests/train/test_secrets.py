"""Secrets never reach output: with HF_TOKEN and WANDB_API_KEY set to marker values (in the
environment and in an env file), no script prints them in --help, --dry-run or its summaries."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.train.launchers import (ALGOS, DOCKER_RUN, GRPO, MERGE, REPO, SFT, SLURM, WANDB_SYNC, clean_env,
                                   write_fake)

HF_MARKER = "hf_SECRETMARKER_0123456789"
WANDB_MARKER = "wandbSECRETMARKER9876543210"
SHELL_SCRIPTS = sorted([*REPO.glob("*.sh"), *(REPO / "train").rglob("*.sh"), *(REPO / "train").rglob("*.sbatch"),
                        *(REPO / "scripts").glob("*.sh")])


@pytest.fixture
def secret_env(tmp_path):
    env_file = tmp_path / "secrets.env"
    env_file.write_text(f"HF_TOKEN={HF_MARKER}\nWANDB_API_KEY={WANDB_MARKER}\n")
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "scontrol", 'printf "node1\\nnode2\\n"\n')  # named fake: no Slurm here
    write_fake(bin_dir, "docker", "exit 0\n")  # named fake: no Docker engine here
    return {
        "from_env": clean_env(HF_TOKEN=HF_MARKER, WANDB_API_KEY=WANDB_MARKER, GPUS="1",
                              PATH=f"{bin_dir}:{clean_env()['PATH']}", SLURM_JOB_NODELIST="node[1-2]",
                              SLURM_GPUS_PER_NODE="8", SLURM_SUBMIT_DIR=str(REPO)),
        "from_file": clean_env(ENV_FILE=str(env_file), GPUS="1", PATH=f"{bin_dir}:{clean_env()['PATH']}",
                               SLURM_JOB_NODELIST="node[1-2]", SLURM_GPUS_PER_NODE="8",
                               SLURM_SUBMIT_DIR=str(REPO)),
    }


def invocations():
    yield "grpo-help", [GRPO, "--help"], {}
    yield "sft-help", [SFT, "--help"], {}
    yield "docker-help", [DOCKER_RUN, "--help"], {}
    yield "merge-help", [MERGE, "--help"], {}
    yield "wandb-sync-help", [WANDB_SYNC, "--help"], {}
    yield "slurm-help", [SLURM, "--help"], {}
    for algo in ALGOS:
        yield f"grpo-dry-{algo}", [GRPO, "--dry-run"], {"ALGO": algo}
    yield "grpo-dry-lora-quick-nohup", [GRPO, "--dry-run", "--nohup"], {"LORA_RANK": "16", "PRESET": "quick"}
    yield "sft-dry", [SFT, "--dry-run"], {}
    yield "sft-dry-lora-quick", [SFT, "--dry-run", "--nohup"], {"LORA_RANK": "16", "PRESET": "quick"}
    yield "docker-dry", [DOCKER_RUN, "--dry-run", "bash", str(GRPO.relative_to(REPO))], {}
    yield "slurm-dry", [SLURM, "--dry-run"], {}
    yield "grpo-error", [GRPO, "--dry-run"], {"ALGO": "nope"}


@pytest.mark.parametrize("source", ["from_env", "from_file"])
@pytest.mark.parametrize("name, argv, extra", list(invocations()), ids=[i[0] for i in invocations()])
def test_no_secret_in_any_output(name, argv, extra, source, secret_env):
    env = {**secret_env[source], **extra}
    proc = subprocess.run(["bash", *map(str, argv)], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    assert output.strip(), name
    assert HF_MARKER not in output and WANDB_MARKER not in output
    if name.startswith("grpo-dry-") and name != "grpo-dry-lora-quick-nohup":
        assert "online" in output  # the key was seen (W&B online) without being shown


def test_a_secret_passed_as_an_override_is_masked(secret_env):
    proc = subprocess.run(["bash", str(GRPO), "--dry-run", f"+trainer.note={HF_MARKER}"],
                          env=secret_env["from_env"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert HF_MARKER not in proc.stdout + proc.stderr
    assert "+trainer.note=***" in proc.stdout


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_xtrace_in_any_script(script):
    """`set -x` prints every expanded command, tokens included (the original launchers' leak)."""
    text = script.read_text()
    assert not re.search(r"^\s*set\s+-[a-wyz]*x|set\s+-o\s+xtrace|^#!.*\s-[a-z]*x", text, re.M), script
