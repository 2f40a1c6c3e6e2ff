"""Faults injected for real into the trace sandbox: SIGKILL and SIGSTOP on the worker around a
generate(), a kill storm, a worker that cannot start, a program that stalls its worker in C code,
and forked children (raw fork, multiprocessing, a torch DataLoader) whose workers must end with
them. A task must stay a pure function of its id through all of it."""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

from veritas.envs import generate
from veritas.envs.tasks.trace import sandbox

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    """True while pid is a process that has not ended (a zombie has ended)."""
    state = sandbox._proc_state(pid)
    return state is not None and state[0] not in "ZX"


def _wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class NewWorkerSignaller(threading.Thread):
    """Sends `sig` to each new worker of `client` (any pid not in `seen`), `times` times."""

    def __init__(self, client, sig, times, seen):
        super().__init__(daemon=True)
        self.client, self.sig, self.times, self.seen = client, sig, times, set(seen)
        self.hit: list[int] = []
        self.stop = threading.Event()

    def run(self):
        while len(self.hit) < self.times and not self.stop.is_set():
            pid = self.client.worker_pid
            if pid is not None and pid not in self.seen:
                self.seen.add(pid)
                os.kill(pid, self.sig)
                self.hit.append(pid)
            time.sleep(0.0005)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP])
def test_two_faults_around_one_generate_leave_the_task_unchanged(sig):
    expected = generate("trace", 12345).to_json()
    client = sandbox.default_client()
    before = client.restarts
    idle = client.worker_pid
    os.kill(idle, sig)  # the first fault hits the idle worker
    signaller = NewWorkerSignaller(client, sig, 1, {idle})  # the second hits its replacement
    signaller.start()
    start = time.perf_counter()
    got = generate("trace", 12345).to_json()
    elapsed = time.perf_counter() - start
    signaller.stop.set()
    signaller.join()
    assert got == expected  # same program, same candidate, same bytes
    assert len(signaller.hit) == 1 and client.restarts - before == 2
    assert elapsed < 6.0  # a stopped worker is found in ~0.7 s (the old fixed wall timeout: 10 s each)
    for pid in [idle, *signaller.hit]:
        assert not _alive(pid)


def kill_storm(client, stop: threading.Event, kills: list, age_s: float) -> None:
    """SIGKILL each worker of `client` once it has lived `age_s` (from when this thread first saw
    it). Each worker must live long enough to start (~25-100 ms here) or nothing can progress:
    then the right answer is SandboxUnavailable, tested below."""
    first_seen: dict[int, float] = {}
    while not stop.is_set():
        pid = client.worker_pid
        if pid is not None:
            seen = first_seen.setdefault(pid, time.monotonic())
            if time.monotonic() - seen >= age_s and pid not in kills:
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                except ProcessLookupError:
                    pass
        time.sleep(0.002)


def test_a_kill_storm_changes_no_task():
    # Every worker is killed 0.5 s into its life (room to start even on a loaded machine), until 6
    # kills have landed; then the same ids are generated again undisturbed and compared.
    client = sandbox.default_client()
    before = client.restarts
    stop, kills = threading.Event(), []
    killer = threading.Thread(target=kill_storm, args=(client, stop, kills, 0.5), daemon=True)
    start = time.perf_counter()
    got = []
    killer.start()
    try:
        for i in range(500_000, 502_000):
            got.append(generate("trace", i).to_json())
            if len(kills) >= 6 or time.perf_counter() - start > 90:
                break
    finally:
        stop.set()
        killer.join()
    elapsed = time.perf_counter() - start
    assert len(kills) >= 3 and client.restarts - before >= 3, (len(kills), client.restarts - before)
    assert got == [generate("trace", 500_000 + k).to_json() for k in range(len(got))]
    assert elapsed < 120


def _failing_command(code: str):
    def command(self):
        return [sys.executable, "-c", code]
    return command


@pytest.mark.parametrize("code, how", [
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),  # killed from outside
    ("raise SystemExit(3)", "exit status 3; a probe program failed too"),  # dies by itself: the probe tells
])
def test_a_sandbox_that_keeps_failing_says_so(monkeypatch, code, how):
    client = sandbox.default_client()
    client.close()
    monkeypatch.setattr(sandbox.SandboxClient, "_command", _failing_command(code))
    monkeypatch.setattr(sandbox, "SANDBOX_PATIENCE_S", 2.0)  # 20 s by default
    start = time.perf_counter()
    try:
        with pytest.raises(sandbox.SandboxUnavailable) as caught:
            generate("trace", 4321)
    finally:
        client.close()
    message = str(caught.value)
    assert "the sandbox itself is failing" in message and how in message
    assert "workers in a row died or stalled over" in message
    assert "generator bug" not in message
    assert time.perf_counter() - start < 15


