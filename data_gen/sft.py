"""`data_gen sft`: parquet for verl 0.9's SFT trainer, with worked solutions as the assistant turn.

    python -m data_gen sft --task-types all --count 100000 --seed 0            # train/parquet/{train,val}.parquet
    python -m data_gen sft --mix my-mix.yaml --count 50000 --out-dir data/sft

Columns: messages ([system], user, assistant), prompt, response, data_source, ability, extra_info
(index, task_id, task_type, split, task JSON). The assistant turn is the family's own step-by-step
solution, ending in exactly the answer format its verifier accepts; each is scored while writing
(turn off with --no-check). Train with `data.messages_key=messages`.

With --tokenizer MODEL_DIR, each file's conversations are counted in tokens as verl's SFT trainer
counts them (the model's chat template) and the longest is reported; with --max-tokens N as well,
rows longer than N are left out (the file is rewritten atomically, rows keep their index) and the
count is reported, so `data.max_length=N` never stops a run:

    python -m data_gen sft --task-types all --count 100000 --tokenizer train/models/Qwen/Qwen2.5-1.5B-Instruct --max-tokens 4096

Types without a worked solution (every reasoning-gym rg.* type: reasoning-gym gives only final
answers) cannot go into SFT data: `--task-types all` leaves them out and says so; naming one, or a
mix that lists one, is an error that points to `data_gen distill` (a teacher's verified replies).
"""

from __future__ import annotations

import argparse
import os
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

    if args.max_tokens is not None and not args.tokenizer:
        raise DataGenError("--max-tokens needs --tokenizer (the model folder whose tokenizer counts the tokens)")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise DataGenError(f"--max-tokens must be a positive integer, got {args.max_tokens}")
    tokenizer = _tokenizer(args.tokenizer) if args.tokenizer else None  # fail before generating anything
    missing = _without_solutions(args)
    if missing:
        raise DataGenError(
            f"data_gen sft: {', '.join(missing)} has no worked solution (reasoning-gym datasets give only the final "
            "answer), so it cannot go into SFT data; leave it out, or make SFT data for it with "
            "`python -m data_gen distill` (a teacher model's replies, each verified)")
    files = write_splits(args, "sft", SFT_SCHEMA, sft_chunk)
    if tokenizer is not None:
        for path in files:
            _count_and_filter(path, tokenizer, args.max_tokens)
    return 0


def _tokenizer(path: str):
    from veritas.token_lengths import LengthCheckError, load_tokenizer

    try:
        return load_tokenizer(path)
    except LengthCheckError as exc:
        raise DataGenError(str(exc)) from None


def _count_and_filter(path, tokenizer, max_tokens: int | None) -> None:
    """Report the token lengths of one written file; with max_tokens, rewrite it without longer rows."""
    import pyarrow.parquet as pq

    from data_gen.common import say
    from data_gen.output import PARQUET_OPTIONS, tmp_path
    from veritas.token_lengths import parquet_lengths

    lengths = parquet_lengths(str(path), tokenizer)
    longest = max(lengths) if lengths else 0
    if max_tokens is None:
        say(f"{path}: {len(lengths)} rows, longest {longest} tokens")
        return
    keep = [i for i, n in enumerate(lengths) if n <= max_tokens]
    dropped = len(lengths) - len(keep)
    if dropped:
        import pyarrow as pa

        table = pq.read_table(path)
        # The schema (and its data_gen metadata) is kept, so a rerun of the same command finds the
        # file complete; the dropped rows are simply absent (each row carries its own index).
        filtered = table.take(pa.array(keep, type=pa.int64()))
        tmp = tmp_path(path)
        pq.write_table(filtered, tmp, **PARQUET_OPTIONS)
        os.replace(tmp, path)
    kept_longest = max((lengths[i] for i in keep), default=0)
    say(f"{path}: left out {dropped} of {len(lengths)} rows longer than {max_tokens} tokens "
        f"(longest was {longest}; now {kept_longest})")


def add_parser(sub) -> None:
    p = sub.add_parser("sft", help="SFT parquet (chat messages with worked solutions) for verl's SFT trainer",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_selection_args(p, "train (split into train/val by --val-ratio), or val / test (one file) (default: the mix's, else train)")
    add_parquet_args(p, "train/parquet")
    add_run_args(p)
    g = p.add_argument_group("token lengths")
    g.add_argument("--tokenizer", metavar="DIR", default=None,
                   help="a local model folder: report each file's conversation lengths in its tokens (chat template included)")
    g.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="with --tokenizer: leave out rows longer than N tokens (use the SFT run's data.max_length)")
    p.set_defaults(func=run)
