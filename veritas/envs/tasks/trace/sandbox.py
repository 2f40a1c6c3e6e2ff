"""The parent's side of the sandbox: one persistent worker process per client process.

`run(source, stdin)` sends a program to the worker (worker.py) and waits for its output with a
wall-clock timeout. `stream()` does the same for a program that is still being written: each
finished piece is sent at once and compiled by the worker while the generator writes the next,
so the two processes work in parallel. The worker is started lazily on the first call, never at
import. A worker that dies or goes silent is killed and replaced, and the program is tried once
more on the fresh worker, so a transient death (the lifetime CPU cap, an OOM kill of the
machine) cannot change a task: only a program that kills or stalls two workers in a row counts
as failed.

Process safety: the client remembers the pid that started its worker. A forked child (a verl
dataloader worker, a multiprocessing pool) sees a different pid, closes its inherited copies of
the parent's pipes and starts a worker of its own. Threads of one process share its worker
through a lock.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from veritas.envs.tasks.trace import worker as protocol

WORKER_PATH = Path(protocol.__file__).resolve()
WALL_TIMEOUT_S = 10.0

# The worker's whole environment. Fixed so that nothing of the parent's (PYTHONPATH,
# PYTHONSTARTUP, a locale, a random str-hash seed) can change what a program prints.
WORKER_ENV = {"PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}


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
    """The worker closed its pipe or missed the wall-clock deadline."""


class SandboxClient:
    def __init__(self, wall_timeout_s: float = WALL_TIMEOUT_S):
        self.wall_timeout_s = wall_timeout_s
        self.restarts = 0  # workers replaced after a death or a stall (not counting the first start)
        self._proc: subprocess.Popen | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-s", "-S", str(WORKER_PATH)],
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

    def close(self) -> None:
        if self._pid == os.getpid():
            self._stop()

    # -- one round trip ----------------------------------------------------------------------

    def _read_some(self, fd: int, most: int) -> bytes:
        if not self._poller.poll(int(self.wall_timeout_s * 1000)):
            raise WorkerDied("no answer before the wall-clock timeout")
        chunk = os.read(fd, most)
        if not chunk:
            raise WorkerDied("worker closed its pipe")
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
            raise WorkerDied(f"cannot write to the worker: {exc}") from None

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

    def _attempts(self, op: int, source: str, stdin_text: str, attempts: int) -> tuple[int, bytes] | None:
        """(status, payload), or None when every attempt killed or stalled a worker. The caller
        holds the lock."""
        for _ in range(attempts):
            try:
                return self._round_trip(op, source, stdin_text)
            except WorkerDied:
                self._stop()
                self.restarts += 1
        return None

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            self._forget_inherited_worker()

    def _request(self, op: int, source: str, stdin_text: str) -> tuple[int, bytes] | None:
        self._check_pid()
        with self._lock:
            return self._attempts(op, source, stdin_text, 2)

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
    dropped and finish() runs the whole program once more on a fresh worker (the same
    two-attempt rule as run()).
    """

    def __init__(self, client: SandboxClient):
        self.client = client
        self.started = False
        self.broken = False
        self.lines_sent = 0

    def __enter__(self) -> "ProgramStream":
        self.client._lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.client._lock.release()

    def send(self, piece: str, first_line: int) -> None:
        if self.broken:
            return
        flags = 0 if self.started else protocol.FLAG_NEW
        try:
            self.client._send(protocol.OP_CHUNK, piece, flags=flags, first_line=first_line)
            self.started = True
            self.lines_sent = first_line - 1 + piece.count("\n")
        except WorkerDied:
            self.client._stop()
            self.client.restarts += 1
            self.broken = True

    def finish(self, source: str, stdin_text: str) -> RunResult:
        if self.started and not self.broken:
            tail = source.split("\n", self.lines_sent)[-1] if self.lines_sent else source
            try:
                self.client._send(protocol.OP_RUN_CHUNKS, tail, stdin_text, first_line=self.lines_sent + 1)
                return _result(self.client._receive())
            except WorkerDied:
                self.client._stop()
                self.client.restarts += 1
            return _result(self.client._attempts(protocol.OP_RUN, source, stdin_text, 1))
        return _result(self.client._attempts(protocol.OP_RUN, source, stdin_text, 1 if self.broken else 2))


_client: SandboxClient | None = None
_client_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _client_lock
    _client_lock = threading.Lock()
    if _client is not None:
        _client._forget_inherited_worker()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(lambda: _client is not None and _client.close())


def default_client() -> SandboxClient:
    """This process's client (a forked child gets its own worker on first use)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = SandboxClient()
    return _client
