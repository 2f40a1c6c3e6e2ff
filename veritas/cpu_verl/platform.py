"""A verl platform for plain CPUs, registered with verl's platform registry as ``cpu``.

verl 0.9.1 ships CUDA, NPU and ROCm platforms and falls back to ``nvidia`` when none is
detected; this class is the CPU counterpart. Selected with ``VERL_PLATFORM=cpu``.
"""

from __future__ import annotations

import os
import types
from contextlib import contextmanager
from typing import Any, Optional

import psutil
import torch
from verl.plugin.platform import PlatformBase, PlatformRegistry

PLATFORM_NAME = "cpu"


def _cpu_device_module() -> types.ModuleType:
    """``torch.cpu`` plus the ``torch.cuda``-style calls verl makes on its device module.

    verl calls e.g. ``get_torch_device().empty_cache()`` / ``.mem_get_info()`` / ``.get_rng_state()``
    unconditionally; ``torch.cpu`` lacks them. Memory figures come from the host (psutil) so
    verl's memory logging stays meaningful; cache and IPC calls are no-ops on CPU.
    """
    mod = types.ModuleType("veritas_cpu_device")
    for name in dir(torch.cpu):
        if not name.startswith("__"):
            setattr(mod, name, getattr(torch.cpu, name))

    def mem_get_info(device=None):
        vm = psutil.virtual_memory()
        return vm.available, vm.total

    def rss(device=None):
        return psutil.Process().memory_info().rss

    def noop(*args, **kwargs):
        return None

    mod.mem_get_info = mem_get_info
    mod.memory_allocated = rss
    mod.memory_reserved = rss
    mod.max_memory_allocated = rss
    mod.max_memory_reserved = rss
    mod.reset_peak_memory_stats = noop
    mod.empty_cache = noop
    mod.ipc_collect = noop
    mod.set_per_process_memory_fraction = noop
    mod.manual_seed = torch.manual_seed
    mod.manual_seed_all = torch.manual_seed
    mod.get_rng_state = lambda device=None: torch.get_rng_state()
    mod.set_rng_state = lambda state, device=None: torch.set_rng_state(state)
    mod.get_device_name = lambda device=None: "cpu"
    return mod


_DEVICE_MODULE = _cpu_device_module()


@PlatformRegistry.register(platform=PLATFORM_NAME)
class PlatformCPU(PlatformBase):
    """Tensors on ``cpu``, collectives over gloo, no profiler, no IPC."""

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> types.ModuleType:
        return _DEVICE_MODULE

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check=False) -> bool:
        # Never auto-detected: only an explicit VERL_PLATFORM=cpu selects it, so merely
        # importing this module can never take a GPU machine off its GPUs.
        return False

    def current_device(self) -> str:
        # verl passes this straight to `.to(...)` / `device=` (fsdp_utils, engine impls); an int
        # there means "accelerator N", which does not exist on a CPU. "cpu" is what torch.cpu says.
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: Optional[int] = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[Optional[int], Optional[int]]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        # Ray sets and verl reads this per worker; no CPU library looks at it.
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        # Ray's scheduling unit for one "device". The smoke starts Ray with a logical GPU count
        # (ray_init.num_gpus), so placement groups verl asks for can be satisfied on a CPU box.
        return "GPU"

    def ray_resource_options(self, num_gpus: float) -> dict[str, Any]:
        return {"num_gpus": num_gpus}

    def ray_noset_envvars(self) -> list[str]:
        return []

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self) -> Any:
        return None


def select() -> None:
    """Make ``cpu`` the platform verl resolves, in this process and in every child it starts."""
    os.environ["VERL_PLATFORM"] = PLATFORM_NAME
