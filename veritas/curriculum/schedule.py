"""The dataset side of the curriculum: levels per batch, decided at batch boundaries, replayable.

`AdaptiveSchedule.levels_for(index)` gives the levels item `index` is drawn at. Items are read in
order (data.shuffle=false), so batch b is the items [b*B, (b+1)*B) with B verl's dataloader batch
(data.gen_batch_size or data.train_batch_size). The first time an item of a new batch is asked
for, the schedule reads the latest counts, feeds the new ones to the controller and lets it
decide; the levels then hold for the whole batch. Every change is appended to the decision log
`[(batch, {type: level})]` and logged. So item i is a pure function of (mix, i, decision log):
`Mix.generate(i, levels=schedule.levels_for(i))`, and `state_dict` (controller, log, counts seen)
saved in verl's data.pt resumes the exact same stream.

Where the counts come from: the hub actor (veritas.curriculum.hub) holds them, but the dataset may
run in a StatefulDataLoader worker subprocess forked from the trainer, where Ray's client must
not be used (a forked Ray worker's connections are not fork-safe). So the process that created the
hub runs a `SnapshotPoller` thread that asks the hub for its counts every POLL_S seconds (with a
timeout) and writes them atomically to a small JSON file; every copy of the dataset, in any local
process, reads that file at batch boundaries (tens of microseconds, cannot hang). If the hub
cannot be reached, the file stops changing: the levels hold, and the poller logs it once.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import tempfile
import threading
import time

from veritas.curriculum.controller import Band, Controller
from veritas.mixes import Mix

logger = logging.getLogger(__name__)

POLL_S = 0.5
POLL_TIMEOUT_S = 5.0
STARTUP_GRACE_S = 120.0
STATE_VERSION = 1


def snapshot_path(hub_name: str) -> str:
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    return os.path.join(folder, f"{hub_name}.json")


def write_snapshot(path: str, snapshot: dict) -> None:
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(snapshot, fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_snapshot(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


class SnapshotPoller:
    """Copies the hub's counts to a file every POLL_S seconds (daemon thread, trainer process)."""

    def __init__(self, handle, path: str):
        self.handle = handle
        self.path = path
        self._warned = False
        self._started = time.monotonic()
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="curriculum-poller", daemon=True)
        self._thread.start()

    def poll_once(self) -> bool:
        import ray

        if not ray.is_initialized():  # Ray shut down (end of run): a .remote() now would start a new cluster
            self.stop()
            return False
        try:
            snap = ray.get(self.handle.snapshot.remote(), timeout=POLL_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 — an unreachable hub must not stop training
            starting = self.polls == 0 and time.monotonic() - self._started < STARTUP_GRACE_S
            if not self._warned and not starting:  # a hub still starting on a busy node is not news
                logger.warning("curriculum: hub unreachable (%s: %s); keeping the last levels, retrying",
                               type(exc).__name__, exc)
                self._warned = True
            return False
        if self._warned:
            logger.warning("curriculum: hub reachable again")
            self._warned = False
        write_snapshot(self.path, snap)
        self.polls += 1
        return True

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001
                logger.exception("curriculum: snapshot poll failed")

    def stop(self) -> None:
        self._stop.set()


class AdaptiveSchedule:
    """Decisions at batch boundaries for the adaptive entries of one mix (see module docstring).

    `offset` is the mix's first index in the dataset (several files may be concatenated);
    `read_counts` returns the latest snapshot dict or None."""

    def __init__(self, mix: Mix, batch_size: int, offset: int = 0, read_counts=None, hub_name: str = ""):
        if batch_size < 1:
            raise ValueError(f"batch size must be positive, got {batch_size}")
        self.mix_name = mix.name
        self.batch_size = batch_size
        self.offset = offset
        self.hub_name = hub_name
        self.read_counts = read_counts or (lambda: None)
        bands = {t: Band(a.low, a.high, a.start, a.window) for t, a in mix.adaptive.items()}
        self.start_levels = {t: b.start for t, b in bands.items()}
        self.controller = Controller(bands)
        self.batch = -1  # the last batch a decision was made for
        self.log: list[tuple[int, dict[str, int]]] = []  # changes only, in batch order
        self._log_batches: list[int] = []
        self.seen: dict[str, list[float]] = {}  # hub counts already fed to the controller
        self.seen_hub = ""
        self._warned_no_counts = False

    def levels_for(self, index: int) -> dict[str, int]:
        batch = (index + self.offset) // self.batch_size
        if batch > self.batch:
            self._decide(batch)
        return self.levels_at(batch)

    def levels_at(self, batch: int) -> dict[str, int]:
        """The levels in force for `batch`, from the decision log alone."""
        pos = bisect.bisect_right(self._log_batches, batch) - 1
        return dict(self.log[pos][1]) if pos >= 0 else dict(self.start_levels)

    def _decide(self, batch: int) -> None:
        self._feed(self.read_counts())
        changes = self.controller.decide()
        self.batch = batch
        if changes:
            self.log.append((batch, self.controller.levels))
            self._log_batches.append(batch)
            for c in changes:
                logger.info("curriculum %s: batch %d: %s level %d -> %d (pass rate %.3f over %d replies, %s the band)",
                            self.mix_name, batch, c.task_type, c.old, c.new, c.pass_rate, c.replies, c.reason)

    def _feed(self, snapshot: dict | None) -> None:
        if not snapshot:
            if not self._warned_no_counts and self.batch >= 2:
                logger.warning("curriculum %s: no pass rates have arrived from the reward workers by batch %d; "
                               "levels stay where they are", self.mix_name, self.batch)
                self._warned_no_counts = True
            return
        if snapshot.get("hub") != self.seen_hub:  # a new run's hub (resume): its counts start at zero
            self.seen, self.seen_hub = {}, snapshot.get("hub", "")
        for key, (n, passes) in snapshot.get("counts", {}).items():
            old = self.seen.get(key, [0, 0.0])
            dn, dp = n - old[0], passes - old[1]
            if dn > 0:
                task_type, _, level = key.rpartition("|")
                self.controller.observe(task_type, int(level), dn, dp)
            self.seen[key] = [n, passes]

    # ---- persistence -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"version": STATE_VERSION, "batch": self.batch, "log": [[b, dict(lv)] for b, lv in self.log],
                "controller": self.controller.state_dict(), "seen": {k: list(v) for k, v in self.seen.items()},
                "seen_hub": self.seen_hub}

    def load_state_dict(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"curriculum state version {state.get('version')!r}, expected {STATE_VERSION}")
        self.batch = int(state["batch"])
        self.log = [(int(b), {t: int(v) for t, v in lv.items()}) for b, lv in state["log"]]
        self._log_batches = [b for b, _ in self.log]
        self.controller.load_state_dict(state["controller"])
        self.seen = {k: list(v) for k, v in state["seen"].items()}
        self.seen_hub = state["seen_hub"]
        logger.info("curriculum %s: resumed at batch %d with levels %s (%d decisions so far)",
                    self.mix_name, self.batch, self.controller.levels, len(self.log))
