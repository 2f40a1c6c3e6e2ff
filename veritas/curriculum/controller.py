"""The adaptive-difficulty controller: one level per task type, moved by recent pass rates.

Pure Python, no I/O, no clock: `observe` feeds scored replies (counts per level), `decide` is
called once per batch boundary and returns the level changes. The same observations in the same
order give the same decisions, so a decision log replays exactly and the state round-trips through
`state_dict` / `load_state_dict`.

Rule, per task type (settings from the mix's `difficulty: {adaptive: ...}`):

- only replies at the type's *current* level count towards a decision (replies to items drawn
  before the last change are still in flight and would judge the wrong level);
- a decision needs a full window: at least `window` such replies; the window slides (oldest
  batches drop out) while the rate stays inside [low, high];
- rate < low: one level down (not below 1); rate > high: one level up (not above 5), each by more
  than one standard error of the window's rate (sqrt(r(1-r)/n)), so sampling noise alone does not
  move a level; the window is emptied after any move, so the next decision sees only the new level.

Hysteresis against bouncing between a level that is too easy and one that is too hard (a skill
between two levels gives rate > high at L and < low at L+1): demoting from L+1 doubles the number
of consecutive, non-overlapping full windows above the band that L needs before it may promote
into L+1 again (1, 2, 4, ... up to MAX_PATIENCE). The requirement halves again each time a
promotion into L+1 holds for a full window (the pass rate there did not fall below the band).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

MIN_LEVEL, MAX_LEVEL = 1, 5
MAX_PATIENCE = 8


@dataclass(frozen=True)
class Band:
    """The controller's settings for one task type (veritas.mixes.Adaptive has the same fields)."""

    low: float
    high: float
    start: int
    window: int


@dataclass(frozen=True)
class Change:
    task_type: str
    old: int
    new: int
    pass_rate: float
    replies: int
    reason: str  # "above" | "below"


class _TypeState:
    __slots__ = ("band", "level", "chunks", "n", "passes", "streak", "patience", "probation")

    def __init__(self, band: Band):
        self.band = band
        self.level = band.start
        self.chunks: deque[list[float]] = deque()  # [n, passes] per batch boundary, current level only
        self.n = 0
        self.passes = 0.0
        self.streak = 0  # consecutive full windows above the band
        self.patience = {lvl: 1 for lvl in range(MIN_LEVEL, MAX_LEVEL + 1)}  # windows needed to enter lvl
        self.probation = False  # just promoted: the first full window at this level decides the patience

    def reset_window(self) -> None:
        self.chunks.clear()
        self.n = 0
        self.passes = 0.0


class Controller:
    def __init__(self, bands: dict[str, Band], max_patience: int = MAX_PATIENCE):
        self.max_patience = max_patience  # 1 turns the hysteresis off (for comparison)
        self._types = {t: _TypeState(b) for t, b in sorted(bands.items())}
        self._pending: dict[str, list[float]] = {}

    @property
    def levels(self) -> dict[str, int]:
        return {t: s.level for t, s in self._types.items()}

    def observe(self, task_type: str, level: int, replies: int, passes: float) -> None:
        """`replies` scored replies to items of `task_type` at `level`, `passes` of them correct."""
        state = self._types.get(task_type)
        if state is None or level != state.level or replies <= 0:
            return
        slot = self._pending.setdefault(task_type, [0, 0.0])
        slot[0] += replies
        slot[1] += passes

    def decide(self) -> list[Change]:
        """Fold the observations since the last call into each type's window and move levels."""
        changes = []
        for task_type, state in self._types.items():
            fresh = self._pending.pop(task_type, None)
            if fresh:
                state.chunks.append(fresh)
                state.n += fresh[0]
                state.passes += fresh[1]
            window = state.band.window
            # Slide: drop whole old chunks while the rest still fills the window.
            while state.chunks and state.n - state.chunks[0][0] >= window:
                old = state.chunks.popleft()
                state.n -= old[0]
                state.passes -= old[1]
            if state.n < window:
                continue
            rate = state.passes / state.n
            change = self._step(task_type, state, rate)
            if change:
                changes.append(change)
        self._pending.clear()
        return changes

    def _step(self, task_type: str, state: _TypeState, rate: float) -> Change | None:
        band, level, n = state.band, state.level, state.n
        # One standard error of margin: a window that is out of band by sampling noise alone
        # does not move the level (hysteresis against noise; the patience below is against skill gaps).
        margin = math.sqrt(max(rate * (1 - rate), 1e-4) / n)
        if rate + margin < band.low:
            state.probation = False
            state.streak = 0
            if level == MIN_LEVEL:
                return None
            # Leaving `level` because it is too hard: re-entering it needs more evidence next time.
            state.patience[level] = min(self.max_patience, state.patience[level] * 2)
            state.level = level - 1
            state.reset_window()
            return Change(task_type, level, level - 1, rate, n, "below")
        if state.probation:
            # The promotion held for a full window: relax the requirement to enter this level.
            state.patience[level] = max(1, state.patience[level] // 2)
            state.probation = False
        if rate - margin > band.high and level < MAX_LEVEL:
            state.streak += 1
            if state.streak < state.patience[level + 1]:
                state.reset_window()  # the next window must be a new, non-overlapping one
                return None
            state.streak = 0
            state.level = level + 1
            state.probation = True
            state.reset_window()
            return Change(task_type, level, level + 1, rate, n, "above")
        state.streak = 0
        return None

    # ---- persistence -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            t: {"level": s.level, "chunks": [list(c) for c in s.chunks], "streak": s.streak,
                "patience": {str(k): v for k, v in s.patience.items()}, "probation": s.probation}
            for t, s in self._types.items()
        }

    def load_state_dict(self, state: dict) -> None:
        for task_type, saved in state.items():
            s = self._types.get(task_type)
            if s is None:  # a type no longer in the mix
                continue
            s.level = int(saved["level"])
            s.reset_window()
            for n, passes in saved["chunks"]:
                s.chunks.append([n, passes])
                s.n += n
                s.passes += passes
            s.streak = int(saved["streak"])
            s.patience = {int(k): int(v) for k, v in saved["patience"].items()}
            s.probation = bool(saved["probation"])
        self._pending.clear()
