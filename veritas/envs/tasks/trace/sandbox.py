"""The parent's side of the sandbox: one persistent worker process per client process.

`run(source, stdin)` sends a program to the worker (worker.py) and waits for its answer.
`stream()` does the same for a program that is still being written: each finished piece is sent
at once and compiled by the worker while the generator writes the next, so the two processes work
in parallel. The worker is started lazily on the first call, never at import.

Faults. A task must depend only on its id, so a failure of the sandbox itself never changes
which program becomes a task. A worker that dies or goes silent is killed, replaced, and the
program retried on the fresh worker; who is to blame decides what happens next:

- the infrastructure (killed by a signal from outside: SIGKILL from a user, the OOM killer or the
  lifetime CPU cap, SIGTERM...; stopped by SIGSTOP; starved of CPU past the wall limit): retried
  without spending the program's attempts, with a short backoff between tries, until the failures
  in a row reach MAX_SANDBOX_FAILURES over at least SANDBOX_PATIENCE_S: then SandboxUnavailable is
  raised, the sandbox itself is failing;
- the program (the worker crashed by itself, e.g. a segfault, or kept burning CPU past its
  budget): after PROGRAM_KILLS such failures a trivial probe program runs on a fresh worker; if
  it answers, the program is a failed candidate (RunResult "killed"); if not, the sandbox is at
  fault and the retries go on.

Stalls are judged from /proc on Linux, so a stopped worker is found within ~0.5 s instead of a
fixed 10 s wait, and a worker that is merely slow on an overloaded machine is not killed: see
SandboxClient._judge_silence.

Process safety: the client remembers the pid that started its worker. A forked child (a verl
dataloader worker, a multiprocessing pool) sees a different pid, closes its inherited copies of
the parent's pipes and starts a worker of its own (its `restarts` start at 0). The worker stops
with its owner: the owner's exit hooks stop it (atexit, and multiprocessing's exit finalizers,
which run in pool and dataloader children where atexit does not), and on Linux a worker started
from the owner's main thread also gets a parent-death signal (prctl PR_SET_PDEATHSIG), for an
owner that is killed outright. Threads of one process share its worker through a lock.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from veritas.envs.tasks.trace import worker as protocol

WORKER_PATH = Path(protocol.__file__).resolve()
# The longest wait for an answer from a worker that is running but gets no CPU (an overloaded
# machine): killing it would not help, so the wait is long. Without /proc (not Linux) it is the
# only stall rule, and then it is blamed on the program (two stalls fail the candidate).
WALL_TIMEOUT_S = 30.0
POLL_SLICE_S = 0.25  # how often a silent worker is looked at
STOPPED_GRACE_S = 0.5  # a worker stopped (SIGSTOP, a debugger) this long is replaced
CPU_GRACE_S = 1.0  # CPU beyond the program's budget before a silent worker counts as runaway
# Giving up on the sandbox needs both: this many consecutive failures for one program, over at
# least SANDBOX_PATIENCE_S (a burst of kills, e.g. an OOM killer at work, passes; a worker that
# cannot start at all is reported within ~20 s).
MAX_SANDBOX_FAILURES = 16
SANDBOX_PATIENCE_S = 20.0
PROGRAM_KILLS = 2  # worker deaths blamed on one program before the probe decides
BACKOFF_S = (0.0, 0.0, 0.01, 0.02, 0.05, 0.1, 0.25)  # sleep before restart k (then 0.25 s)
PROBE_SOURCE = "print(0)\n"
# Deaths by these signals come from outside the program (a user, the OOM killer, the kernel's
# lifetime CPU cap): a program in the sandbox can send no signal. Any other death (SIGSEGV,
# SIGABRT, an exit status) may be the program's doing.
EXTERNAL_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU})

# The worker's whole environment. Fixed so that nothing of the parent's (PYTHONPATH,
# PYTHONSTARTUP, a locale, a random str-hash seed) can change what a program prints.
WORKER_ENV = {"PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class RunResult:
    status: str  # "ok", "error", "timeout", "refused", "output_limit", "killed"
    output: str  # stdout when ok, otherwise a short description

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_STATUS_NAMES = {
    protocol.STATUS_OK: "ok",
    protocol.STATUS_ERROR: "error",
    protocol.STATUS_TIMEOUT: "timeout",
    protocol.STATUS_REFUSED: "refused",
    protocol.STATUS_OUTPUT_LIMIT: "output_limit",
}


class WorkerDied(Exception):
    """The worker closed its pipe or went silent. `program_blamed`: the program may have caused
    it (see the module docstring); otherwise the infrastructure did."""

    def __init__(self, why: str, program_blamed: bool = False):
        super().__init__(why)
        self.program_blamed = program_blamed


class SandboxUnavailable(RuntimeError):
    """The sandbox itself keeps failing (every new worker dies or stalls): no task can be made."""


def _proc_state(pid: int) -> tuple[str, float] | None:
    """(state letter, CPU seconds used) of a process from /proc, or None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0].decode(), (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class SandboxClient:
    def __init__(self, wall_timeout_s: float = WALL_TIMEOUT_S):
        self.wall_timeout_s = wall_timeout_s
        self.restarts = 0  # workers replaced after a death or a stall (not counting the first start)
        self._proc: subprocess.Popen | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        _LIVE_CLIENTS.add(self)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _command(self) -> list[str]:
        command = [sys.executable, "-s", "-S", str(WORKER_PATH)]
        # PR_SET_PDEATHSIG fires when the thread that started the worker ends, not the process:
        # only a worker started by the main thread may use it (a pool thread can end any time).
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            command += ["--parent", str(os.getpid())]
        return command

    def _start(self) -> None:
        _hook_process_exit()
        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(WORKER_ENV),
            cwd="/",
            close_fds=True,
            bufsize=0,
        )
        self._poller = select.poll()
        self._poller.register(self._proc.stdout.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _forget_inherited_worker(self) -> None:
        """In a forked child: drop the parent's worker without touching the process itself."""
        proc, self._proc = self._proc, None
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()  # closes only this process's copy of the descriptor
                except OSError:
                    pass
            proc.returncode = 0  # not our child: never wait for or kill it from here
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self.restarts = 0  # the parent's count is not this process's

    def close(self) -> None:
        if self._pid == os.getpid():
            self._stop()

    # -- one round trip ----------------------------------------------------------------------

    def _died(self, why: str) -> WorkerDied:
        """A WorkerDied for a worker that closed its pipe, blamed by how it ended."""
        proc = self._proc
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pipe closed but still alive: stuck, not the program
            return WorkerDied(f"{why}; the worker did not exit")
        if code < 0 and -code in EXTERNAL_SIGNALS:
            return WorkerDied(f"{why}: killed by {signal.Signals(-code).name}")
        ended = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        return WorkerDied(f"{why}: {ended}", program_blamed=True)

    def _judge_silence(self, started: float, cpu_first: list) -> None:
        """Called every POLL_SLICE_S while the worker says nothing; raises WorkerDied when the
        silence is a fault. A stopped worker (SIGSTOP) is an infrastructure fault once it has been
        stopped STOPPED_GRACE_S; a worker burning CPU past its program's budget (the CPU timer
        inside could not stop it) is the program's; a running worker that gets no CPU is only
        given up after wall_timeout_s. Without /proc, wall_timeout_s alone decides."""
        waited = time.monotonic() - started
        state = _proc_state(self._proc.pid)
        if state is None:
            if waited >= self.wall_timeout_s:
                raise WorkerDied(f"no answer in {waited:.1f} s", program_blamed=True)
            return
        letter, cpu = state
        if letter in "Tt":
            if waited >= STOPPED_GRACE_S:
                raise WorkerDied(f"the worker is stopped (state {letter}) for {waited:.1f} s")
            return
        if not cpu_first:
            cpu_first.append(cpu)
        elif cpu - cpu_first[0] > protocol.CPU_BUDGET_S + CPU_GRACE_S:
            raise WorkerDied(f"the program ran {cpu - cpu_first[0]:.1f} s on CPU without answering", program_blamed=True)
        if waited >= self.wall_timeout_s:
            raise WorkerDied(f"no answer in {waited:.1f} s while using {cpu - cpu_first[0]:.1f} s of CPU "
                             "(an overloaded machine?)")

    def _read_some(self, fd: int, most: int) -> bytes:
        started, cpu_first = None, []
        while not self._poller.poll(int(POLL_SLICE_S * 1000)):
            started = time.monotonic() - POLL_SLICE_S if started is None else started
            self._judge_silence(started, cpu_first)
        chunk = os.read(fd, most)
        if not chunk:
            raise self._died("worker closed its pipe")
        return chunk

    def _send(self, op: int, source: str, stdin_text: str = "", flags: int = 0, first_line: int = 1) -> None:
        if self._proc is None:
            self._start()
        src = source.encode("utf-8")
        inp = stdin_text.encode("utf-8")
        message = protocol.REQUEST.pack(op, flags, first_line, len(src), len(inp)) + src + inp
        try:
            protocol.write_all(self._proc.stdin.fileno(), message)
        except OSError as exc:  # BrokenPipeError: the worker is gone
            raise self._died(f"cannot write to the worker ({exc.strerror})") from None

    def _receive(self) -> tuple[int, bytes]:
        # One request is outstanding at a time and the worker writes its answer in one piece,
        # so the first read usually brings header and payload together.
        fd = self._proc.stdout.fileno()
        head = protocol.RESPONSE.size
        data = self._read_some(fd, 1 << 16)
        while len(data) < head:
            data += self._read_some(fd, head - len(data))
        status, size = protocol.RESPONSE.unpack(data[:head])
        while len(data) < head + size:
            data += self._read_some(fd, head + size - len(data))
        return status, data[head:]

    def _round_trip(self, op: int, source: str, stdin_text: str) -> tuple[int, bytes]:
        self._send(op, source, stdin_text)
        return self._receive()

    def _probe_failure(self) -> str | None:
        """Why a fresh worker fails a trivial program (None when it runs it fine): tells a program
        that kills workers from a sandbox that fails whatever it runs."""
        try:
            status, payload = self._round_trip(protocol.OP_RUN, PROBE_SOURCE, "")
        except WorkerDied as died:
            self._stop()
            self.restarts += 1
            return f"a probe program failed too: {died}"
        if status == protocol.STATUS_OK and payload == b"0\n":
            return None
        return f"a probe program failed too: {_STATUS_NAMES.get(status, status)}"

    def _attempts(self, op: int, source: str, stdin_text: str, failures: list[WorkerDied] | None = None):
        """(status, payload), or None when the program itself killed or stalled PROGRAM_KILLS
        workers and a probe then ran fine. `failures`: deaths already seen for this program (a
        broken stream). Raises SandboxUnavailable when the sandbox keeps failing. The caller holds
        the lock."""
        failures = list(failures or [])
        probe_failed = ""
        first_failure = time.monotonic()
        while True:
            blamed = sum(f.program_blamed for f in failures)
            if blamed >= PROGRAM_KILLS:
                probe = self._probe_failure()
                if probe is None:
                    return None
                # a trivial program fails too: the earlier deaths were the sandbox's, not the program's
                failures = [WorkerDied(str(f)) for f in failures] + [WorkerDied(probe)]
                probe_failed = f"; {probe}"
            failing_s = time.monotonic() - first_failure
            if len(failures) >= MAX_SANDBOX_FAILURES and failing_s >= SANDBOX_PATIENCE_S:
                raise SandboxUnavailable(
                    f"trace sandbox: {len(failures)} workers in a row died or stalled over {failing_s:.0f} s "
                    f"(last: {failures[-1]}{probe_failed}); the sandbox itself is failing, not the program "
                    "(is something killing processes, memory exhausted, or the worker unable to start?)")
            if failures:
                time.sleep(BACKOFF_S[min(len(failures), len(BACKOFF_S) - 1)])
            try:
                return self._round_trip(op, source, stdin_text)
            except WorkerDied as died:
                self._stop()
                self.restarts += 1
                failures.append(died)

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            self._forget_inherited_worker()

    def _request(self, op: int, source: str, stdin_text: str) -> tuple[int, bytes] | None:
        self._check_pid()
        with self._lock:
            return self._attempts(op, source, stdin_text)

    def run(self, source: str, stdin_text: str = "") -> RunResult:
        return _result(self._request(protocol.OP_RUN, source, stdin_text))

    def stream(self) -> "ProgramStream":
        """Send a program piece by piece while it is being written; use as a context manager."""
        self._check_pid()
        return ProgramStream(self)

    def trace(self, source: str, stdin_text: str = "") -> dict:
        """Run with line tracing: {"events": [...], "omitted": n, "output": stdout}."""
        answer = self._request(protocol.OP_TRACE, source, stdin_text)
        if answer is None:
            raise RuntimeError("the traced program killed or stalled the worker twice")
        status, payload = answer
        text = payload.decode("utf-8", "replace")
        if status != protocol.STATUS_OK:
            raise RuntimeError(f"the traced program failed: {_STATUS_NAMES.get(status, status)}: {text}")
        return json.loads(text)


def _result(answer: tuple[int, bytes] | None) -> RunResult:
    if answer is None:
        return RunResult("killed", "the program killed or stalled the worker twice")
    status, payload = answer
    return RunResult(_STATUS_NAMES.get(status, "error"), payload.decode("utf-8", "replace"))


class ProgramStream:
    """One program sent in pieces. The client's lock is held from enter to exit, so another
    thread's program cannot interleave with this one.

        with client.stream() as stream:
            stream.send(first_statements, first_line=1)
            ...
            result = stream.finish(whole_source, stdin)

    finish() sends what was not streamed yet together with the request to run; a program that
    was never streamed goes as one OP_RUN. If the worker dies while pieces are sent, the rest are
    dropped and finish() runs the whole program on a fresh worker, under the same fault rules as
    run().
    """

    def __init__(self, client: SandboxClient):
        self.client = client
        self.started = False
        self.failures: list[WorkerDied] = []
        self.lines_sent = 0

    @property
    def broken(self) -> bool:
        return bool(self.failures)

    def __enter__(self) -> "ProgramStream":
        self.client._lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.client._lock.release()

    def _lost_worker(self, died: WorkerDied) -> None:
        self.client._stop()
        self.client.restarts += 1
        self.failures.append(died)

    def send(self, piece: str, first_line: int) -> None:
        if self.broken:
            return
        flags = 0 if self.started else protocol.FLAG_NEW
        try:
            self.client._send(protocol.OP_CHUNK, piece, flags=flags, first_line=first_line)
            self.started = True
            self.lines_sent = first_line - 1 + piece.count("\n")
        except WorkerDied as died:
            self._lost_worker(died)

    def finish(self, source: str, stdin_text: str) -> RunResult:
        if self.started and not self.broken:
            tail = source.split("\n", self.lines_sent)[-1] if self.lines_sent else source
            try:
                self.client._send(protocol.OP_RUN_CHUNKS, tail, stdin_text, first_line=self.lines_sent + 1)
                return _result(self.client._receive())
            except WorkerDied as died:
                self._lost_worker(died)
        return _result(self.client._attempts(protocol.OP_RUN, source, stdin_text, self.failures))


_client: SandboxClient | None = None
_client_lock = threading.Lock()


_LIVE_CLIENTS: "weakref.WeakSet[SandboxClient]" = weakref.WeakSet()
_mp_hooked_pid: int | None = None


def _close_all() -> None:
    for client in list(_LIVE_CLIENTS):
        client.close()  # a no-op for a client whose worker belongs to another process


def _hook_process_exit() -> None:
    """Stop this process's workers when it exits. atexit (registered at import) covers a normal
    interpreter exit; a multiprocessing child (a Pool worker, a torch DataLoader worker) leaves
    through os._exit, which skips atexit but first runs multiprocessing's exit finalizers. Those
    are cleared when such a child starts, so the finalizer is registered when a worker starts."""
    global _mp_hooked_pid
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None and _mp_hooked_pid != os.getpid():
        mp_util.Finalize(None, _close_all, exitpriority=10)
        _mp_hooked_pid = os.getpid()


def _after_fork_in_child() -> None:
    global _client_lock
    _client_lock = threading.Lock()
    if _client is not None:
        _client._forget_inherited_worker()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all)


def default_client() -> SandboxClient:
    """This process's client (a forked child gets its own worker on first use)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = SandboxClient()
    return _client
