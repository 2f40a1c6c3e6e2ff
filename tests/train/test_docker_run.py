"""docker_run_verl.sh against a named fake `docker` (no Docker engine here) that records every call.

The runner is exercised in a copy of the files it reads (so a developer's own .env is never touched):
docker_run_verl.sh, Dockerfile, pyproject.toml, docker/verl-image.txt and train/scripts/_common.sh.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.train.launchers import RECORD_ARGV, REPO, clean_env, read_calls, write_fake

FAKE_DOCKER = RECORD_ARGV + """
if [[ "$1 $2" == "image inspect" ]]; then
    [[ -n "${FAKE_IMAGE_MISSING:-}" && ! -f "$FAKE_LOG.built" ]] && exit 1
    exit 0
fi
[[ "$1" == build ]] && touch "$FAKE_LOG.built"
exit 0
"""
HF_MARKER = "hf_SECRETMARKER_0123456789"
WANDB_MARKER = "wandbSECRETMARKER9876543210"


@pytest.fixture
def sandbox(tmp_path):
    root = tmp_path / "repo"
    for rel in ("docker_run_verl.sh", "Dockerfile", "pyproject.toml", "docker/verl-image.txt",
                "train/scripts/_common.sh"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, root / rel)
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "docker", FAKE_DOCKER)
    log = tmp_path / "docker.calls"
    return root, bin_dir, log, tmp_path


def run_runner(sandbox, *args, check=True, **env):
    root, bin_dir, log, tmp_path = sandbox
    environ = clean_env(PATH=f"{bin_dir}:{clean_env()['PATH']}", FAKE_LOG=str(log),
                        HOME=str(tmp_path / "home"), **env)
    proc = subprocess.run(["bash", str(root / "docker_run_verl.sh"), *args], env=environ,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, read_calls(log)


def run_call(calls):
    runs = [c for c in calls if c[1] == "run"]
    assert len(runs) == 1, calls
    return runs[0][1:]


def flag_values(argv, flag):
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def test_defaults_mounts_gpus_ipc_and_passthrough_command(sandbox):
    root, _, _, tmp_path = sandbox
    _, calls = run_runner(sandbox, "bash", "train/scripts/lgc-v2-GRPO-trainer.sh", "trainer.save_freq=5")
    argv = run_call(calls)
    assert flag_values(argv, "--gpus") == ["all"]
    assert "--ipc=host" in argv
    assert f"{root}:/workspace/veritas-rl" in flag_values(argv, "-v")
    assert flag_values(argv, "-w") == ["/workspace/veritas-rl"]
    assert f"{tmp_path}/home/.cache/huggingface:/root/.cache/huggingface" in flag_values(argv, "-v")
    assert "HF_HOME=/root/.cache/huggingface" in flag_values(argv, "-e")
    assert "--rm" in argv
    assert "--init" in argv  # an init reaps orphans (python as PID 1 never does)
    # Off unless asked for.
    assert "--privileged" not in argv
    assert "--network" not in argv and not any(a.startswith("--network") or a.startswith("--net=") for a in argv)
    assert "--env-file" not in argv  # no .env in the sandbox
    assert "-it" not in argv  # no terminal attached here
    # The image, then exactly the command given.
    image_at = next(i for i, a in enumerate(argv) if a.startswith("veritas-rl:verl0.9.1-"))
    assert argv[image_at + 1:] == ["bash", "train/scripts/lgc-v2-GRPO-trainer.sh", "trainer.save_freq=5"]


def test_no_command_opens_a_shell_in_the_image(sandbox):
    _, calls = run_runner(sandbox)
    argv = run_call(calls)
    assert argv[-1].startswith("veritas-rl:verl0.9.1-")  # the image's CMD (bash) runs


def test_env_file_passed_when_present_and_values_never_on_the_command_line(sandbox):
    root = sandbox[0]
    (root / ".env").write_text(f"HF_TOKEN={HF_MARKER}\nWANDB_API_KEY={WANDB_MARKER}\n# comment\n")
    proc, calls = run_runner(sandbox, "true")
    argv = run_call(calls)
    assert flag_values(argv, "--env-file") == [str(root / ".env")]
    everything = "\n".join("\0".join(c) for c in calls) + proc.stdout + proc.stderr
    assert HF_MARKER not in everything and WANDB_MARKER not in everything


def test_launcher_settings_are_forwarded_by_name(sandbox):
    proc, calls = run_runner(sandbox, "true", MIX="trace", ALGO="dapo", HF_TOKEN=HF_MARKER)
    argv = run_call(calls)
    forwarded = flag_values(argv, "-e")
    assert {"MIX", "ALGO", "HF_TOKEN"} <= set(forwarded)
    everything = "\n".join("\0".join(c) for c in calls) + proc.stdout + proc.stderr
    assert HF_MARKER not in everything
    assert "LORA_RANK" not in forwarded  # unset variables are not forwarded


def test_opt_in_flags(sandbox):
    _, calls = run_runner(sandbox, "--host-network", "--privileged", "--gpus", '"device=0,1"',
                          "--name", "vr1", "--", "nvidia-smi")
    argv = run_call(calls)
    assert flag_values(argv, "--network") == ["host"]
    assert "--privileged" in argv
    assert flag_values(argv, "--gpus") == ['"device=0,1"']
    assert flag_values(argv, "--name") == ["vr1"]
    assert argv[-1] == "nvidia-smi"


def test_missing_image_is_built_first_from_the_pinned_base(sandbox):
    root = sandbox[0]
    _, calls = run_runner(sandbox, "true", FAKE_IMAGE_MISSING="1")
    kinds = [c[1] for c in calls]
    assert kinds == ["image", "build", "run"]
    build = calls[1][1:]
    assert "VERL_IMAGE=verlai/verl:vllm024.dev2" in flag_values(build, "--build-arg")
    assert "VERL_VERSION=0.9.1" in flag_values(build, "--build-arg")
    tag = flag_values(build, "-t")[0]
    assert build[-1] == str(root)
    assert tag in run_call(calls)  # the image it built is the one it runs


def test_present_image_is_not_rebuilt_unless_asked(sandbox):
    _, calls = run_runner(sandbox, "true")
    assert [c[1] for c in calls] == ["image", "run"]
    sandbox[2].unlink()
    _, calls = run_runner(sandbox, "--build", "true")
    assert [c[1] for c in calls] == ["build", "run"]


def test_image_tag_follows_the_build_inputs(sandbox):
    root = sandbox[0]
    _, calls = run_runner(sandbox, "true")
    before = calls[0][3]
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + "\n# changed\n")
    sandbox[2].unlink()
    _, calls = run_runner(sandbox, "true")
    assert calls[0][3] != before and calls[0][3].startswith("veritas-rl:verl0.9.1-")
    _, calls = run_runner(sandbox, "true", IMAGE="my/own:image")
    assert calls[-1][-2:] == ["my/own:image", "true"]


def test_quoted_env_value_is_refused_with_line_and_key(sandbox):
    root = sandbox[0]
    (root / ".env").write_text(f'# ok\nHF_TOKEN="{HF_MARKER}"\n')
    proc, calls = run_runner(sandbox, "true", check=False)
    assert proc.returncode != 0
    assert ".env line 2" in proc.stderr and "HF_TOKEN" in proc.stderr
    assert HF_MARKER not in proc.stdout + proc.stderr
    assert calls == []


def test_dry_run_prints_and_runs_nothing(sandbox):
    proc, calls = run_runner(sandbox, "--dry-run", "bash", "x.sh")
    assert [c for c in calls if c[1] in ("run", "build")] == []
    assert "docker run" in proc.stdout.replace(" \\\n    ", " ")
    assert "--ipc=host" in proc.stdout


def test_help_mentions_every_option(sandbox):
    proc, _ = run_runner(sandbox, "--help")
    for flag in ("--build", "--gpus", "--host-network", "--privileged", "--name", "--dry-run"):
        assert flag in proc.stdout


def test_unknown_option_fails_clearly(sandbox):
    proc, calls = run_runner(sandbox, "--network=host", check=False)
    assert proc.returncode != 0 and "unknown option '--network=host'" in proc.stderr
    assert calls == []


def test_real_docker_cli_is_not_what_ran(sandbox):
    """Guard that the fake shadowed any docker CLI on this machine."""
    _, calls = run_runner(sandbox, "true")
    assert calls and Path(sandbox[1] / "docker").read_text().startswith("#!/usr/bin/env bash\n# FAKE docker")


# ---- issue 14 item 10 -----------------------------------------------------------------------------

def last_run(calls):
    """The newest `docker run` (the fake's log accumulates over the calls of one test)."""
    return [c for c in calls if c[1] == "run"][-1][1:]


def test_gpu_selection_follows_slurm_and_cuda_visible_devices(sandbox):
    """docker renumbers the devices it passes from 0, so the host's list becomes --gpus and is not
    forwarded (it would name the wrong devices inside)."""
    _, calls = run_runner(sandbox, "true", CUDA_VISIBLE_DEVICES="2,3")
    argv = last_run(calls)
    assert flag_values(argv, "--gpus") == ['"device=2,3"']
    assert "CUDA_VISIBLE_DEVICES" not in flag_values(argv, "-e")
    _, calls = run_runner(sandbox, "true", CUDA_VISIBLE_DEVICES="0,1", SLURM_JOB_GPUS="4,5")
    assert flag_values(last_run(calls), "--gpus") == ['"device=4,5"']
    _, calls = run_runner(sandbox, "--gpus", "all", "true", CUDA_VISIBLE_DEVICES="1")
    assert flag_values(last_run(calls), "--gpus") == ["all"]
    runs_before = sum(c[1] == "run" for c in calls)
    proc, calls = run_runner(sandbox, "true", check=False, CUDA_VISIBLE_DEVICES="0, 1")
    assert proc.returncode != 0 and "expected indices or UUIDs like 0,1" in proc.stderr
    assert sum(c[1] == "run" for c in calls) == runs_before


def test_ray_logs_open_files_and_init(sandbox):
    root, _, _, tmp_path = sandbox
    _, calls = run_runner(sandbox, "true")
    argv = last_run(calls)
    assert "nofile=1048576:1048576" in flag_values(argv, "--ulimit")
    assert "--init" in argv  # reaps orphaned processes (PID 1 in the container is not a shell)
    ray_mounts = [v for v in flag_values(argv, "-v") if v.endswith(":/tmp/ray")]
    assert len(ray_mounts) == 1 and ray_mounts[0].startswith(str(root / "train" / "logs" / "ray") + "/")
    assert Path(ray_mounts[0].rsplit(":", 1)[0]).is_dir()  # on the host: survives the container
    _, calls = run_runner(sandbox, "true", RAY_TMP_DIR=str(tmp_path / "scratch-ray"))
    assert f"{tmp_path}/scratch-ray:/tmp/ray" in flag_values(last_run(calls), "-v")


def test_as_me_runs_as_the_calling_user(sandbox):
    import os

    _, calls = run_runner(sandbox, "--as-me", "true")
    argv = last_run(calls)
    assert flag_values(argv, "--user") == [f"{os.getuid()}:{os.getgid()}"]
    envs = flag_values(argv, "-e")
    assert "HOME=/tmp/home" in envs and "HF_HOME=/tmp/home/.cache/huggingface" in envs
    assert any(v.endswith(":/tmp/home/.cache/huggingface") for v in flag_values(argv, "-v"))
    _, calls = run_runner(sandbox, "true")
    assert "--user" not in last_run(calls)


def test_image_choice_is_documented():
    text = (REPO / "docker" / "verl-image.txt").read_text()
    assert "vllm024.latest" in text and "digest" in text
