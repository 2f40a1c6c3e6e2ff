"""`veritas audit`: per (task type, level), the checks every environment must pass (docs/audit.md).

One module per check; cli.py runs them and renders the table. Only the public API of
veritas.envs is used, so a family registered later is audited by the same command.
"""
