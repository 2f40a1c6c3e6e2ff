"""The production transport with real Ray, outside verl: the dataset (built where Ray runs, as in
verl's trainer) starts the named hub and its poller; compute_score runs in a Ray worker process
(as in verl's RewardLoopWorker) and reports; the dataset, read by StatefulDataLoader worker
subprocesses, lowers the levels at the next batch. The CPU smoke checks the same inside verl."""

from __future__ import annotations

import os
import time

import pytest

from tests.rl.helpers import write_mix
from veritas.envs import Task

pytestmark = pytest.mark.slow
TYPES = ["sudoku", "operation"]


@pytest.fixture
def ray_session():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}})
    try:
        yield ray
    finally:
        ray.shutdown()


def test_reports_from_a_ray_worker_process_reach_the_dataset_workers(tmp_path, ray_session):
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.utils.dataset.rl_dataset import collate_fn

    from veritas.curriculum.schedule import read_snapshot
    from veritas.rl.dataset import _POLLERS, DynamicEnvDataset

    ray = ray_session
    mix = write_mix(tmp_path / "m.yaml", name="m", split="train", size=10_000, tasks=TYPES,
                    difficulty={"adaptive": {"start": 3, "window": 2}})
    dataset = DynamicEnvDataset(mix, config={"train_batch_size": 4})
    schedule = dataset.sources[0].schedule
    assert schedule.hub_name and schedule.hub_name in _POLLERS
    first = [dataset[i] for i in range(4)]  # batch 0, at the start level

    @ray.remote(num_cpus=0)
    def reward_worker(rows):
        from veritas.curriculum import reporter
        from veritas.rl.reward import compute_score

        scores = [compute_score(r["data_source"], "no idea", r["reward_model"]["ground_truth"], r["extra_info"])["score"]
                  for r in rows for _ in range(2)]
        reporter.reporter_for(rows[0]["extra_info"]["curriculum"]).flush()
        return os.getpid(), scores

    pid, scores = ray.get(reward_worker.remote(first), timeout=60)
    assert pid != os.getpid() and scores == [0.0] * 8
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snap = read_snapshot(schedule.read_counts.path)
        if snap and sum(n for n, _ in snap["counts"].values()) == 8:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the hub's counts never reached the snapshot file")

    loader = StatefulDataLoader(dataset, batch_size=4, num_workers=2, collate_fn=collate_fn,
                                sampler=list(range(4, 20)), drop_last=True)  # batches 1..4, in two subprocesses
    levels = {(t, Task.from_json(x["task"]).difficulty) for b in loader for t, x in zip(b["data_source"], b["extra_info"])}
    seen_types = {Task.from_json(r["extra_info"]["task"]).task_type for r in first}
    assert {lvl for t, lvl in levels if t in seen_types} == {2}, levels  # failed at 3 -> down to 2
    _POLLERS.pop(schedule.hub_name).stop()
