"""UsageError: bad input on the `veritas` command line. In its own module so that subcommand
modules and `python -m veritas.cli` (where cli.py runs as __main__) share one class."""


class UsageError(Exception):
    """One line on stderr, exit status 2 (for `verify`, 1 means a wrong reply)."""
