"""`python -m data_gen`: datasets from the environments (JSONL tasks, SFT and RL parquet, teacher
distillation, validation, a speed benchmark)."""

from __future__ import annotations

import argparse
import errno
import importlib
import sys

from data_gen import DataGenError

_SUBCOMMANDS = ["jsonl", "sft", "rl", "distill", "validate", "bench"]


_OS_HINTS = {
    errno.EEXIST: "a file is where a folder is needed",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder; give a file path",
    errno.EACCES: "permission denied",
    errno.ENOSPC: "the disk is full",
}


def describe_os_error(exc: OSError) -> str:
    """One line: the path, the OS's reason, and what it usually means here."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    hint = _OS_HINTS.get(exc.errno)
    return f"{where}{exc.strerror or exc}" + (f" ({hint})" if hint else "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data_gen",
        description=__doc__,
        epilog="Every subcommand has --help. Docs: docs/data_gen.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(f"data_gen.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DataGenError as exc:
        print(f"data_gen {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output path the OS refuses: say which and why, not a traceback
        print(f"data_gen {args.command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"data_gen {args.command}: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
