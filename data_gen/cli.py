"""`python -m data_gen`: datasets from the environments (JSONL tasks, SFT and RL parquet, teacher
distillation, validation, a speed benchmark)."""

from __future__ import annotations

import argparse
import importlib
import sys

from data_gen import DataGenError

_SUBCOMMANDS = ["jsonl", "sft", "rl", "distill", "validate", "bench"]


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
    except KeyboardInterrupt:
        print(f"data_gen {args.command}: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
