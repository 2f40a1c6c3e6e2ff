"""Helpers for the data_gen tests: run the real command line in a subprocess, from the repo root."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.native import native_task_types

ROOT = Path(__file__).resolve().parents[2]
TASK_TYPES = native_task_types()


def all_types() -> str:
    assert TASK_TYPES, "no task family is registered"
    return ",".join(TASK_TYPES)


def cli_env(extra: dict | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("OPENAI_API_KEY", None)
    env.update(extra or {})
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m data_gen ARGS` as a user runs it; returns the finished process (text output)."""
    return subprocess.run([sys.executable, "-m", "data_gen", *args], cwd=cwd or ROOT, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


def kill_when(args: list[str], ready, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> bool:
    """Start `python -m data_gen ARGS`, SIGKILL it as soon as ready() is true. Returns False when
    the command finished before that (the caller then asks for more work and tries again)."""
    proc = subprocess.Popen([sys.executable, "-m", "data_gen", *args], cwd=cwd or ROOT, env=env or cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if ready():
                proc.kill()
                proc.wait()
                return True
            if time.monotonic() > deadline:
                raise AssertionError(f"data_gen {args[0]} neither finished nor became ready in {timeout} s")
            time.sleep(0.002)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def datasets_cache(monkeypatch, tmp_path):
    """verl's RLHFDataset caches through `datasets`; keep that cache inside the test's folder."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    return tmp_path
