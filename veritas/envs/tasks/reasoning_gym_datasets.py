"""Registers reasoning-gym's datasets as rg.* task types when the optional package is installed
(veritas/envs/reasoning_gym/; reasoning_gym itself is imported only when such a task is used)."""

from veritas.envs import reasoning_gym as _rg

if _rg.available():
    _rg.register_all()
