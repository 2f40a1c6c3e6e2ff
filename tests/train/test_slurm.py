"""train/slurm/grpo-multinode.sbatch against named fakes of Slurm's `scontrol` and `srun` (no Slurm
cluster here). The fake srun records each step and answers the two questions the script asks a
node: its IP address, and how many nodes the Ray cluster counts."""

from __future__ import annotations

import subprocess

import pytest

from tests.train.launchers import RECORD_ARGV, REPO, SLURM, clean_env, parse_command, read_calls, write_fake

FAKE_SCONTROL = 'printf "gpu-a\\ngpu-b\\ngpu-c\\n"\n'
FAKE_SRUN = RECORD_ARGV + """
case "$*" in
    *"hostname --ip-address"*) echo "fe80::1 10.1.2.3 172.17.0.1" ;;
    *"ray.nodes()"*) echo "3" ;;
    *--print-ray-env*) printf 'WANDB_MODE=offline\\nWANDB_DIR=/w/train/artifacts/wandb\\nWANDB_RUN_ID=exp-1234\\nWANDB_RESUME=allow\\nTENSORBOARD_DIR=/w/tb\\nPYTHONPATH=/w\\n' ;;
    *lgc-v2-GRPO-trainer.sh*) echo "TRAINER STEP" ;;
esac
exit 0
"""


@pytest.fixture
def slurm_env(tmp_path):
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "scontrol", FAKE_SCONTROL)
    write_fake(bin_dir, "srun", FAKE_SRUN)
    log = tmp_path / "srun.calls"
    env = clean_env(PATH=f"{bin_dir}:{clean_env()['PATH']}", FAKE_LOG=str(log), SLURM_JOB_NODELIST="gpu-[a-c]",
                    SLURM_GPUS_PER_NODE="h100:8", SLURM_CPUS_PER_TASK="64", SLURM_SUBMIT_DIR=str(REPO))
    return env, log


def sbatch(env, *args, check=True):
    # sbatch runs a spool copy from elsewhere: run it from /tmp to show the repo is found by SLURM_SUBMIT_DIR.
    proc = subprocess.run(["bash", str(SLURM), *args], env=env, cwd="/tmp", capture_output=True, text=True,
                          timeout=120)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def steps(log):
    return [c[1:] for c in read_calls(log) if c[0] == "srun"]


def test_starts_ray_head_then_workers_then_the_trainer_on_the_head(slurm_env):
    env, log = slurm_env
    proc = sbatch(env, "trainer.save_freq=10")
    assert "TRAINER STEP" in proc.stdout
    calls = steps(log)
    head = [c for c in calls if "--head" in c]
    workers = [c for c in calls if "start" in c and "--head" not in c]
    trainer = [c for c in calls if "train/scripts/lgc-v2-GRPO-trainer.sh" in c and "--print-ray-env" not in c]
    assert len(head) == 1 and head[0][head[0].index("-w") + 1] == "gpu-a"
    assert "--node-ip-address=10.1.2.3" in head[0] and "--num-gpus=8" in head[0] and "--block" in head[0]
    assert sorted(c[c.index("-w") + 1] for c in workers) == ["gpu-b", "gpu-c"]
    assert all("--address=10.1.2.3:6379" in c for c in workers)
    (t,) = trainer
    assert t[t.index("-w") + 1] == "gpu-a"
    assert {"RAY_ADDRESS=10.1.2.3:6379", "NNODES=3", "GPUS=8"} <= set(t)
    assert t[-1] == "trainer.save_freq=10"
    # It asked the cluster for its node count twice: head up, then all nodes joined. (Ray steps run
    # in the background, so the order in which the fake recorded them is not asserted.)
    queries = [c for c in calls if any("ray.nodes()" in a for a in c)]
    assert len(queries) == 2 and all("10.1.2.3:6379" in " ".join(q) for q in queries)


def test_dry_run_prints_the_steps_and_the_trainers_own_command(slurm_env):
    env, log = slurm_env
    proc = sbatch(env, "--dry-run")
    assert steps(log) == []
    assert "== Ray head on gpu-a ==" in proc.stdout and "== Ray worker on gpu-c ==" in proc.stdout
    printed = parse_command(proc.stdout)
    assert "trainer.nnodes=3" in printed.overrides and "trainer.n_gpus_per_node=8" in printed.overrides


