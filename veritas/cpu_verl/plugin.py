"""Entry point of the CPU smoke run, imported by verl itself.

The smoke driver (:mod:`veritas.cpu_verl.smoke`) sets
``VERL_USE_EXTERNAL_MODULES=veritas.cpu_verl.plugin`` for the verl commands it starts; verl's
``__init__`` imports every module named there, in every process that imports verl (the driver,
each torchrun rank, each Ray worker: they inherit the environment). Importing this module is the
switch: it selects the CPU platform and applies the adapters. The GPU launchers never set it.
"""

from __future__ import annotations

import os

from veritas.cpu_verl import platform, process_group, vllm_adapter

platform.select()
# verl registers its FSDP engines under device "cuda"/"npu" only (workers/engine/fsdp/
# transformer_impl.py); VERL_ENGINE_DEVICE is verl's own override of the engine lookup key. The
# engine itself places tensors on get_device_name(), i.e. "cpu".
os.environ.setdefault("VERL_ENGINE_DEVICE", "cuda")
process_group.apply()
vllm_adapter.apply()
