"""The smoke run's verl overrides: the GPU launchers' own, then CPU adaptations, then tiny sizes.

The smoke proves the GPU path's configuration too, so it does not write its own verl command: it
asks each launcher for its exact command (``--dry-run``, with the tiny model and ``PRESET=quick``),
keeps the Hydra overrides, and lays two short lists on top, the last value of a key winning:

- ``CPU_*``: what a CPU needs and a GPU must not get (each line says why);
- ``TINY_*``: sizes that make a step take seconds on two cores (batch, lengths, steps).

Nothing here is read by the launchers.
"""

from __future__ import annotations

import os
import shlex
import subprocess

# ---- CPU adaptations ----------------------------------------------------------------------------
CPU_SFT = [
    # verl's default "cuda" would put tensors on a device that does not exist.
    "trainer.device=cpu",
    # The model's default attention is flash-attention (a CUDA kernel); PyTorch's SDPA runs anywhere.
    "+model.override_config.attn_implementation=sdpa",
    # FSDP1 (verl's default) syncs module states from rank 0 on GPUs only ("The module has CPU
    # parameters or buffers when `sync_module_states=True`"); FSDP2 works on a CPU device mesh.
    "engine.strategy=fsdp2",
]

CPU_GRPO = [
    "trainer.device=cpu",
    "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
    # FSDP2, as for SFT (the reference model follows the actor's strategy).
    "actor_rollout_ref.actor.strategy=fsdp2",
    # Under FSDP2 verl always gives a forward-only (reference) model a CPU offload policy that pins
    # host memory (workers/engine/fsdp/transformer_impl.py, _build_fsdp_module); pin_memory() needs
    # an accelerator. Not forward-only, the reference model is built like the actor and needs an
    # optimizer config: the actor's (it is never stepped; the tiny model makes its state negligible).
    "actor_rollout_ref.ref.fsdp_config.forward_only=False",
    "+actor_rollout_ref.ref.optim=${actor_rollout_ref.actor.optim}",
    # verl places workers with Ray's GPU resource (PlatformCPU.ray_resource_name). One logical GPU
    # stands for "the CPU"; Ray only counts it, nothing binds to it.
    "+ray_kwargs.ray_init.num_gpus=1",
    # Ray gives every actor one CPU; verl starts about a dozen (trainer, workers, vLLM server, reward
    # and agent-loop workers, TransferQueue). Logical CPUs let them all be placed on two cores.
    "ray_kwargs.ray_init.num_cpus=16",
    "+ray_kwargs.ray_init.include_dashboard=False",
    # TransferQueue starts one storage actor per unit, each with a thread pool; more than one
    # hangs its start-up on two cores.
    "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
    # vLLM's CPU backend has no sleep mode (it frees accelerator memory between rollouts).
    "+actor_rollout_ref.rollout.enable_sleep_mode=False",
    "actor_rollout_ref.rollout.free_cache_engine=False",
    # No CUDA graphs or torch.compile on CPU; eager also skips a long warm-up.
    "actor_rollout_ref.rollout.enforce_eager=True",
]

# ---- float32 compute (the learning run) ---------------------------------------------------------
# verl computes in bfloat16 (FSDP mixed precision's param_dtype, default bf16 when no
# mixed_precision is given; vLLM's dtype). A CPU without AVX-512 has no
# bfloat16 arithmetic: torch emulates it, ~3x slower than float32 for the same model (measured here).
# The smoke's steps are too short to care; the learning run trains for minutes.
FLOAT32_MIXED_PRECISION = "{param_dtype:fp32,reduce_dtype:fp32,buffer_dtype:fp32}"
CPU_FLOAT32_SFT = ["engine.dtype=float32", f"+engine.mixed_precision={FLOAT32_MIXED_PRECISION}"]

CPU_FLOAT32_GRPO = [
    "actor_rollout_ref.actor.fsdp_config.dtype=float32",
    "actor_rollout_ref.ref.fsdp_config.dtype=float32",
    f"+actor_rollout_ref.actor.fsdp_config.mixed_precision={FLOAT32_MIXED_PRECISION}",
    f"+actor_rollout_ref.ref.fsdp_config.mixed_precision={FLOAT32_MIXED_PRECISION}",
    "actor_rollout_ref.rollout.dtype=float32",
]

# ---- tiny sizes (and process counts for a 2-core machine) ---------------------------------------
TINY_SFT = [
    "data.train_batch_size=4",
    "data.micro_batch_size_per_gpu=2",
    "data.num_workers=0",
    "data.val_max_samples=4",
    "trainer.total_training_steps=3",
    "trainer.save_freq=3",
    "trainer.test_freq=3",
    "trainer.logger=[console,file]",
]

