"""The vLLM-side classes of :mod:`veritas.cpu_verl.vllm_adapter` (points 2 and 3).

Kept apart because they import vLLM, which only the smoke venv has; vLLM's worker processes import
:class:`CpuWorkerExtension` by name (``worker_extension_cls``).
"""

from __future__ import annotations

import contextlib

import ray
import vllm.model_executor.model_loader.utils as vllm_loader_utils
from verl.workers.rollout.vllm_rollout.utils import vLLMColocateWorkerExtension
from verl.workers.rollout.vllm_rollout.vllm_async_server import vLLMHttpServer, vLLMReplica
from vllm.model_executor.model_loader.reload import finalize_layerwise_reload, initialize_layerwise_reload


@contextlib.contextmanager
def _post_load_is_layerwise_finalize():
    """Inside verl's update_weights_from_ipc, its final ``process_weights_after_loading(model,
    model_config, device)`` becomes ``finalize_layerwise_reload(model, model_config)``: the same
    post-processing, done by the reload machinery that restored the layers (running the plain
    one again would repack already-packed, emptied weights). verl imports the function inside
    ``update_weights_from_ipc`` (verl/workers/rollout/vllm_rollout/utils.py), so swapping the
    module attribute for the duration of that call reaches it and nothing else."""
    original = vllm_loader_utils.process_weights_after_loading

    def finalize(model, model_config, target_device):
        finalize_layerwise_reload(model, model_config)

    vllm_loader_utils.process_weights_after_loading = finalize
    try:
        yield
    finally:
        vllm_loader_utils.process_weights_after_loading = original


class CpuWorkerExtension(vLLMColocateWorkerExtension):
    def update_weights_from_ipc(self, peft_config: dict = None, base_sync_done=False, use_shm: bool = False):
        if peft_config or self._is_qat_model or self._is_modelopt_qat:
            raise NotImplementedError("CPU smoke: only full-weight sync of an unquantized model is adapted")
        for model in self._iter_all_models():
            initialize_layerwise_reload(model)
        with _post_load_is_layerwise_finalize():
            return super().update_weights_from_ipc(peft_config, base_sync_done, use_shm)

    def _update_weights(self, weights, peft_config, base_sync_done):
        # Layerwise reload keeps a layer's tensors until all of its weights arrived, possibly
        # past this bucket; the bucket is a view of verl's shared memory, reused and then closed.
        owned = [(name, tensor.clone()) for name, tensor in weights]
        return super()._update_weights(owned, peft_config, base_sync_done)


class CpuVllmHttpServer(vLLMHttpServer):
    def _get_worker_extension_cls(self) -> str:
        return f"{CpuWorkerExtension.__module__}.{CpuWorkerExtension.__qualname__}"


class CpuVllmReplica(vLLMReplica):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.server_class = ray.remote(CpuVllmHttpServer)
