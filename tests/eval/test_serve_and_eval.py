"""train/scripts/serve-and-eval.sh against a named fake `vllm` (tests/eval/fake_vllm.py): no GPU
and no vLLM here, so the fake serves /health and chat completions on the port the script asks for.
What is real: the script, its health wait, `veritas eval`, and the server shutdown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from veritas.envs import list_task_types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "train", "scripts", "serve-and-eval.sh")
FAKE = os.path.join(ROOT, "tests", "eval", "fake_vllm.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def model_dir(tmp_path):
    d = tmp_path / "merged-model"
    d.mkdir()
    (d / "config.json").write_text("{}")
    return d


def _run(tmp_path, model_dir, mode="ok", extra=()):
    env = dict(os.environ, SERVE_VLLM=FAKE, SERVE_PORT=str(_free_port()), FAKE_VLLM_MODE=mode, SERVE_TP="1",
               FAKE_VLLM_PIDFILE=str(tmp_path / "vllm.pid"), SERVE_LOG_DIR=str(tmp_path / "logs"),
               SERVE_HEALTH_TIMEOUT="60", PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    out = tmp_path / "eval"
    args = ["bash", SCRIPT, str(model_dir), "--task-types", list_task_types()[0], "--n", "3",
            "--out", str(out), "--quiet", "--no-chart", "--max-retries", "0", *extra]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300), out


def _server_pid(tmp_path) -> int:
    return int((tmp_path / "vllm.pid").read_text().split()[0])


def test_serves_evaluates_and_stops_the_server(tmp_path, model_dir):
    proc, out = _run(tmp_path, model_dir)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["model"] == "merged-model"
    assert results["metrics"]["overall"]["tasks"] == 3
    assert results["metrics"]["overall"]["accuracy"] == 0  # the fake answers "I do not know."
    served_args = (tmp_path / "vllm.pid").read_text().splitlines()[1]
    assert f"serve {model_dir}" in served_args and "--host 127.0.0.1" in served_args
    pid = _server_pid(tmp_path)
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid), "the server must be stopped when the eval ends"


def test_eval_status_is_the_scripts_status(tmp_path, model_dir):
    proc, _ = _run(tmp_path, model_dir, mode="deny")
    assert proc.returncode == 3  # veritas eval's code for an endpoint that refuses the key
    assert "refused the API key" in proc.stderr


def test_server_that_dies_gives_a_clear_error(tmp_path, model_dir):
    proc, _ = _run(tmp_path, model_dir, mode="die")
    assert proc.returncode == 1
    assert "exited before it was healthy" in proc.stderr and "out of memory" in proc.stderr


def test_help_dry_run_and_bad_model_dir(tmp_path, model_dir):
    assert "usage:" in subprocess.run(["bash", SCRIPT, "--help"], capture_output=True, text=True, check=True).stdout
    dry = subprocess.run(["bash", SCRIPT, str(model_dir), "--dry-run"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, SERVE_TP="2", SERVE_PORT="8123"))
    assert "--tensor-parallel-size 2" in dry.stdout and "--base-url http://127.0.0.1:8123/v1" in dry.stdout
    bad = subprocess.run(["bash", SCRIPT, str(tmp_path / "nope")], capture_output=True, text=True)
    assert bad.returncode == 2 and "no config.json" in bad.stderr


# ---- issue 14 item 5 and issue 17 items 8-9 -------------------------------------------------------

def test_defaults_tp1_replicas_per_visible_gpu_and_vllm_sampling(tmp_path, model_dir):
    """TP 1 by default (Qwen2.5-1.5B's 12 heads refuse TP 8); extra GPUs become data-parallel
    replicas, counted from CUDA_VISIBLE_DEVICES; vLLM's own sampling defaults, as verl's rollouts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVE_")}
    dry = subprocess.run(["bash", SCRIPT, str(model_dir), "--dry-run"], capture_output=True, text=True, check=True,
                         env=dict(env, CUDA_VISIBLE_DEVICES="0,1,2,3,4,5,6,7"))
    serve = dry.stdout.splitlines()[0]
    assert "--tensor-parallel-size 1" in serve and "--data-parallel-size 8" in serve
    assert "--generation-config vllm" in serve
    dry = subprocess.run(["bash", SCRIPT, str(model_dir), "--dry-run"], capture_output=True, text=True, check=True,
                         env=dict(env, CUDA_VISIBLE_DEVICES="2,3", SERVE_TP="2"))
    assert "--tensor-parallel-size 2" in dry.stdout and "--data-parallel-size" not in dry.stdout


def test_extra_vllm_flags_pass_through(tmp_path, model_dir):
    proc, _ = _run(tmp_path, model_dir, extra=("--vllm-arg", "--enforce-eager", "--vllm-arg=--max-num-seqs",
                                               "--vllm-arg", "16"))
    assert proc.returncode == 0, proc.stderr
    served_args = (tmp_path / "vllm.pid").read_text().splitlines()[1].split()
    assert served_args[-3:] == ["--enforce-eager", "--max-num-seqs", "16"]
    dry = subprocess.run(["bash", SCRIPT, str(model_dir), "--dry-run"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, SERVE_VLLM_ARGS="--enforce-eager --dtype float32"))
    assert dry.stdout.splitlines()[0].endswith("--enforce-eager --dtype float32")


def test_port_in_use_is_refused_before_starting(tmp_path, model_dir):
    """A real socket already listening on the port: the script must not evaluate it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, SERVE_VLLM=FAKE, SERVE_PORT=str(port), FAKE_VLLM_PIDFILE=str(tmp_path / "vllm.pid"),
                   SERVE_LOG_DIR=str(tmp_path / "logs"), SERVE_TP="1")
        proc = subprocess.run(["bash", SCRIPT, str(model_dir), "--n", "1"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"port {port} is already in use" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "vllm.pid").exists()  # vLLM was never started


def test_a_server_that_is_not_ours_is_refused(tmp_path, model_dir):
    """Our vLLM dies while another process answers on the port (its health check passes)."""
    proc, out = _run(tmp_path, model_dir, mode="impostor")
    impostor = tmp_path / "vllm.pid.impostor"
    try:
        assert proc.returncode == 1
        assert "refusing to evaluate a server this script did not start" in proc.stderr \
            or "not the one this script started" in proc.stderr
        assert not (out / "results.json").exists()
    finally:
        if impostor.exists():
            os.kill(int(impostor.read_text().split()[0]), 9)
