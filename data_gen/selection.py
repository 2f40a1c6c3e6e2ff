"""Which tasks a command writes: a mix file, or task types with a count and a seed, turned into one
`veritas.mixes.Mix` per output split.

Seeds come from the mix's split block (train / val / test take disjoint seed ranges), so a train
file and a val file written by one command never share a task id.
"""

from __future__ import annotations

import argparse
import dataclasses

from data_gen import DataGenError

SPLITS = ("train", "val", "test")


def add_selection_args(p: argparse.ArgumentParser, split_help: str) -> None:
    g = p.add_argument_group("which tasks (a mix file, or --task-types with --count)")
    g.add_argument("--mix", metavar="FILE", help="environment mix YAML (the format of veritas/mixes.py)")
    g.add_argument("--task-types", metavar="A,B", help="comma-separated task types, or 'all' (see `veritas list`)")
    g.add_argument("--count", type=int, metavar="N", help="number of tasks in total (default: the mix's size)")
    g.add_argument("--seed", type=int, metavar="S", help="selection seed: which tasks, in which order (default: the mix's, else 0)")
    g.add_argument("--difficulty", metavar="D", help="1-5 or 'mixed' (drawn per task); with --task-types (default mixed)")
    g.add_argument("--language", metavar="LANG", help="prompt language; with --task-types (default en)")
    g.add_argument("--split", choices=SPLITS, help=split_help)
    g.add_argument("--system-prompt", metavar="TEXT", help="system message put before every prompt (default: the mix's, else none)")


def _positive(name: str, value) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DataGenError(f"{name} must be a positive integer, got {value!r}")
    return value


def base_mix(args: argparse.Namespace):
    """The Mix the flags describe (its split and size as given, before any train/val division)."""
    from veritas.envs import list_task_types, warn_if_excluded
    from veritas.mixes import MixError, load_mix, mix_from_dict

    if args.mix and args.task_types:
        raise DataGenError("give either --mix FILE or --task-types, not both")
    if args.seed is not None and args.seed < 0:
        raise DataGenError(f"--seed must be >= 0, got {args.seed}")
    if args.count is not None:
        _positive("--count", args.count)
    try:
        if args.mix:
            if args.difficulty is not None or args.language is not None:
                raise DataGenError("--difficulty and --language go with --task-types; a mix file sets its own")
            overrides: dict = {}
            if args.count is not None:
                overrides["size"] = args.count
            if args.seed is not None:
                overrides["seed"] = args.seed
            if args.split is not None:
                overrides["split"] = args.split
            if args.system_prompt is not None:
                overrides["system_prompt"] = args.system_prompt
            return load_mix(args.mix, overrides)
        if not args.task_types:
            raise DataGenError("say which tasks: --mix FILE, or --task-types A,B --count N")
        known = list_task_types()
        if not known:
            raise DataGenError("no task types are registered (veritas/envs/tasks/ is empty)")
        types = known if args.task_types.strip() == "all" else [t.strip() for t in args.task_types.split(",") if t.strip()]
        every = list_task_types(include_excluded=True)  # types that failed their audit work when named
        unknown = [t for t in types if t not in every]
        if unknown or not types:
            raise DataGenError(f"--task-types: unknown task type(s) {unknown or [args.task_types]}; known: {', '.join(known)}")
        warn_if_excluded(types)
        if args.count is None:
            raise DataGenError("--count N is required with --task-types")
        difficulty = args.difficulty or "mixed"
        if difficulty != "mixed":
            if not difficulty.isdigit():
                raise DataGenError(f"--difficulty must be 1-5 or 'mixed', got {difficulty!r}")
            difficulty = int(difficulty)
        data = {
            "name": "+".join(types) if len(types) <= 3 else f"{len(types)}-types",
            "split": args.split or "train",
            "size": args.count,
            "seed": args.seed or 0,
            "difficulty": difficulty,
            "language": args.language or "en",
            "system_prompt": args.system_prompt,
            "tasks": [{"task_type": t} for t in types],
        }
        return mix_from_dict(data, source="command line")
    except MixError as exc:
        raise DataGenError(str(exc)) from None


def with_split(mix, split: str, size: int):
    """The same mix drawing `size` items from another split's seed block."""
    from veritas.mixes import SPLIT_BLOCKS

    lo, hi = SPLIT_BLOCKS[split]
    if not 0 < size <= (hi - lo) // 4:
        raise DataGenError(f"{split} split: {size} rows is outside [1, {(hi - lo) // 4}]")
    return dataclasses.replace(mix, split=split, size=size)


def split_plan(mix, val_ratio: float) -> list[tuple[str, object]]:
    """[(file stem, mix)]: a train mix is divided into train and val by `val_ratio` (val drawn from
    the val seed block); a val or test mix is written whole under its own name."""
    if not 0.0 <= val_ratio < 1.0:
        raise DataGenError(f"--val-ratio must be in [0, 1), got {val_ratio}")
    if mix.split != "train":
        return [(mix.split, mix)]
    n_val = int(round(mix.size * val_ratio))
    if val_ratio > 0 and n_val == 0 and mix.size >= 2:
        n_val = 1
    n_train = mix.size - n_val
    if n_train <= 0:
        raise DataGenError(f"--val-ratio {val_ratio} leaves no training rows out of {mix.size}")
    plan = [("train", with_split(mix, "train", n_train))]
    if n_val:
        plan.append(("val", with_split(mix, "val", n_val)))
    return plan


def mix_spec(mix) -> dict:
    """Everything that decides a mix's tasks, as plain JSON (for job fingerprints)."""
    spec = dataclasses.asdict(mix)
    spec.pop("source", None)
    spec.pop("_cumulative", None)
    return spec
