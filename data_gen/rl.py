"""`data_gen rl`: parquet in verl's RL schema, read by verl's RLHFDataset and scored by our reward.

    python -m data_gen rl --task-types all --count 20000 --seed 0              # train/parquet/rl/{train,val}.parquet
    python -m data_gen rl --mix my-mix.yaml --split test --count 2000 --out-dir data/rl

Columns (veritas.rows.rl_row): data_source (task type), prompt ([system], user as chat messages),
ability (env), reward_model {style: rule, ground_truth: the reference reply}, extra_info {index,
task_id, task_type, split, task (the task as canonical JSON)}.
"""

from __future__ import annotations

import argparse

from data_gen.common import add_parquet_args, add_run_args
from data_gen.selection import add_selection_args


def run(args: argparse.Namespace) -> int:
    from data_gen.schemas import RL_SCHEMA
    from data_gen.splits import write_splits
    from data_gen.work import rl_chunk

    write_splits(args, "rl", RL_SCHEMA, rl_chunk)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("rl", help="RL parquet in verl's schema (data_source, prompt, ability, reward_model, extra_info)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_selection_args(p, "train (split into train/val by --val-ratio), or val / test (one file) (default: the mix's, else train)")
    add_parquet_args(p, "train/parquet/rl")
    add_run_args(p)
    p.set_defaults(func=run)
