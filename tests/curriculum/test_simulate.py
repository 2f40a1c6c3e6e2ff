"""The simulated learner through the controller (docs/curriculum.md's figure)."""

from __future__ import annotations

import pytest

from veritas.curriculum.controller import Band
from veritas.curriculum.simulate import TYPES, simulate, summary

BAND = Band(0.3, 0.7, 1, 256)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_levels_climb_pass_rates_stay_in_band_no_oscillation(seed):
    adaptive = summary(simulate(400, seed, True, BAND), BAND)
    fixed = summary(simulate(400, seed, False, BAND), BAND)
    for task_type in TYPES:
        s = adaptive[task_type]
        assert s["final_level"] >= 4, s  # levels climb as skill grows
        assert s["in_band"] >= 0.85, s  # 4-step pass rate inside [0.3, 0.7] after 50 steps
        assert s["reversals"] <= 2, s  # no oscillation
    # the point of it: far fewer GRPO groups with no signal than a fixed level
    assert adaptive["all_equal_mean"] < fixed["all_equal_mean"] / 4


def test_simulation_is_deterministic():
    assert simulate(60, 5, True, BAND) == simulate(60, 5, True, BAND)
