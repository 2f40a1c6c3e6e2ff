"""The shared body of `sft` and `rl`: one parquet file per split, built by worker processes."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from data_gen.common import CHUNK_ROWS, ROW_GROUP_ROWS, check_run_args, say
from data_gen.selection import base_mix, mix_spec, split_plan

# Bump when a row layout changes: files written before then no longer count as complete.
FORMAT_VERSION = 1


def chunk_job(mix, split, check, start, end):
    """The worker arguments for rows [start, end) of one split."""
    return (mix, split, start, end, check)


def write_splits(args: argparse.Namespace, kind: str, schema, worker_fn) -> list[Path]:
    from data_gen.output import write_parquet
    from data_gen.pool import Workers

    check_run_args(args)
    plan = split_plan(base_mix(args), args.val_ratio)
    outputs: list[Path] = []
    with Workers(args.workers) as workers:  # one pool for every split
        for split, mix in plan:
            spec = {"kind": kind, "format": FORMAT_VERSION, "split": split, "mix": mix_spec(mix)}
            status, files = write_parquet(
                Path(args.out_dir) / f"{split}.parquet", schema, mix.size,
                functools.partial(chunk_job, mix, split, args.check), worker_fn, spec,
                workers=workers, chunk_rows=CHUNK_ROWS, row_group_rows=ROW_GROUP_ROWS, shard_rows=args.shard_rows,
                keep_shards=args.shards, overwrite=args.overwrite, quiet=args.quiet, desc=f"{kind} {split}",
            )
            verb = {"complete": "already complete:", "written": "wrote", "resumed": "resumed and finished"}[status]
            where = files[0] if len(files) == 1 else f"{len(files)} shards {files[0].name} .. {files[-1].name}"
            say(f"{verb} {where} ({mix.size} rows)")
            outputs.extend(files)
    return outputs
