"""`data_gen sft`: parquet for verl 0.9's SFT trainer, with worked solutions as the assistant turn.

    python -m data_gen sft --task-types all --count 100000 --seed 0            # train/parquet/{train,val}.parquet
    python -m data_gen sft --mix my-mix.yaml --count 50000 --out-dir data/sft

Columns: messages ([system], user, assistant), prompt, response, data_source, ability, extra_info
(index, task_id, task_type, split, task JSON). The assistant turn is the family's own step-by-step
solution, ending in exactly the answer format its verifier accepts; each is scored while writing
(turn off with --no-check). Train with `data.messages_key=messages`.

Types without a worked solution (every reasoning-gym rg.* type: reasoning-gym gives only final
answers) cannot go into SFT data: `--task-types all` leaves them out and says so; naming one, or a
mix that lists one, is an error that points to `data_gen distill` (a teacher's verified replies).
"""

from __future__ import annotations

import argparse
import sys

from data_gen import DataGenError
from data_gen.common import add_parquet_args, add_run_args
from data_gen.selection import add_selection_args


def has_worked_solution(task_type: str) -> bool:
    from veritas.envs import TaskFamily, get_family

    return type(get_family(task_type)).worked_solution is not TaskFamily.worked_solution


def _without_solutions(args: argparse.Namespace) -> list[str]:
    """The selected task types that have no worked solution; `all` drops them (with a note)."""
    from data_gen.selection import base_mix
    from veritas.envs import list_task_types

    if args.task_types and args.task_types.strip() == "all":
        missing = [t for t in list_task_types() if not has_worked_solution(t)]
        if missing:
            kept = [t for t in list_task_types() if has_worked_solution(t)]
            print(f"data_gen sft: leaving out {len(missing)} task type(s) without a worked solution "
                  f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); "
                  "`python -m data_gen distill` makes SFT data for them", file=sys.stderr)
            args.task_types = ",".join(kept)
        return []
    return [t for t in dict.fromkeys(base_mix(args).task_types) if not has_worked_solution(t)]


def run(args: argparse.Namespace) -> int:
    from data_gen.schemas import SFT_SCHEMA
    from data_gen.splits import write_splits
    from data_gen.work import sft_chunk

    missing = _without_solutions(args)
    if missing:
        raise DataGenError(
            f"data_gen sft: {', '.join(missing)} has no worked solution (reasoning-gym datasets give only the final "
            "answer), so it cannot go into SFT data; leave it out, or make SFT data for it with "
            "`python -m data_gen distill` (a teacher model's replies, each verified)")
    write_splits(args, "sft", SFT_SCHEMA, sft_chunk)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("sft", help="SFT parquet (chat messages with worked solutions) for verl's SFT trainer",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_selection_args(p, "train (split into train/val by --val-ratio), or val / test (one file) (default: the mix's, else train)")
    add_parquet_args(p, "train/parquet")
    add_run_args(p)
    p.set_defaults(func=run)
