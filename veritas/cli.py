"""The `veritas` command: list, sample, verify, bench, eval, audit, calibrate.

Each subcommand lives in its own module and is imported only when used, so `veritas list` stays
fast and never imports torch or verl.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from veritas import __version__
from veritas.usage import UsageError

# Larger subcommands live in their own modules; each exposes add_parser(subparsers).
_SUBCOMMAND_MODULES = ["veritas.bench", "veritas.eval.cli", "veritas.audit.cli", "veritas.calibrate"]
# Subcommands with their own argument parsing (and sub-subcommands): argv goes to module.main().
_RAW_SUBCOMMANDS = {"eval": "veritas.eval.cli", "calibrate": "veritas.calibrate"}


def _cmd_list(args: argparse.Namespace) -> int:
    from veritas.envs import get_family, list_envs, list_task_types

    if args.env is not None and args.env not in list_envs():
        raise UsageError(f"--env: unknown env {args.env!r}; known: {', '.join(list_envs())}")
    for name in list_task_types(args.env, include_excluded=args.all):
        fam = get_family(name)
        first, last = fam.id_offset, fam.id_offset + fam.num_seeds - 1
        langs = ",".join(fam.languages)
        note = f"  EXCLUDED: {fam.excluded}" if fam.excluded else ""
        print(f"{fam.env:13s} {name:34s} ids {first}..{last}  languages {langs}{note}")
    return 0


def _task_from_args(args: argparse.Namespace):
    from veritas.envs import Task, generate

    if getattr(args, "task_json", None):
        path = args.task_json
        try:
            with open(path, encoding="utf-8") as fh:
                return Task.from_json(fh.read())
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"cannot read task from {path}: {exc}") from None
    if not args.task_type:
        raise UsageError("give TASK_TYPE --seed N" + (", or --task-json FILE" if args.command == "verify" else ""))
    from veritas.envs import warn_if_excluded

    warn_if_excluded([args.task_type])
    if args.seed is None:
        raise UsageError("--seed is required with TASK_TYPE")
    try:
        return generate(args.task_type, args.seed, args.difficulty, args.language)
    except (ValueError, TypeError, RuntimeError) as exc:  # RuntimeError: reasoning-gym is not installed
        raise UsageError(str(exc)) from None


def _cmd_sample(args: argparse.Namespace) -> int:
    task = _task_from_args(args)
    if args.json:
        print(task.to_json())
        return 0
    print(f"# {task.task_type}  seed={task.seed}  difficulty={task.difficulty}  task_id={task.task_id}  env={task.env}")
    print("## prompt")
    print(task.prompt)
    print("## answer")
    print(task.answer)
    if args.solution:
        from veritas.envs import worked_solution

        print("## worked solution")
        try:
            print(worked_solution(task))
        except NotImplementedError as exc:
            print(f"({exc}: reasoning-gym gives only final answers)" if task.task_type.startswith("rg.") else f"({exc})")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from veritas.envs import verify

    task = _task_from_args(args)
    reply = sys.stdin.read()
    verdict = verify(task, reply)
    print(json.dumps({"score": verdict.score, "reason": verdict.reason, "format_ok": verdict.format_ok}))
    return 0 if verdict.score >= 1.0 else 1


def _add_task_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("task_type", nargs="?", help="task type (see `veritas list`)")
    p.add_argument("--seed", type=int, help="task seed")
    p.add_argument("--difficulty", type=int, default=None, help="difficulty level 1-5 (default: drawn from the seed)")
    p.add_argument("--language", default="en", help="prompt language: en, or zh where the family has it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veritas", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"veritas {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the registered task types")
    p.add_argument("--env", default=None, help="only this env (lgc-v2, trace, reasoning-gym)")
    p.add_argument("--all", action="store_true",
                   help="also list the types that failed their audit (excluded from `all`), with the reason")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("sample", help="print one task")
    _add_task_args(p)
    p.add_argument("--json", action="store_true", help="print the task as one JSON line")
    p.add_argument("--solution", action="store_true", help="also print the worked solution")
    p.set_defaults(func=_cmd_sample, task_json=None)

    p = sub.add_parser("verify", help="score a reply read from stdin; exit 0 iff it scores 1, 1 if not, 2 on bad input")
    _add_task_args(p)
    p.add_argument("--task-json", help="read the task from this JSON file instead of generating it")
    p.set_defaults(func=_cmd_verify)

    for module_name in _SUBCOMMAND_MODULES:
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _RAW_SUBCOMMANDS:
        return int(importlib.import_module(_RAW_SUBCOMMANDS[argv[0]]).main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"veritas {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nveritas {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
