"""Imported by the fork server before it forks workers, so every worker starts warm: the task
families discovered, pyarrow loaded, and pyarrow's one-off set-up (about a second, paid on the
first conversion of Python objects) already done."""

import pyarrow as pa

import data_gen.checks  # noqa: F401
import data_gen.work  # noqa: F401
from veritas.envs import list_task_types

list_task_types()
pa.array(["warm"], pa.string())
