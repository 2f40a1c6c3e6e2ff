"""Everything that lets verl 0.9.1 train on a CPU-only machine, for the smoke run only.

Nothing here is imported by the GPU launchers or by the rest of veritas. `scripts/smoke.sh` turns
it on through verl's own extension point: ``VERL_USE_EXTERNAL_MODULES=veritas.cpu_verl.plugin``
makes every ``import verl`` (driver, torchrun ranks, Ray workers) import :mod:`.plugin`, which
registers the CPU platform and applies the few adapters verl has no hook for. See
docs/cpu-smoke.md for each adaptation and why it exists.
"""
