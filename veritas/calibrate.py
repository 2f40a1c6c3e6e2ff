"""`veritas calibrate`: measure a model's pass@1 per (task type, level) on held-out tasks and write
a starting mix for it.

    veritas calibrate --base-url http://localhost:8000/v1 --model my-model [--task-types a,b] [--n 20]
                      [--target 0.3,0.7] [--window 512] [--fixed] [--out DIR]

Writes into --out (default calibrate_runs/<model>-s<seed>):
    <model>-calibrated-train.yaml   a train mix: every type at its start level (adaptive), or with
                                    --fixed at the fixed level closest to the band's middle
    calibration.md                  the pass@1 table and the chosen levels
    calibration.png                 the heat map (cells outside the target band starred)
    records.jsonl, results.json, levels.json   the eval run (resumable: re-run the same command)

Start level of a type: the highest level whose pass@1 is at least the band's low end (the model
still learns there), or 1 when none is. With --fixed: the in-band level nearest the band's middle,
else the same rule.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from veritas.usage import positive_int

USAGE = __doc__.strip().splitlines()[0]


def _band(text: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0.3,0.7, got {text!r}") from None
    if not 0 < low < high < 1:
        raise argparse.ArgumentTypeError(f"need 0 < LOW < HIGH < 1, got {text!r}")
    return low, high


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="veritas calibrate", description=USAGE)
    p.add_argument("--base-url", required=True, help="OpenAI-style base URL, e.g. http://localhost:8000/v1")
    p.add_argument("--model", required=True, help="model name the server knows")
    p.add_argument("--task-types", default=None, help="comma-separated task types (default: those of lgc-v2)")
    p.add_argument("--n", type=positive_int, default=20, help="held-out tasks per (type, level) (default 20)")
    p.add_argument("--target", type=_band, default=(0.3, 0.7), help="pass-rate band LOW,HIGH (default 0.3,0.7)")
    p.add_argument("--window", type=positive_int, default=512, help="adaptive window in replies (default 512)")
    p.add_argument("--fixed", action="store_true", help="write fixed levels instead of adaptive start levels")
    p.add_argument("--seed", type=int, default=0, help="which held-out tasks (default 0)")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--max-tokens", type=positive_int, default=2048)
    p.add_argument("--concurrency", type=positive_int, default=16)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per request before a retry")
    p.add_argument("--max-retries", type=int, default=5)
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    p.add_argument("--out", default=None, help="output folder (default calibrate_runs/<model>-s<seed>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def calibration_tasks(task_types: list[str], n: int, seed: int, levels=None, language: str = "en"):
    """n held-out (test split) tasks per (type, level), all with distinct seeds: one test mix per
    type, items [k*n, (k+1)*n) at level k+1."""
    from veritas.envs import DIFFICULTY_LEVELS, generate
    from veritas.envs.rng import derive_seed
    from veritas.mixes import mix_from_dict

    levels = list(levels or DIFFICULTY_LEVELS)
    tasks = []
    for task_type in task_types:
        mix = mix_from_dict({"name": f"calibrate-{task_type}", "split": "test", "size": n * len(levels),
                             "seed": derive_seed("calibrate", seed, task_type) % (1 << 62), "tasks": [task_type]})
        for i in range(n * len(levels)):
            tasks.append(generate(task_type, mix.item(i).seed, levels[i // n], language))
    return tasks


def choose_level(accuracy: dict[int, float], band: tuple[float, float], fixed: bool) -> int:
    """accuracy: level -> pass@1 (levels measured). See the module docstring for the rule."""
    low, high = band
    if fixed:
        inside = [lvl for lvl, a in accuracy.items() if low <= a <= high]
        if inside:
            middle = (low + high) / 2
            return min(inside, key=lambda lvl: (abs(accuracy[lvl] - middle), lvl))
    learnable = [lvl for lvl, a in accuracy.items() if a >= low]
    return max(learnable) if learnable else 1


def starting_mix(name: str, levels: dict[str, int], band: tuple[float, float], window: int, fixed: bool) -> dict:
    tasks = []
    for task_type, level in levels.items():
        difficulty = level if fixed else {"adaptive": {"target": list(band), "start": level, "window": window}}
        tasks.append({"task_type": task_type, "weight": 1, "difficulty": difficulty})
    return {"name": name, "description": "written by veritas calibrate", "split": "train", "size": 1_000_000,
            "seed": 0, "language": "en", "system_prompt": None, "tasks": tasks}


def _markdown(per_level: dict, chosen: dict[str, int], band: tuple[float, float], fixed: bool, model: str) -> str:
    from veritas.envs import DIFFICULTY_LEVELS

    lines = [f"# Calibration of {model}", "",
             f"pass@1 % per level (tasks); target band {band[0]:.2f}-{band[1]:.2f}; "
             f"{'fixed level' if fixed else 'adaptive start level'} in the last column.", "",
             "| task type | " + " | ".join(f"L{lvl}" for lvl in DIFFICULTY_LEVELS) + " | chosen |",
             "|---|" + "---|" * (len(DIFFICULTY_LEVELS) + 1)]
    for task_type, levels in per_level.items():
        cells = [f"{100 * levels[str(lvl)]['accuracy']:.0f} ({levels[str(lvl)]['tasks']})" if str(lvl) in levels else "-"
                 for lvl in DIFFICULTY_LEVELS]
        lines.append(f"| {task_type} | " + " | ".join(cells) + f" | {chosen[task_type]} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    import yaml

    from veritas.envs import list_task_types
    from veritas.eval.levels import level_heatmap, summarize_levels
    from veritas.eval.runner import (RECORDS, EndpointError, EvalConfig, EvalSetupError, atomic_write_text,
                                     read_records, record_key, run_eval)
    from veritas.mixes import load_mix, mix_from_dict

    if args.task_types:
        task_types = [t.strip() for t in args.task_types.split(",") if t.strip()]
    else:
        task_types = load_mix(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                           "train", "mixes", "lgc-v2-adaptive-train.yaml")).task_types
    unknown = [t for t in task_types if t not in list_task_types()]
    if unknown or not task_types:
        print(f"veritas calibrate: --task-types: unknown {unknown or '(none given)'}; known: "
              f"{', '.join(list_task_types())}", file=sys.stderr)
        return 2
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", args.model).strip("_")[:60] or "model"
    out = args.out or os.path.join("calibrate_runs", f"{slug}-s{args.seed}")
    tasks = calibration_tasks(task_types, args.n, args.seed)
    config = EvalConfig(base_url=args.base_url, model=args.model, task_types=task_types, n=args.n, seed=args.seed,
                        temperature=args.temperature, max_tokens=args.max_tokens, concurrency=args.concurrency,
                        timeout_s=args.timeout, max_retries=args.max_retries, api_key_env=args.api_key_env,
                        extra_body={})
    try:
        run_eval(config, tasks, out, show_progress=not args.quiet)
    except EvalSetupError as exc:
        print(f"veritas calibrate: {exc}", file=sys.stderr)
        return 2
    except EndpointError as exc:
        print(f"veritas calibrate: {exc}. Completed replies are kept in {out}; re-run the same command to resume.",
              file=sys.stderr)
        return 3
    wanted = {record_key(t.task_type, t.seed, 0) for t in tasks}
    records = [r for r in read_records(os.path.join(out, RECORDS)) if r.get("key") in wanted]
    per_level = summarize_levels(records, 1)
    chosen = {t: choose_level({int(lvl): m["accuracy"] for lvl, m in per_level[t].items()}, args.target, args.fixed)
              for t in task_types}
    name = f"{slug}-calibrated-train"
    data = starting_mix(name, chosen, args.target, args.window, args.fixed)
    mix_from_dict(data, source=name)  # what we write must load
    mix_path = os.path.join(out, f"{name}.yaml")
    atomic_write_text(mix_path, f"# veritas calibrate --model {args.model}: start levels from pass@1 per level "
                                f"(calibration.md)\n" + yaml.safe_dump(data, sort_keys=False))
    table = _markdown(per_level, chosen, args.target, args.fixed, args.model)
    atomic_write_text(os.path.join(out, "calibration.md"), table)
    level_heatmap(per_level, os.path.join(out, "calibration.png"), f"{args.model}: pass@1 per level", args.target)
    print(table)
    print(f"starting mix: {mix_path}\ntable and heat map: {out}/calibration.md, {out}/calibration.png")
    return 0


def main(argv: list[str]) -> int:
    from veritas.llm_client import load_dotenv

    args = parser().parse_args(argv)
    load_dotenv()
    return run(args)


def add_parser(sub) -> None:
    """Listed in `veritas --help`; veritas.cli routes `veritas calibrate ...` to main() directly."""
    sub.add_parser("calibrate", help="pass@1 per (type, level) and a starting mix (see `veritas calibrate --help`)")
