"""The `trace` environment: predict the exact stdout of a procedurally generated Python program.

Modules, one job each:
- vocab.py      identifier and literal pools
- generator.py  the program generator (pure function of rng state and difficulty)
- worker.py     the sandboxed worker process that runs programs (stdlib only)
- sandbox.py    the parent's client for that worker (lazy, per process, restarts on death)
- solution.py   worked solutions rendered from a traced run
- family.py     the registered TaskFamily: prompt, answer, verifier, near misses

Importing this package registers the family; no worker process starts until the first task is
generated.
"""

from veritas.envs.tasks.trace.family import TraceFamily

__all__ = ["TraceFamily"]
