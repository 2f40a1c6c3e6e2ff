"""An order-preserving map over worker processes.

Results come back in submission order whatever the worker count, so a file built from them is
byte-identical with 1 or 16 workers. Workers are real processes (`forkserver`, else `spawn`): task
generation is CPU-bound Python, which threads or asyncio would serialise on the GIL. A bounded
window of jobs in flight keeps memory flat on long runs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

# Imported once by the fork server, so each worker starts warm (see data_gen.warm).
_PRELOAD = ["data_gen.warm"]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class Workers:
    """A process pool started on first use and shared by every file one command writes.

        with Workers(4) as workers:
            for result in workers.map(fn, jobs): ...
    """

    def __init__(self, count: int):
        self.count = count
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable, jobs: Iterable[tuple]) -> Iterator:
        """Yield fn(*job) for each job, in order. With count <= 1 the work runs in this process."""
        if self.count <= 1:
            for job in jobs:
                yield fn(*job)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.count, mp_context=_context())
        window = 3 * self.count
        pending: deque = deque()
        try:
            for job in jobs:
                pending.append(self._pool.submit(fn, *job))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