def test_launcher_prefix_wraps_every_step(slurm_env):
    env, log = slurm_env
    sbatch({**env, "LAUNCHER": "apptainer exec --nv verl.sif"})
    for call in steps(log):
        w = call.index("-w")
        assert call[w + 2:w + 5] == ["apptainer", "exec", "--nv"], call


def test_ray_processes_get_the_trainers_tracking_environment(slurm_env):
    """Item 4 (multi-node half): `ray start` on every node carries what the trainer gives Ray."""
    env, log = slurm_env
    sbatch(env)
    calls = steps(log)
    starts = [c for c in calls if "start" in c and "ray" in c]
    assert len(starts) == 3
    for c in starts:
        assert {"WANDB_MODE=offline", "WANDB_DIR=/w/train/artifacts/wandb", "WANDB_RUN_ID=exp-1234",
                "TENSORBOARD_DIR=/w/tb", "PYTHONPATH=/w"} <= set(c), c
    (ask,) = [c for c in calls if "--print-ray-env" in c]
    assert ask[ask.index("-w") + 1] == "gpu-a"


def test_docker_runs_one_long_lived_container_per_node(slurm_env):
    """Item 3: with docker_run_verl.sh, one container per node for the whole job; Ray, the probes
    and the trainer are exec'd into it (they share its /tmp/ray); the containers stop at the end."""
    env, log = slurm_env
    proc = sbatch({**env, "LAUNCHER": "./docker_run_verl.sh", "SLURM_JOB_ID": "777"})
    assert "TRAINER STEP" in proc.stdout
    calls = steps(log)
    name = "veritas-ray-777"

    def node_of(c):
        return c[c.index("-w") + 1]

    def payload(c):
        return c[c.index("-w") + 2:]

    runs = [c for c in calls if payload(c)[0] == "./docker_run_verl.sh"]
    assert sorted(node_of(c) for c in runs) == ["gpu-a", "gpu-b", "gpu-c"]
    for c in runs:
        assert payload(c) == ["./docker_run_verl.sh", "--host-network", "--name", name, "--", "sleep", "infinity"]
    execs = [c for c in calls if payload(c)[:2] == ["docker", "exec"]]
    assert execs and all(payload(c)[2] == name for c in execs)
    # Everything else (ray start, probes, trainer) runs through docker exec, never a fresh container.
    others = [c for c in calls if c not in runs and payload(c)[:2] != ["docker", "stop"]]
    assert all(payload(c)[:3] == ["docker", "exec", name] for c in others), others
    ray_starts = [c for c in execs if "ray" in c and "start" in c]
    assert len(ray_starts) == 3 and all("--block" not in c for c in ray_starts)  # the container keeps Ray alive
    (trainer,) = [c for c in execs if "train/scripts/lgc-v2-GRPO-trainer.sh" in c and "--print-ray-env" not in c]
    assert node_of(trainer) == "gpu-a" and "NNODES=3" in trainer
    stops = [c for c in calls if payload(c)[:2] == ["docker", "stop"]]
    assert sorted(node_of(c) for c in stops) == ["gpu-a", "gpu-b", "gpu-c"]
    assert all(payload(c)[2] == name for c in stops)


def test_outside_slurm_or_without_gpus_it_says_so(slurm_env):
    env, _ = slurm_env
    no_job = {k: v for k, v in env.items() if k != "SLURM_JOB_NODELIST"}
    proc = sbatch(no_job, check=False)
    assert proc.returncode == 1 and "not inside a Slurm job" in proc.stderr
    no_gpus = {k: v for k, v in env.items() if k != "SLURM_GPUS_PER_NODE"}
    proc = sbatch(no_gpus, check=False)
    assert proc.returncode == 1 and "GPUs per node unknown" in proc.stderr
    proc = sbatch({**env, "SLURM_SUBMIT_DIR": "/tmp"}, check=False)
    assert proc.returncode == 1 and "is not the veritas-rl repository" in proc.stderr
