"""The reward side of the curriculum: `report()` from compute_score, shipped to the hub in bulk.

compute_score runs once per reply in verl's reward thread pools and must stay fast and never
block or raise. So `report()` only appends a tuple to an in-process buffer under a lock (about a
microsecond); a daemon thread per process sends the buffer to the hub every FLUSH_S seconds as
one fire-and-forget actor call (`hub.add.remote(...)`, never `ray.get`: nothing here can hang).

The hub is found by name (`ray.get_actor`). If that fails (no Ray in this process, the hub is
gone) the reports are dropped, a warning is logged once per hub, and the lookup is retried every
RETRY_S seconds; the dataset then keeps its last levels (it logs that too). The buffer is bounded
(MAX_BUFFER reports), so an unreachable hub costs no memory growth.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)

FLUSH_S = 0.2
RETRY_S = 5.0
MAX_BUFFER = 200_000


class Reporter:
    def __init__(self, hub_name: str, lookup=None, alive=None):
        self.hub_name = hub_name
        self._lookup = lookup or _ray_lookup
        # Ray auto-starts a cluster on .remote() after shutdown: check it is still up before sending.
        self._alive = alive or (_ray_alive if lookup is None else (lambda: True))
        self._lock = threading.Lock()
        self._buffer: list[tuple] = []
        self._handle = None
        self._next_lookup = 0.0
        self._warned = False
        self.sent = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"curriculum-reporter-{hub_name[-6:]}", daemon=True)
        self._thread.start()

    def add(self, report: tuple) -> None:
        with self._lock:
            if len(self._buffer) >= MAX_BUFFER:
                self.dropped += 1
                return
            self._buffer.append(report)

    def flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return
        if not self._alive():
            self.dropped += len(batch)
            self._warn("Ray is not running in this process")
            return
        handle = self._hub()
        if handle is None:
            self.dropped += len(batch)
            return
        try:
            handle.add.remote(batch)
            self.sent += len(batch)
        except Exception as exc:  # noqa: BLE001 — a dead actor must not stop the reward loop
            self._handle = None
            self.dropped += len(batch)
            self._warn(f"sending to it failed ({type(exc).__name__}: {exc})")

    def _hub(self):
        if self._handle is not None:
            return self._handle
        now = time.monotonic()
        if now < self._next_lookup:
            return None
        self._next_lookup = now + RETRY_S
        try:
            self._handle = self._lookup(self.hub_name)
        except Exception as exc:  # noqa: BLE001 — lookup failures are reported, never raised
            self._warn(f"it cannot be found ({type(exc).__name__}: {exc})")
            return None
        if self._warned:
            logger.warning("curriculum: hub %s reachable again; reports resume", self.hub_name)
            self._warned = False
        return self._handle

    def _warn(self, why: str) -> None:
        with self._lock:  # the flusher thread and an explicit flush() may fail at the same moment
            first, self._warned = not self._warned, True
        if first:
            logger.warning("curriculum: cannot report to hub %s: %s; dropping reports (the dataset keeps its "
                           "last levels), retrying every %.0f s", self.hub_name, why, RETRY_S)

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_S)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 — the flusher must survive anything
                logger.exception("curriculum: reporter flush failed")


def _ray_alive() -> bool:
    try:
        import ray
    except ImportError:
        return False
    return ray.is_initialized()


def _ray_lookup(name: str):
    import ray

    if not ray.is_initialized():
        raise RuntimeError("Ray is not initialized in this process")
    return ray.get_actor(name)


_REPORTERS: dict[str, Reporter] = {}
_REPORTERS_LOCK = threading.Lock()


def reporter_for(hub_name: str) -> Reporter:
    rep = _REPORTERS.get(hub_name)
    if rep is None:
        with _REPORTERS_LOCK:
            rep = _REPORTERS.get(hub_name)
            if rep is None:
                rep = _REPORTERS[hub_name] = Reporter(hub_name)
    return rep


def report(hub_name: str, index: int, task_type: str, level: int, acc: float, score: float) -> None:
    """Queue one scored reply for the hub; never raises, never blocks on the network."""
    try:
        reporter_for(hub_name).add((int(index), task_type, int(level), float(acc), float(score)))
    except Exception:  # noqa: BLE001
        logger.exception("curriculum: report failed")
