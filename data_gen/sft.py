"""`data_gen sft`: parquet for verl 0.9's SFT trainer, with worked solutions as the assistant turn.

    python -m data_gen sft --task-types all --count 100000 --seed 0            # train/parquet/{train,val}.parquet
    python -m data_gen sft --mix my-mix.yaml --count 50000 --out-dir data/sft

Columns: messages ([system], user, assistant), prompt, response, data_source, ability, extra_info
(index, task_id, task_type, split, task JSON). The assistant turn is the family's own step-by-step
solution, ending in exactly the answer format its verifier accepts; each is scored while writing
(turn off with --no-check). Train with `data.messages_key=messages`.
"""

from __future__ import annotations

import argparse

from data_gen.common import add_parquet_args, add_run_args
from data_gen.selection import add_selection_args


def run(args: argparse.Namespace) -> int:
    from data_gen.schemas import SFT_SCHEMA
    from data_gen.splits import write_splits
    from data_gen.work import sft_chunk

    write_splits(args, "sft", SFT_SCHEMA, sft_chunk)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("sft", help="SFT parquet (chat messages with worked solutions) for verl's SFT trainer",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_selection_args(p, "train (split into train/val by --val-ratio), or val / test (one file) (default: the mix's, else train)")
    add_parquet_args(p, "train/parquet")
    add_run_args(p)
    p.set_defaults(func=run)