def test_a_program_that_stalls_its_worker_is_a_failed_candidate(monkeypatch):
    # sum(range(10 ** 9)) runs ~10 CPU seconds inside one C call that checks no signals, so the
    # worker's CPU timer cannot interrupt it: the parent sees the CPU burn in /proc and blames
    # the program. (Generated programs never do this: their values are bounded.)
    monkeypatch.setattr(sandbox, "CPU_GRACE_S", 0.2)
    client = sandbox.SandboxClient()
    try:
        start = time.perf_counter()
        result = client.run("print(sum(range(10 ** 9)))\n")
        assert result.status == "killed"
        assert client.restarts == 2  # two tries, then a probe on a fresh worker answered
        assert time.perf_counter() - start < 30
        assert client.run("print(2)").output == "2\n"
    finally:
        client.close()


# -- workers end with their owner ---------------------------------------------------------------


def _child_generates(conn):
    generate("trace", 77)
    conn.send(sandbox.default_client().worker_pid)
    conn.close()


class _TraceTasks:
    """A map-style dataset whose items are trace tasks and the pid of the worker that ran them."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        task = generate("trace", 900 + i)
        return task.task_id, sandbox.default_client().worker_pid


def _zombie_children() -> list[int]:
    me, zombies = str(os.getpid()).encode(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] == b"Z":
                zombies.append(int(entry))
    return zombies


def reaper_scenario() -> None:
    """Run as its own process (`python -c`): become the subreaper that adopts every orphan below
    it and never reaps one (what python as a container's PID 1 does without --init), run forked
    children that use the sandbox, and print how many zombies it holds afterwards."""
    import ctypes
    import json

    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    from torch.utils.data import DataLoader

    generate("trace", 1)  # the parent's own worker; every fork child inherits the client
    workers, passes = set(), []
    for _ in range(3):  # three passes of a forked 2-worker DataLoader, as an epoch loop makes
        loader = DataLoader(_TraceTasks(), batch_size=None, num_workers=2, multiprocessing_context="fork")
        items = list(loader)
        del loader
        workers.update(pid for _, pid in items)
        time.sleep(0.3)
        passes.append(len(_zombie_children()))
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    child = ctx.Process(target=_child_generates, args=(there,))
    child.start()
    workers.add(here.recv())
    child.join(10)
    time.sleep(0.3)
    print(json.dumps({"zombies_after_each_pass": passes, "zombies": _zombie_children(),
                      "workers": len(workers), "alive": [w for w in workers if _alive(w)]}))


def test_forked_children_leave_no_worker_and_no_zombie_behind():
    # The subreaper stands for python as PID 1 in a container: before this fix, each exited
    # dataloader worker left its sandbox worker as a zombie there (1, 2, 3 after three passes).
    code = "from tests.envs.test_trace_faults import reaper_scenario; reaper_scenario()"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["workers"] == 7  # 3 passes x 2 dataloader workers + 1 multiprocessing child
    assert report["zombies_after_each_pass"] == [0, 0, 0]
    assert report["zombies"] == [] and report["alive"] == []


def test_a_child_killed_outright_takes_its_worker_along():
    # No exit hook runs in a SIGKILLed child, and its worker is stopped, so it would never read
    # the pipe's end either: only the worker's parent-death signal (SIGKILL) can end it.
    generate("trace", 2)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            generate("trace", 3)
            worker = sandbox.default_client().worker_pid
            os.kill(worker, signal.SIGSTOP)
            os.write(write_end, f"{worker}\n".encode())
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(write_end)
    worker = int(os.read(read_end, 64).decode())
    os.close(read_end)
    assert _wait_until(lambda: sandbox._proc_state(worker)[0] in "Tt", 5)  # SIGSTOP lands asynchronously
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert _wait_until(lambda: not _alive(worker), 5)


def test_a_forked_child_starts_counting_restarts_at_zero():
    client = sandbox.default_client()
    generate("trace", 4)
    os.kill(client.worker_pid, signal.SIGKILL)
    generate("trace", 5)
    assert client.restarts >= 1
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.write(write_end, str(sandbox.default_client().restarts).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as fh:
        child_restarts = int(fh.read())
    os.waitpid(pid, 0)
    assert child_restarts == 0
