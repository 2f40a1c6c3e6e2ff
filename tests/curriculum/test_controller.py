"""The adaptive controller: band, window, bounds, hysteresis, state round trip."""

from __future__ import annotations

import copy

from veritas.curriculum.controller import Band, Controller


def feed(ctrl: Controller, task_type: str, rate: float, n: int = 100):
    ctrl.observe(task_type, ctrl.levels[task_type], n, rate * n)
    return ctrl.decide()


def test_moves_up_above_band_down_below_and_holds_inside():
    ctrl = Controller({"a": Band(0.3, 0.7, 2, 100)})
    assert feed(ctrl, "a", 0.5) == [] and ctrl.levels == {"a": 2}
    (change,) = feed(ctrl, "a", 0.95)  # the window slides: the in-band chunk dropped out
    assert (change.old, change.new, change.reason) == (2, 3, "above")
    (change,) = feed(ctrl, "a", 0.05)
    assert (change.old, change.new, change.reason) == (3, 2, "below") and ctrl.levels == {"a": 2}


def test_needs_a_full_window_and_ignores_other_levels():
    ctrl = Controller({"a": Band(0.3, 0.7, 3, 100)})
    ctrl.observe("a", 3, 60, 0)
    assert ctrl.decide() == []  # 60 < window
    ctrl.observe("a", 4, 500, 0)  # replies to another level (items drawn before a change) do not count
    ctrl.observe("b", 3, 500, 0)  # an unknown type is ignored
    assert ctrl.decide() == []
    ctrl.observe("a", 3, 40, 0)
    (change,) = ctrl.decide()
    assert change.new == 2 and change.replies == 100


def test_levels_stay_within_1_and_5():
    ctrl = Controller({"a": Band(0.3, 0.7, 1, 10), "b": Band(0.3, 0.7, 5, 10)})
    for _ in range(5):
        ctrl.observe("a", ctrl.levels["a"], 10, 0)
        ctrl.observe("b", ctrl.levels["b"], 10, 10)
        assert ctrl.decide() == []
    assert ctrl.levels == {"a": 1, "b": 5}


def test_noise_margin_keeps_a_rate_just_outside_the_band():
    # 0.72 over 100 replies is within one standard error (0.045) of 0.7: not evidence enough.
    ctrl = Controller({"a": Band(0.3, 0.7, 2, 100)})
    assert feed(ctrl, "a", 0.72) == [] and ctrl.levels == {"a": 2}
    assert feed(ctrl, "a", 0.80) != []


def test_hysteresis_doubles_the_windows_needed_after_a_bounce():
    """Skill between levels 2 and 3: too easy at 2, too hard at 3. Without hysteresis the level
    would flip every window; with it, each bounce doubles the wait before trying 3 again."""
    ctrl = Controller({"a": Band(0.3, 0.7, 2, 100)})
    history = []
    for _ in range(40):
        rate = 0.9 if ctrl.levels["a"] == 2 else 0.1
        feed(ctrl, "a", rate)
        history.append(ctrl.levels["a"])
    ups = [i for i in range(1, len(history)) if history[i] > history[i - 1]]
    gaps = [b - a for a, b in zip(ups, ups[1:])]
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0], f"waits must grow: {gaps}"
    assert len(ups) <= 5
    flat = Controller({"a": Band(0.3, 0.7, 2, 100)}, max_patience=1)
    flips = 0
    for _ in range(40):
        before = flat.levels["a"]
        feed(flat, "a", 0.9 if before == 2 else 0.1)
        flips += flat.levels["a"] != before
    assert flips == 40  # what the hysteresis prevents


def test_patience_relaxes_when_a_promotion_holds():
    ctrl = Controller({"a": Band(0.3, 0.7, 2, 100)})
    feed(ctrl, "a", 0.9)
    feed(ctrl, "a", 0.1)  # bounce: entering 3 now needs 2 windows
    assert ctrl.state_dict()["a"]["patience"]["3"] == 2
    feed(ctrl, "a", 0.9)
    feed(ctrl, "a", 0.9)
    assert ctrl.levels == {"a": 3}
    feed(ctrl, "a", 0.5)  # the promotion held for a full window
    assert ctrl.state_dict()["a"]["patience"]["3"] == 1


def test_state_round_trip_replays_identically():
    bands = {"a": Band(0.3, 0.7, 1, 50), "b": Band(0.2, 0.6, 3, 30)}
    ctrl = Controller(bands)
    for i in range(7):
        ctrl.observe("a", ctrl.levels["a"], 20, 20 * (0.9 if i % 3 else 0.5))
        ctrl.observe("b", ctrl.levels["b"], 20, 20 * 0.1)
        ctrl.decide()
    saved = copy.deepcopy(ctrl.state_dict())
    other = Controller(bands)
    other.load_state_dict(saved)
    assert other.state_dict() == saved
    for i in range(10):
        for c in (ctrl, other):
            c.observe("a", c.levels["a"], 20, 20 * (0.8 if i % 2 else 0.6))
            c.observe("b", c.levels["b"], 20, 20 * 0.9)
        assert ctrl.decide() == other.decide()
    assert ctrl.state_dict() == other.state_dict()
