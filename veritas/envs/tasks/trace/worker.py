"""The sandbox worker: a persistent child process that runs generated programs one at a time.

It is started by sandbox.py as `python -s -S worker.py` with a minimal environment (so
PYTHONHASHSEED is fixed and no PYTHONPATH/PYTHONSTARTUP of the parent leaks in), imports the few
stdlib modules it needs, then locks itself down before reading any program:

- RLIMIT_NOFILE = 3: fds 0, 1, 2 stay open (the two pipes and /dev/null); every open(), socket()
  or pipe() fails, so a program can neither write files nor reach the network.
- RLIMIT_FSIZE = 0, RLIMIT_CORE = 0, RLIMIT_NPROC = 0 (no forks), RLIMIT_AS (memory).
- RLIMIT_CPU: a lifetime cap; when it is reached the kernel kills the worker and the parent starts
  a fresh one. The per-program CPU budget is an ITIMER_PROF timer that raises inside the program.

Each program runs in a clean namespace whose __builtins__ is a small, known subset (no open,
import, eval, exec, getattr...), with sys.stdin/sys.stdout swapped for in-memory buffers, so
print() and input() behave exactly as in a normal interpreter. Code objects that name any dunder
attribute are refused before they run.

Protocol (binary, over the stdin/stdout pipes): request = REQUEST header (op, flags, first line,
len(source), len(stdin)) + UTF-8 source + UTF-8 stdin; response = RESPONSE header (status,
len(payload)) + payload.
- OP_RUN: compile and run a whole program; the payload is its stdout (or the error text).
- OP_TRACE: the same with line tracing; the payload is JSON (see trace_program below).
- OP_CHUNK (no response): compile a piece of a program (whole top-level statements, starting at
  `first line`) and keep the code object; FLAG_NEW starts a new program. The parent streams the
  program while it is still writing it, so compiling overlaps generating.
- OP_RUN_CHUNKS: compile the last piece (if any), then run the kept code objects in order in
  one fresh namespace, exactly as the interpreter runs a module (a module is its top-level
  statements executed in order).
This module is also imported by the parent for the constants; importing it has no side effects.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import struct
import sys

REQUEST = struct.Struct("<BBIII")  # op, flags, first line, len(source), len(stdin)
RESPONSE = struct.Struct("<BI")  # status, len(payload)

OP_RUN = 1
OP_TRACE = 2
OP_CHUNK = 3
OP_RUN_CHUNKS = 4
FLAG_NEW = 1

STATUS_OK = 0
STATUS_ERROR = 1  # the program raised; payload "ExceptionType: message"
STATUS_TIMEOUT = 2  # the program used up its CPU budget
STATUS_REFUSED = 3  # the code names something outside the allowed subset
STATUS_OUTPUT_LIMIT = 4  # the program printed more than MAX_OUTPUT_CHARS

MAX_OUTPUT_CHARS = 1 << 16
CPU_BUDGET_S = 1.0  # per program; generated programs need well under a millisecond
MEMORY_LIMIT_BYTES = 1 << 30
LIFETIME_CPU_S = 3600

# The builtins a generated program may use. Everything else (open, __import__, eval, exec,
# compile, getattr, globals, vars, type, set...) is absent, so a name error is all it gets.
ALLOWED_BUILTINS = (
    "abs",
    "all",
    "any",
    "bool",
    "chr",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "format",
    "input",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "ord",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "ArithmeticError",
    "Exception",
    "IndexError",
    "KeyError",
    "ValueError",
    "ZeroDivisionError",
)

# The trace of a worked solution stops recording after this many steps (the run goes on).
MAX_TRACE_EVENTS = 400
MAX_REPR_CHARS = 120


class CpuBudgetExceeded(BaseException):
    """Raised by the SIGPROF handler inside a program that ran past its CPU budget. A
    BaseException so that an `except Exception` in a program cannot swallow it."""


def _on_sigprof(signum, frame):
    raise CpuBudgetExceeded()


def _names_are_allowed(code) -> bool:
    """False when the code (or any nested code object) names a dunder: the usual way out of a
    restricted namespace is through attributes such as __class__ or __subclasses__."""
    stack = [code]
    while stack:
        co = stack.pop()
        for name in co.co_names:
            if name.startswith("__"):
                return False
        for const in co.co_consts:
            if hasattr(const, "co_names"):
                stack.append(const)
    return True


def _clean_namespace(builtins_table: dict) -> dict:
    return {"__builtins__": dict(builtins_table), "__name__": "__main__"}


def compile_program(source: str, first_line: int = 1):
    """(code object, STATUS_OK, "") or (None, status, why)."""
    try:
        # blank lines in front keep the line numbers of a chunk those of the whole program
        code = compile("\n" * (first_line - 1) + source, "<trace>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return None, STATUS_ERROR, f"{type(exc).__name__}: {exc}"
    if not _names_are_allowed(code):
        return None, STATUS_REFUSED, "the program names a dunder attribute"
    return code, STATUS_OK, ""


def run_program(
    source: str, stdin_text: str, builtins_table: dict, tracer=None, out=None, namespace=None
) -> tuple[int, str]:
    """Compile and run one program; return (status, payload)."""
    code, status, why = compile_program(source)
    if code is None:
        return status, why
    return execute([code], stdin_text, builtins_table, tracer, out, namespace)


def execute(
    codes: list, stdin_text: str, builtins_table: dict, tracer=None, out=None, namespace=None
) -> tuple[int, str]:
    """Run code objects in order in one namespace; return (status, payload). `out` receives what
    the program prints; `namespace` (a fresh dict from _clean_namespace) is the one it runs in."""
    namespace = _clean_namespace(builtins_table) if namespace is None else namespace
    out = io.StringIO() if out is None else out
    saved_in, saved_out = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(stdin_text), out
    status, payload = STATUS_OK, ""
    try:
        try:
            signal.setitimer(signal.ITIMER_PROF, CPU_BUDGET_S)
            if tracer is not None:
                sys.settrace(tracer)
            for code in codes:
                exec(code, namespace)
        finally:
            sys.settrace(None)
            signal.setitimer(signal.ITIMER_PROF, 0)
    except CpuBudgetExceeded:
        status, payload = STATUS_TIMEOUT, "CPU budget exceeded"
    except BaseException as exc:  # the program's own error, whatever it is, is a result
        status, payload = STATUS_ERROR, f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        sys.stdin, sys.stdout = saved_in, saved_out
    if status == STATUS_OK:
        payload = out.getvalue()
        if len(payload) > MAX_OUTPUT_CHARS:
            status, payload = STATUS_OUTPUT_LIMIT, f"printed {len(payload)} characters"
    return status, payload


def _short_repr(value) -> str:
    text = repr(value)
    if len(text) > MAX_REPR_CHARS:
        text = text[: MAX_REPR_CHARS - 3] + "..."
    return text


def _visible_locals(frame) -> dict[str, str]:
    shown = {}
    for name, value in frame.f_locals.items():
        if name.startswith("__") or callable(value):
            continue
        shown[name] = _short_repr(value)
    return shown


class Tracer:
    """Records what each executed line of the program did, for worked solutions.

    Events (JSON lists):
      ["line", depth, lineno, {name: repr} of variables the line changed, printed text]
      ["call", depth, function name, {parameter: repr}]
      ["return", depth, function name, repr of the returned value]
      ["skip", depth, number of steps left out here]
    Comprehension and generator frames are not traced: their effect shows up in the line that
    contains them. After MAX_TRACE_EVENTS events only the lines that print are still recorded
    (without variables), with "skip" events counting the steps between them; `omitted` counts
    the steps after the last one.
    """

    def __init__(self, out: io.StringIO):
        self.out = out
        self.events: list = []
        self.omitted = 0
        self.pending: dict = {}  # frame -> (lineno, locals before the line or None, output length before)
        self.depth = 0

    def _full(self) -> bool:
        return len(self.events) >= MAX_TRACE_EVENTS

    def _record(self, event) -> None:
        if self._full():
            self.omitted += 1
        else:
            self.events.append(event)

    def _finish_line(self, frame) -> None:
        pending = self.pending.pop(frame, None)
        if pending is None:
            return
        lineno, before, out_len = pending
        printed = self.out.getvalue()[out_len:] if self.out.tell() != out_len else ""
        if before is None or self._full():  # past the cap: keep only the lines that print
            if printed:
                if self.omitted:
                    self.events.append(["skip", self.depth, self.omitted])
                    self.omitted = 0
                self.events.append(["line", self.depth, lineno, {}, printed])
            else:
                self.omitted += 1
            return
        after = _visible_locals(frame)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        self._record(["line", self.depth, lineno, changed, printed])

    def global_trace(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename != "<trace>":
            return None
        if code.co_name.startswith("<") and code.co_name != "<module>":
            return None  # comprehension / generator expression
        if event == "call" and code.co_name != "<module>":
            self.depth += 1
            self._record(["call", self.depth, code.co_name, _visible_locals(frame)])
        return self.local_trace

    def local_trace(self, frame, event, arg):
        if event == "line":
            self._finish_line(frame)
            before = None if self._full() else _visible_locals(frame)
            self.pending[frame] = (frame.f_lineno, before, self.out.tell())
        elif event == "return":
            self._finish_line(frame)
            if frame.f_code.co_name != "<module>":
                self._record(["return", self.depth, frame.f_code.co_name, _short_repr(arg)])
                self.depth -= 1
        return self.local_trace


def trace_program(source: str, stdin_text: str, builtins_table: dict) -> tuple[int, str]:
    out = io.StringIO()
    tracer = Tracer(out)
    namespace = _clean_namespace(builtins_table)
    status, payload = run_program(
        source, stdin_text, builtins_table, tracer=tracer.global_trace, out=out, namespace=namespace
    )
    if status != STATUS_OK:
        return status, payload
    final = {k: _short_repr(v) for k, v in namespace.items() if not k.startswith("__") and not callable(v)}
    result = {"events": tracer.events, "omitted": tracer.omitted, "output": out.getvalue(), "final": final}
    return STATUS_OK, json.dumps(result)


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = os.read(fd, n)
        if not chunk:
            return b""
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _lock_down() -> None:
    def limit(which, value):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass  # a limit the platform refuses (e.g. RLIMIT_AS on some kernels) is skipped

    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_FSIZE, 0)
    limit(resource.RLIMIT_AS, MEMORY_LIMIT_BYTES)
    limit(resource.RLIMIT_NPROC, 0)
    used = resource.getrusage(resource.RUSAGE_SELF)
    limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime) + LIFETIME_CPU_S)
    limit(resource.RLIMIT_NOFILE, 3)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file write fails instead of killing us
    signal.signal(signal.SIGPROF, _on_sigprof)


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Linux: ask the kernel to SIGKILL this worker when the thread that started it ends (the
    parent passes --parent only when that is its main thread, i.e. when the parent process ends),
    so a parent killed outright (SIGKILL, a crashed dataloader worker) leaves no worker behind. A
    parent that died before the request took effect is caught by the getppid() check."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # no prctl here: the exit hooks of the parent and the pipe's EOF remain
    if os.getppid() != parent_pid:
        os._exit(0)


def main() -> None:
    import builtins

    if "--parent" in sys.argv:
        _die_with_parent(int(sys.argv[sys.argv.index("--parent") + 1]))
    table = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
    rfd, wfd = sys.stdin.fileno(), sys.stdout.fileno()
    _lock_down()
    chunks: list = []  # code objects of the program being streamed
    chunk_error = None  # (status, why) of its first chunk that did not compile
    while True:
        header = _read_exact(rfd, REQUEST.size)
        if not header:
            return  # the parent closed the pipe
        op, flags, first_line, n_source, n_stdin = REQUEST.unpack(header)
        body = _read_exact(rfd, n_source + n_stdin)
        source = body[:n_source].decode("utf-8")
        stdin_text = body[n_source:].decode("utf-8")
        if op == OP_CHUNK:
            if flags & FLAG_NEW:
                chunks, chunk_error = [], None
            if chunk_error is None:
                code, status, why = compile_program(source, first_line)
                if code is None:
                    chunk_error = (status, why)
                else:
                    chunks.append(code)
            continue  # no response: the parent is busy writing the rest of the program
        if op == OP_RUN_CHUNKS:
            if source and chunk_error is None:
                code, status, why = compile_program(source, first_line)
                if code is None:
                    chunk_error = (status, why)
                else:
                    chunks.append(code)
            status, payload = chunk_error or execute(chunks, stdin_text, table)
            chunks, chunk_error = [], None
        elif op == OP_TRACE:
            status, payload = trace_program(source, stdin_text, table)
        else:
            status, payload = run_program(source, stdin_text, table)
        data = payload.encode("utf-8", "replace")
        write_all(wfd, RESPONSE.pack(status, len(data)) + data)


if __name__ == "__main__":
    main()
