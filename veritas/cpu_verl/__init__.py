"""Everything that lets verl 0.9.1 train, and vLLM serve, on a CPU-only machine: for the smoke run
(scripts/smoke.sh), the learning run (scripts/learn.sh) and CPU serving (scripts/serve-cpu.sh).

Nothing here is imported by the GPU launchers or by the rest of veritas. The runs turn it on
through verl's own extension point: ``VERL_USE_EXTERNAL_MODULES=veritas.cpu_verl.plugin`` makes
every ``import verl`` (driver, torchrun ranks, Ray workers) import :mod:`.plugin`, which registers
the CPU platform and applies the few adapters verl has no hook for. See docs/cpu-smoke.md for each
adaptation and why it exists, docs/learning.md for the learning run.

Modules: ``stages`` (running a stage: its process group, log, time and memory), ``overrides``
(the launchers' overrides plus CPU layers), ``checks`` (what a stage must leave behind), ``smoke``
and ``learn`` (the two drivers; ``learn_eval``, ``learn_report``), ``serve`` (vLLM on CPU), and the
adapters (``plugin``, ``platform``, ``process_group``, ``vllm_adapter``, ``vllm_extension``).
"""
