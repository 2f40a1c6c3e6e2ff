"""Start torch.distributed with plain gloo instead of verl's ``cpu:gloo,<device>:<backend>``.

verl 0.9.1 builds its backend string as ``f"cpu:gloo,{device}:{backend}"`` in
``verl/utils/distributed.py`` (``initialize_global_process_group``, used by ``sft_trainer.run_sft``;
``initialize_global_process_group_ray``, used by ``workers/engine_workers.py``). With device
``cpu`` that string names ``cpu`` twice, which torch rejects ("Duplicate device type cpu"), and the
platform has no hook for it. So these two functions are wrapped, here only: same behaviour, plain
``gloo``. Must run before ``verl.workers.engine_workers`` is imported (it binds the name with
``from ... import``); :mod:`veritas.cpu_verl.plugin` runs it while ``import verl`` executes.
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch.distributed

_APPLIED_MARK = "_veritas_cpu_gloo"


def _initialize_global_process_group(timeout_second=36000):
    """verl.utils.distributed.initialize_global_process_group, with backend="gloo"."""
    torch.distributed.init_process_group(
        backend="gloo",
        timeout=timedelta(seconds=timeout_second),
        init_method=os.environ.get("DIST_INIT_METHOD", None),
    )
    return int(os.environ["LOCAL_RANK"]), int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])


def apply() -> None:
    import verl.utils.distributed as dist_utils

    if getattr(dist_utils, _APPLIED_MARK, False):
        return
    original_ray_init = dist_utils.initialize_global_process_group_ray

    def initialize_global_process_group_ray(timeout_second=None, backend=None):
        # verl passes backend="cpu:gloo" itself for checkpoint engines; keep any explicit choice.
        return original_ray_init(timeout_second=timeout_second, backend=backend or "gloo")

    dist_utils.initialize_global_process_group = _initialize_global_process_group
    dist_utils.initialize_global_process_group_ray = initialize_global_process_group_ray
    setattr(dist_utils, _APPLIED_MARK, True)
