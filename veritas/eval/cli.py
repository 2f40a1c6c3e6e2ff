"""`veritas eval`: score a model behind an OpenAI-compatible endpoint on held-out tasks.

    veritas eval --base-url http://localhost:8000/v1 --model my-model --task-types sudoku,operation --n 100
    veritas eval --base-url ... --model ... --mix train/mixes/lgc-v2-val.yaml --n 50 --samples 4 --temperature 0.6
    veritas eval compare base/results.json sft/results.json rl/results.json --png compare.png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from veritas.usage import positive_int

USAGE_RUN = __doc__.strip().splitlines()[0]


def run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="veritas eval", description=USAGE_RUN,
                                epilog="Compare runs: veritas eval compare A.json B.json ... [--png FILE]")
    p.add_argument("--base-url", required=True, help="OpenAI-style base URL, e.g. http://localhost:8000/v1")
    p.add_argument("--model", required=True, help="model name the server knows")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--mix", help="a mix YAML: its task types, difficulties and language (weights are ignored)")
    which.add_argument("--task-types", help="comma-separated task types (see `veritas list`), or all")
    p.add_argument("--n", type=positive_int, default=100, help="held-out tasks per task type (default 100)")
    p.add_argument("--seed", type=int, default=0, help="which held-out tasks (default 0)")
    p.add_argument("--distinct", action="store_true",
                   help="n different problems per type: skip a task whose content (wording aside) an earlier one has")
    p.add_argument("--samples", type=positive_int, default=1, help="replies per task: pass@1 and pass@k (default 1)")
    p.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0.0)")
    p.add_argument("--max-tokens", type=positive_int, default=2048,
                   help="most tokens per reply; must fit the server's context after the prompt (default 2048)")
    p.add_argument("--concurrency", type=positive_int, default=16, help="requests in flight (default 16)")
    p.add_argument("--difficulty", type=int, default=None, help="with --task-types: level 1-5 (default: drawn per task)")
    p.add_argument("--language", default=None, help="prompt language (default: the mix's, else en)")
    p.add_argument("--system-prompt", default=None, help="system message (default: the mix's, else none)")
    p.add_argument("--extra-body", default="{}", help='JSON merged into each request, e.g. \'{"top_p": 0.95}\'')
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per request before a retry (default 300)")
    p.add_argument("--max-retries", type=int, default=5, help="retries on 429/5xx/timeouts (default 5)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY",
                   help="environment variable holding the API key; .env is read too (default OPENAI_API_KEY)")
    p.add_argument("--out", default=None, help="output folder (default eval_runs/<model>-<selection>-s<seed>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a previous run in --out (default: resume it; other settings are refused)")
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def compare_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="veritas eval compare",
                                description="Per-task accuracy of several eval runs side by side, with deltas from the first.")
    p.add_argument("results", nargs="+", help="results.json files (or the folders holding them)")
    p.add_argument("--labels", help="comma-separated column labels (default: the model names)")
    p.add_argument("--png", help="also write a grouped bar chart here")
    return p


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "run"


def _config_from_args(args: argparse.Namespace):
    from veritas.envs import list_task_types, warn_if_excluded
    from veritas.eval.runner import EvalConfig, EvalSetupError, held_out_tasks, tasks_from_mix
    from veritas.llm_client import check_base_url
    from veritas.mixes import MixError, load_mix

    problem = check_base_url(args.base_url)
    if problem:
        raise EvalSetupError(f"--base-url {problem}")
    try:
        extra = json.loads(args.extra_body)
    except ValueError as exc:
        raise EvalSetupError(f"--extra-body is not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise EvalSetupError("--extra-body must be a JSON object")
    if args.mix:
        if args.difficulty is not None:
            raise EvalSetupError("--difficulty goes with --task-types; a mix states its own difficulties")
        try:
            mix = load_mix(args.mix)
        except MixError as exc:
            raise EvalSetupError(str(exc)) from None
        language = args.language or mix.language
        if language != mix.language:
            mix = load_mix(args.mix, {"language": language})
        try:
            tasks = tasks_from_mix(mix, args.n, args.seed, args.distinct)
        except ValueError as exc:
            raise EvalSetupError(f"--mix {args.mix}: {exc}") from None
        task_types = mix.task_types
        system_prompt = args.system_prompt if args.system_prompt is not None else mix.system_prompt
        selection = mix.name
    else:
        task_types = [t.strip() for t in args.task_types.split(",") if t.strip()]
        if task_types == ["all"]:
            task_types = list_task_types()
        unknown = [t for t in task_types if t not in list_task_types(include_excluded=True)]
        if unknown or not task_types:
            raise EvalSetupError(f"--task-types: unknown {unknown or '(none given)'}; known: {', '.join(list_task_types())}")
        warn_if_excluded(task_types)
        language = args.language or "en"
        try:
            tasks = held_out_tasks(task_types, args.n, args.seed, args.difficulty, language, args.distinct)
        except (ValueError, TypeError) as exc:  # mix errors name the in-memory mix: say which flag instead
            message = str(exc).replace("<memory>: ", "")
            raise EvalSetupError(f"--task-types/--difficulty/--language: {message}") from None
        system_prompt = args.system_prompt
        selection = "-".join(task_types) if len(task_types) <= 3 else f"{len(task_types)}types"
    config = EvalConfig(
        base_url=args.base_url, model=args.model, task_types=task_types, n=args.n, seed=args.seed,
        samples=args.samples, temperature=args.temperature, max_tokens=args.max_tokens,
        concurrency=args.concurrency, difficulty=args.difficulty, language=language,
        system_prompt=system_prompt, mix_path=args.mix, extra_body=extra, timeout_s=args.timeout,
        max_retries=args.max_retries, api_key_env=args.api_key_env, distinct=args.distinct,
    )
    out = args.out or os.path.join("eval_runs", f"{_slug(args.model)}-{_slug(selection)}-s{args.seed}")
    return config, tasks, out


def cmd_run(argv: list[str]) -> int:
    from veritas.eval.report import accuracy_chart, format_results_table
    from veritas.eval.runner import CHART, EndpointError, EvalSetupError, run_eval
    from veritas.llm_client import load_dotenv

    args = run_parser().parse_args(argv)
    load_dotenv()
    out = None
    try:
        config, tasks, out = _config_from_args(args)
        results = run_eval(config, tasks, out, show_progress=not args.quiet, overwrite=args.overwrite)
    except EvalSetupError as exc:
        print(f"veritas eval: {exc}", file=sys.stderr)
        return 2
    except EndpointError as exc:
        print(f"veritas eval: {exc}. Completed replies are kept in {out}; re-run the same command to resume.",
              file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        kept = f"completed replies are kept in {out}; re-run the same command to resume" if out else "nothing written"
        print(f"\nveritas eval: interrupted; {kept}.", file=sys.stderr)
        return 130
    print(format_results_table(results))
    if not args.no_chart:
        accuracy_chart(results, os.path.join(out, CHART))
    print("\naccuracy % per level (tasks):\n" + _level_table(out, config, tasks, not args.no_chart))
    print(f"\nrecords, results and chart: {out}/")
    errors = results["request_errors"]
    if errors["count"] * 2 > errors["of"]:  # most replies are missing: the numbers above mean nothing
        print(f"veritas eval: {errors['count']} of {errors['of']} requests failed, e.g. {errors['most_common']}; "
              "the accuracy above counts them as wrong. Fix the cause and re-run the same command "
              "(failed requests are asked again).", file=sys.stderr)
        return 4
    return 0


def _level_table(out: str, config, tasks, chart: bool) -> str:
    from veritas.eval.levels import report_levels
    from veritas.eval.runner import RECORDS, read_records, record_key

    wanted = {record_key(t.task_type, t.seed, s) for t in tasks for s in range(config.samples)}
    records = [r for r in read_records(os.path.join(out, RECORDS)) if r.get("key") in wanted]
    return report_levels(records, config.samples, out, config.model, chart)


def cmd_compare(argv: list[str]) -> int:
    from veritas.eval.report import compare_chart, compare_table, load_results
    from veritas.eval.runner import RESULTS, EvalSetupError

    args = compare_parser().parse_args(argv)
    try:
        runs = []
        for path in args.results:
            if os.path.isdir(path):
                path = os.path.join(path, RESULTS)
            runs.append(load_results(path))
    except EvalSetupError as exc:
        print(f"veritas eval compare: {exc}", file=sys.stderr)
        return 2
    labels = args.labels.split(",") if args.labels else [r["config"]["model"] for r in runs]
    if len(labels) != len(runs):
        print(f"veritas eval compare: --labels has {len(labels)} names for {len(runs)} runs", file=sys.stderr)
        return 2
    if len(set(labels)) != len(labels):
        labels = [f"{label}#{i + 1}" for i, label in enumerate(labels)]
    if args.png and os.path.isdir(args.png):
        print(f"veritas eval compare: --png {args.png} is a folder; give a file path such as compare.png",
              file=sys.stderr)
        return 2
    pairs = list(zip(labels, runs))
    print(compare_table(pairs))
    if args.png:
        compare_chart(pairs, args.png)
        print(f"\nchart: {args.png}")
    return 0


def main(argv: list[str]) -> int:
    """`veritas eval ARGS` and `veritas eval compare ARGS` (veritas.cli hands argv over unparsed)."""
    if argv and argv[0] == "compare":
        return cmd_compare(argv[1:])
    return cmd_run(argv)


def add_parser(sub) -> None:
    """Listed in `veritas --help`; veritas.cli routes `veritas eval ...` to main() directly."""
    sub.add_parser("eval", help="score a model behind an OpenAI-compatible endpoint (see `veritas eval --help`)")
