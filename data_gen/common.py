"""Flags and helpers several subcommands share."""

from __future__ import annotations

import argparse
import sys

from data_gen import DataGenError

# Fixed sizes, so a file's bytes never depend on the worker count: a worker builds CHUNK_ROWS rows
# at a time, and parquet row groups hold ROW_GROUP_ROWS.
CHUNK_ROWS = 500
ROW_GROUP_ROWS = 5_000
DEFAULT_SHARD_ROWS = 100_000


def add_run_args(p: argparse.ArgumentParser) -> None:
    from data_gen.pool import default_workers

    g = p.add_argument_group("running")
    g.add_argument("--workers", type=int, default=default_workers(),
                   help="worker processes (default: every core, here %(default)s); the output does not depend on it")
    g.add_argument("--overwrite", action="store_true",
                   help="discard existing or unfinished output of a different command instead of stopping")
    g.add_argument("--no-check", dest="check", action="store_false",
                   help="skip scoring each reference answer / worked solution while writing (faster; `validate` can do it later)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parquet_args(p: argparse.ArgumentParser, default_out: str) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--out-dir", default=default_out, help="folder for train.parquet / val.parquet (default %(default)s)")
    g.add_argument("--val-ratio", type=float, default=0.05,
                   help="share of --count written to val.parquet, drawn from the val seed block (default %(default)s)")
    g.add_argument("--shard-rows", type=int, default=DEFAULT_SHARD_ROWS,
                   help="rows per part: the unit of resumption, and of each file with --shards (default %(default)s)")
    g.add_argument("--shards", action="store_true",
                   help="keep the parts as NAME-00000-of-000NN.parquet files instead of one NAME.parquet")


def check_run_args(args: argparse.Namespace) -> None:
    if args.workers < 1:
        raise DataGenError(f"--workers must be >= 1, got {args.workers}")
    shard_rows = getattr(args, "shard_rows", None)
    if shard_rows is not None and shard_rows <= 0:
        raise DataGenError(f"--shard-rows must be a positive integer, got {shard_rows}")


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
