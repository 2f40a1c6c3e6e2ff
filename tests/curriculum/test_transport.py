"""Reports from compute_score to the hub, hub counts to the schedule, without Ray (the Ray path is
in test_ray_path.py and the CPU smoke)."""

from __future__ import annotations

import logging
import time

from veritas.curriculum import reporter as reporter_mod
from veritas.curriculum.hub import CurriculumHub
from veritas.curriculum.reporter import Reporter


class InProcessHandle:
    """A fake of a Ray actor handle (`handle.add.remote(x)`) over the real hub class."""

    def __init__(self, hub: CurriculumHub):
        class _Method:
            def remote(_, reports):
                hub.add(reports)
        self.add = _Method()


def test_hub_step_metrics():
    hub = CurriculumHub("h")
    # item 0: two replies, one right (rewards differ); item 1: both wrong (all equal); item 2 at level 2
    hub.add([(0, "sudoku", 3, 1.0, 1.0), (0, "sudoku", 3, 0.0, 0.0), (1, "sudoku", 3, 0.0, 0.0),
             (1, "sudoku", 3, 0.0, 0.0), (2, "sudoku", 2, 1.0, 1.0), (2, "sudoku", 2, 1.0, 1.0)])
    m = hub.step_metrics()
    assert m["curriculum/sudoku/L3/pass_rate"] == 0.25 and m["curriculum/sudoku/L3/items"] == 2
    assert m["curriculum/sudoku/L2/pass_rate"] == 1.0 and m["curriculum/sudoku/L2/items"] == 1
    assert m["curriculum/sudoku/level"] == (3 * 2 + 2) / 3
    assert m["curriculum/all_equal_groups"] == 2 / 3 and m["curriculum/groups"] == 3
    assert hub.step_metrics() == {}  # reset per step
    assert hub.snapshot()["counts"] == {"sudoku|2": [2, 2.0], "sudoku|3": [4, 1.0]}  # cumulative


def test_reporter_ships_in_bulk():
    hub = CurriculumHub("h")
    rep = Reporter("h", lookup=lambda name: InProcessHandle(hub))
    for i in range(10):
        rep.add((i, "sudoku", 1, 1.0, 1.0))
    rep.flush()
    assert hub.reports == 10 and rep.sent == 10


def test_unreachable_hub_warns_once_drops_and_never_raises(caplog, monkeypatch):
    def lookup(name):
        raise ValueError(f"Failed to look up actor with name '{name}'")

    monkeypatch.setattr(reporter_mod, "RETRY_S", 0.0)
    rep = Reporter("gone", lookup=lookup)
    logger = logging.getLogger("veritas.curriculum")
    monkeypatch.setattr(logger, "propagate", True)
    with caplog.at_level(logging.WARNING, logger="veritas.curriculum"):
        for _ in range(3):
            rep.add((0, "sudoku", 1, 0.0, 0.0))
            rep.flush()
    assert rep.dropped == 3 and rep.sent == 0
    warnings = {id(r) for r in caplog.records if "cannot report to hub gone" in r.getMessage()}
    assert len(warnings) == 1  # (one record; pytest may list it once per capturing handler)


def test_report_without_ray_is_fast_and_silent():
    # No Ray in this process: report() must still return at once (the lookup happens in the flusher).
    start = time.perf_counter()
    for i in range(20_000):
        reporter_mod.report("veritas-curriculum-test-no-ray", i, "sudoku", 2, 1.0, 1.0)
    per_call = (time.perf_counter() - start) / 20_000
    assert per_call < 50e-6, f"{per_call * 1e6:.1f} µs per report"


def test_no_ray_is_said_once_and_nothing_is_sent(caplog):
    sent = []
    rep = Reporter("h-dead", lookup=lambda name: sent.append(name), alive=lambda: False)
    with caplog.at_level(logging.WARNING, logger="veritas.curriculum"):
        logging.getLogger("veritas.curriculum").propagate = True
        try:
            for _ in range(2):
                rep.add((0, "sudoku", 1, 0.0, 0.0))
                rep.flush()
        finally:
            logging.getLogger("veritas.curriculum").propagate = False
    assert sent == [] and rep.dropped == 2
    assert len({id(r) for r in caplog.records if "Ray is not running" in r.getMessage()}) == 1
