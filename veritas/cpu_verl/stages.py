"""Running the stages of a CPU run (the smoke, the learning run): one command per stage, its output
in a log, its whole process group stopped afterwards, its wall time and peak memory measured.

verl starts many processes per run (torchrun ranks; Ray's raylet, workers and actors; vLLM's engine),
so a stage's memory is the sum over its process group, sampled every second from
``/proc/PID/smaps_rollup``: ``rss`` counts a page once per process that maps it (shared libraries
many times, an upper bound), ``pss`` divides shared pages among their users (what the stage really
adds to the machine's memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = "veritas.cpu_verl.plugin"


class StageFailed(RuntimeError):
    pass


def tail(path: str, lines: int = 60) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return "(no log)"


def report_failure(run: str, work: str, stage: str, exc: Exception) -> None:
    """On stderr: the end of the failed stage's log (when it wrote one), then one line naming the
    run (SMOKE, LEARN), the stage and the reason."""
    log = os.path.join(work, f"{stage}.log")
    if os.path.isfile(log):
        print(f"--- last lines of {log} ---\n{tail(log)}", file=sys.stderr)
    print(f"{run} FAILED at stage '{stage}': {exc}", file=sys.stderr)


def verl_env(work: str, stage: str, ray_tmp: str) -> dict[str, str]:
    """The environment of a verl command: the CPU plug-in on, a private Ray, metrics to a file,
    nothing secret or remote from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k not in ("WANDB_API_KEY", "HF_TOKEN", "RAY_ADDRESS")}
    env.update(
        PYTHONPATH=REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        VERL_USE_EXTERNAL_MODULES=PLUGIN,
        VERL_FILE_LOGGER_PATH=os.path.join(work, stage, "metrics.jsonl"),
        RAY_TMPDIR=ray_tmp,
        HYDRA_FULL_ERROR="1",
        WANDB_MODE="disabled",
        TOKENIZERS_PARALLELISM="false",
        HF_HUB_OFFLINE="1",
    )
    return env


# ---- memory --------------------------------------------------------------------------------------
def _stage_members(leader: int) -> set[int]:
    """The stage's processes: its process group, plus every descendant of its leader (torchrun
    and Ray may put children in sessions of their own)."""
    parent: dict[int, int] = {}
    group: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(name)
        parent[pid] = int(fields[1])
        if int(fields[2]) == leader:
            group.add(pid)
    members = set(group) | {leader}
    frontier = list(members)
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in members:
                members.add(child)
                frontier.append(child)
    return {pid for pid in members if pid in parent}


def _rollup_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


class MemorySampler:
    """Peak summed RSS and PSS (bytes) of a stage's processes, sampled in a background thread."""

    def __init__(self, pgid: int, interval: float = 1.0):
        self.pgid = pgid
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        rss = pss = 0
        for pid in _stage_members(self.pgid):
            r, p = _rollup_kib(pid)
            rss += r
            pss += p
        self.peak_rss = max(self.peak_rss, rss * 1024)
        self.peak_pss = max(self.peak_pss, pss * 1024)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ---- processes -----------------------------------------------------------------------------------
def start_group(argv: list[str], log, env: dict[str, str]) -> subprocess.Popen:
    """Start argv in its own session (so its process group can be stopped and measured as a whole)."""
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """Terminate the process group proc leads (its own session), then kill what remains."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        proc.poll()
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        proc.poll()  # reap the leader, or killpg keeps seeing its zombie
        time.sleep(0.5)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def run_logged(stage: str, argv: list[str], log_path: str, env: dict[str, str], timeout: float,
               memory: dict | None = None) -> None:
    """Run argv with output to log_path; stop its whole process group afterwards (Ray, vLLM and
    torchrun children included). With ``memory``, store the group's peak ``rss``/``pss`` in it."""
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(argv) + "\n\n")
        log.flush()
        proc = start_group(argv, log, env)
        sampler = MemorySampler(proc.pid)
        try:
            with sampler:
                code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StageFailed(f"{stage}: no result after {timeout:.0f} s (stopped); see {log_path}") from None
        finally:
            stop_group(proc)
            if memory is not None:
                memory.update(rss=max(memory.get("rss", 0), sampler.peak_rss),
                              pss=max(memory.get("pss", 0), sampler.peak_pss))
    if code != 0:
        raise StageFailed(f"{stage}: exited with status {code}; see {log_path}")