TINY_GRPO = [
    # One process each instead of verl's eight: the machine has two cores.
    "actor_rollout_ref.rollout.agent.num_workers=1",
    "reward.num_workers=1",
    "data.dataloader_num_workers=0",
    "data.train_batch_size=2",
    "data.max_response_length=16",
    "data.val_max_samples=2",
    "actor_rollout_ref.rollout.n=2",
    "actor_rollout_ref.actor.ppo_mini_batch_size=2",
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=4096",
    "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu=4096",
    "actor_rollout_ref.ref.log_prob_max_token_len_per_gpu=4096",
    "actor_rollout_ref.rollout.max_num_batched_tokens=4096",
    # Without CUDA IPC the weight-sync bucket is a shared-memory segment; 2 GB is sized for real
    # models and more than a container's /dev/shm may hold.
    "actor_rollout_ref.rollout.checkpoint_engine.update_weights_bucket_megabytes=64",
    "trainer.total_training_steps=2",
    "trainer.save_freq=2",
    "trainer.test_freq=2",
    "trainer.logger=[console,file]",
]


# ---- merging ------------------------------------------------------------------------------------
def override_key(override: str) -> str:
    """``+a.b=1`` / ``++a.b=1`` / ``a.b=1`` -> ``a.b``."""
    key, sep, _ = override.partition("=")
    if not sep:
        raise ValueError(f"not a KEY=VALUE override: {override!r}")
    return key.lstrip("+~")


def merge(*groups: list[str]) -> list[str]:
    """Concatenate override lists; a later value of a key replaces the earlier one in place.

    The first occurrence keeps its prefix: Hydra rejects ``+key`` for a key that already exists, so
    ``+a=1`` followed by ``+a=2`` must become a single ``+a=2``.
    """
    merged: dict[str, str] = {}
    for group in groups:
        for override in group:
            key = override_key(override)
            value = override.partition("=")[2]
            if key in merged:
                prefix = merged[key][: len(merged[key]) - len(merged[key].lstrip("+~"))]
                merged[key] = f"{prefix}{key}={value}"
            else:
                merged[key] = override
    return list(merged.values())


# ---- the launchers' own overrides ----------------------------------------------------------------
LAUNCHERS = {
    "sft": ("train/scripts/lgc-v2-SFT-trainer.sh", "verl.trainer.sft_trainer"),
    "grpo": ("train/scripts/lgc-v2-GRPO-trainer.sh", "verl.trainer.main_ppo"),
}


class LauncherError(RuntimeError):
    """The launcher's dry run failed or printed no command we can read."""


def parse_dry_run(text: str, module: str) -> list[str]:
    """The Hydra overrides of the command a launcher printed (after ``-m MODULE``)."""
    marker = "== command"
    if marker not in text:
        raise LauncherError(f"no '{marker}' section in the launcher's dry-run output")
    command = text[text.rindex(marker):].split("\n", 1)[1] if "\n" in text[text.rindex(marker):] else ""
    tokens = shlex.split(command.replace("\\\n", " "))
    for i in range(len(tokens) - 1):
        if tokens[i] == "-m" and tokens[i + 1] == module:
            overrides = tokens[i + 2:]
            bad = [t for t in overrides if "=" not in t]
            if bad:
                raise LauncherError(f"after -m {module}, expected KEY=VALUE overrides only, got {bad}")
            return overrides
    raise LauncherError(f"the launcher's command does not run 'python -m {module}'")


def launcher_overrides(kind: str, repo: str, env: dict[str, str], args: list[str] = (),
                       timeout: float = 120) -> list[str]:
    """Run the launcher of ``kind`` ("sft" or "grpo") with ``--dry-run`` and return its overrides.

    ``env`` is the launcher's whole environment (plus PATH/HOME from ours): nothing from the
    caller's shell (MIX, ALGO, LORA_RANK, a .env file) leaks into the smoke's configuration.
    """
    script, module = LAUNCHERS[kind]
    path = os.path.join(repo, script)
    if not os.path.isfile(path):
        raise LauncherError(f"{script} not found in {repo}")
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
                "ENV_FILE": os.devnull, **env}
    proc = subprocess.run(["bash", path, "--dry-run", *args], cwd=repo, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise LauncherError(f"{script} --dry-run exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    try:
        return parse_dry_run(proc.stdout, module)
    except LauncherError as exc:
        raise LauncherError(f"{script} --dry-run: {exc}\n--- its output ---\n{proc.stdout[-2000:]}") from None
