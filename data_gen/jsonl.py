"""`data_gen jsonl`: tasks as JSON lines, one `Task.to_json()` per line, in item order.

    python -m data_gen jsonl --task-types dyck_language,game_of_24 --count 100000 --seed 0 -o tasks.jsonl

Lines are appended as they are generated to OUT.partial, which is renamed to OUT when the last one
is written; the same command after an interruption continues from the last complete line.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from data_gen.common import CHUNK_ROWS, add_run_args, check_run_args, say
from data_gen.selection import add_selection_args, base_mix


def _chunk_job(mix, check, start, end):
    return (mix, start, end, check)


def _line_at(mix, index: int) -> bytes:
    return mix.generate(index).to_json().encode("utf-8")


def run(args: argparse.Namespace) -> int:
    from data_gen.output import write_jsonl
    from data_gen.pool import Workers
    from data_gen.work import jsonl_chunk

    check_run_args(args)
    mix = base_mix(args)
    out = Path(args.out)
    with Workers(args.workers) as workers:
        status = write_jsonl(
            out, mix.size, functools.partial(_chunk_job, mix, args.check), jsonl_chunk, functools.partial(_line_at, mix),
            workers=workers, chunk_rows=CHUNK_ROWS, overwrite=args.overwrite, quiet=args.quiet, desc=out.name,
        )
    verb = {"complete": "already complete:", "written": "wrote", "resumed": "resumed and finished"}[status]
    say(f"{verb} {out} ({mix.size} tasks, split {mix.split})")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("jsonl", help="stream tasks to a JSONL file (one task per line)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="output JSONL file")
    add_selection_args(p, "seed block to draw from: train, val or test (default: the mix's, else train)")
    add_run_args(p)
    p.set_defaults(func=run)
