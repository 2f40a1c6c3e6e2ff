"""One module per task family; each registers itself with @register (see veritas/envs/registry.py)."""
