"""The curriculum hub: where scored replies from verl's reward workers meet the dataset.

Process layout in verl 0.9.1 (main_ppo, v1 trainer): the dataset is built in the trainer process
(the TaskRunner Ray actor) and read there or in StatefulDataLoader worker subprocesses forked from
it; `compute_score` runs in RewardLoopWorker Ray actors (thread pools), possibly on other nodes.
The only channel all of them share is Ray, so the hub is a named Ray actor:

- created by the train dataset in the trainer process (`start_hub`), under a name unique to the
  run that every adaptive item carries in `extra_info["curriculum"]`; the reward side finds it with
  `ray.get_actor(name)` — no configuration to pass around, nothing to clean up (not detached: it
  shares the trainer's fate and ends with the run);
- `num_cpus=0`, so it never competes for the cluster's CPUs and never waits for placement;
- it only counts: cumulative (task type, level) -> (replies, passes) for the dataset's controller,
  and the current step's numbers for the metrics (`step_metrics`).

`CurriculumHub` itself is a plain class (unit-tested without Ray); `start_hub` wraps it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict

logger = logging.getLogger(__name__)

HUB_PREFIX = "veritas-curriculum-"
# Hubs this process started (the trainer process): the metrics sampler finds them here.
LOCAL_HUBS: dict[str, object] = {}


class CurriculumHub:
    """Counts reports. A report is (index, task_type, level, acc, score) for one scored reply:
    `index` is the dataset item (the n replies to one prompt share it: a GRPO group)."""

    def __init__(self, name: str = ""):
        self.name = name
        self.total: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0.0])
        self.reports = 0
        self._reset_step()

    def _reset_step(self) -> None:
        self.step: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0.0])
        self.step_items: dict[tuple[str, int], set[int]] = defaultdict(set)
        self.groups: dict[int, list] = {}  # index -> [replies, first score, all equal so far]

    def add(self, reports: list[tuple]) -> int:
        for index, task_type, level, acc, score in reports:
            key = (task_type, int(level))
            tot = self.total[key]
            tot[0] += 1
            tot[1] += acc
            st = self.step[key]
            st[0] += 1
            st[1] += acc
            self.step_items[key].add(index)
            group = self.groups.get(index)
            if group is None:
                self.groups[index] = [1, score, True]
            else:
                group[0] += 1
                group[2] = group[2] and score == group[1]
        self.reports += len(reports)
        return self.reports

    def count(self) -> int:
        return self.reports

    def snapshot(self) -> dict:
        """Cumulative counts, for the dataset's controller (it diffs against its last snapshot)."""
        return {"hub": self.name, "reports": self.reports,
                "counts": {f"{t}|{lvl}": [n, p] for (t, lvl), (n, p) in sorted(self.total.items())}}

    def step_metrics(self) -> dict[str, float]:
        """The numbers of the replies reported since the last call, then reset. Keys (verl's
        logger takes them as they are): curriculum/<type>/L<k>/pass_rate, .../L<k>/items (prompts
        drawn at that level), curriculum/<type>/level (mean level of this step's prompts: the
        current level once the step's items all come from one decision), curriculum/all_equal_groups
        (share of GRPO groups whose rewards are all equal: no advantage), curriculum/groups."""
        out: dict[str, float] = {}
        per_type_items: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (task_type, level), (n, passes) in sorted(self.step.items()):
            items = len(self.step_items[(task_type, level)])
            out[f"curriculum/{task_type}/L{level}/pass_rate"] = passes / n
            out[f"curriculum/{task_type}/L{level}/items"] = float(items)
            acc = per_type_items[task_type]
            acc[0] += items * level
            acc[1] += items
        for task_type, (weighted, items) in per_type_items.items():
            out[f"curriculum/{task_type}/level"] = weighted / items
        if self.groups:
            equal = sum(1 for g in self.groups.values() if g[2] and g[0] > 1)
            multi = sum(1 for g in self.groups.values() if g[0] > 1)
            out["curriculum/groups"] = float(multi)
            if multi:
                out["curriculum/all_equal_groups"] = equal / multi
        self._reset_step()
        return out


def new_hub_name() -> str:
    return HUB_PREFIX + uuid.uuid4().hex[:16]


def start_hub(name: str):
    """Create the named hub actor in this Ray job; None (logged) when Ray is not running here."""
    try:
        import ray
    except ImportError:
        logger.warning("curriculum: Ray is not installed; adaptive levels stay at their start values")
        return None
    if not ray.is_initialized():
        logger.warning("curriculum: Ray is not running in this process (not under verl's main_ppo?); "
                       "no reports can arrive, adaptive levels stay at their start values")
        return None
    actor = ray.remote(num_cpus=0, max_restarts=0)(CurriculumHub)
    handle = actor.options(name=name, get_if_exists=True).remote(name)
    LOCAL_HUBS[name] = handle
    logger.info("curriculum: hub %s started; reward workers report scored replies to it", name)
    return handle
