"""Curriculum metrics into verl's logger: a custom replay-buffer sampler for the v1 trainer.

verl 0.9.1's v1 trainer logs, per training step, the dict its replay buffer's `sample()` returns
(merged into the step's metrics, which `Tracking.log` sends to console, W&B, TensorBoard, file).
It does not aggregate the reward function's `reward_extra_info` for training steps (only for
validation: `val-core/<data_source>/acc/mean@N`), and it has no other hook that runs per step in
the trainer process. So the launcher plugs this class in for adaptive mixes:

    trainer.v1.sampler.custom_sampler.path=pkg://veritas.curriculum.sampler
    trainer.v1.sampler.custom_sampler.name=CurriculumReplayBuffer

It is verl's own ReplayBuffer; after each training `sample()` it adds the hub's step metrics
(veritas.curriculum.hub.CurriculumHub.step_metrics: pass rate and items per (type, level), level
per type, share of all-equal GRPO groups). Reports travel from the reward workers in the
background, so it first waits until the hub's report count stops growing (at most SETTLE_MAX_S),
and any failure costs only the metrics, logged once.

Limits: verl passes a custom sampler only its base arguments (no DAPO `filter_groups` settings), so
this sampler runs without dynamic group filtering; and it is the synchronous trainer's sampler
(trainer.v1.mode=sync, verl's default).
"""

from __future__ import annotations

import logging
import time

from verl.trainer.ppo.v1.replay_buffer import ReplayBuffer

from veritas.curriculum.hub import LOCAL_HUBS

logger = logging.getLogger(__name__)

SETTLE_POLL_S = 0.3
SETTLE_MAX_S = 3.0
CALL_TIMEOUT_S = 5.0


def collect_step_metrics(hubs: dict | None = None) -> dict[str, float]:
    """Every local hub's metrics for the step that just finished (empty on any failure)."""
    import ray

    metrics: dict[str, float] = {}
    for name, handle in (LOCAL_HUBS if hubs is None else hubs).items():
        try:
            deadline = time.monotonic() + SETTLE_MAX_S
            count = ray.get(handle.count.remote(), timeout=CALL_TIMEOUT_S)
            while time.monotonic() < deadline:
                time.sleep(SETTLE_POLL_S)
                newer = ray.get(handle.count.remote(), timeout=CALL_TIMEOUT_S)
                if newer == count:
                    break
                count = newer
            metrics.update(ray.get(handle.step_metrics.remote(), timeout=CALL_TIMEOUT_S))
        except Exception as exc:  # noqa: BLE001 — metrics must never stop training
            if name not in _WARNED:
                logger.warning("curriculum: no step metrics from hub %s (%s: %s)", name, type(exc).__name__, exc)
                _WARNED.add(name)
    return metrics


_WARNED: set[str] = set()


class CurriculumReplayBuffer(ReplayBuffer):
    def sample(self, global_steps: int, partition_id: str, batch_size: int):
        batch, metrics = super().sample(global_steps=global_steps, partition_id=partition_id, batch_size=batch_size)
        if partition_id == "train":
            start = time.monotonic()
            step = collect_step_metrics()
            # what waiting for the last reports cost this step (the curriculum's only time in the loop)
            step["curriculum/collect_s"] = time.monotonic() - start
            metrics = {**metrics, **step}
        return batch, metrics
