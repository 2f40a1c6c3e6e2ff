"""UsageError: bad input on the `veritas` command line. In its own module so that subcommand
modules and `python -m veritas.cli` (where cli.py runs as __main__) share one class."""


class UsageError(Exception):
    """One line on stderr, exit status 2 (for `verify`, 1 means a wrong reply)."""


def positive_int(text: str) -> int:
    """argparse type for counts (--n, --seeds, ...): argparse names the flag in its one-line error."""
    import argparse

    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
