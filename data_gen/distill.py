"""`data_gen distill`: teacher replies from an OpenAI-compatible endpoint, kept only when our
verifier scores them 1 (rejection sampling).

    export OPENAI_API_KEY=...            # or put it in .env; never on the command line
    python -m data_gen distill --base-url https://api.example.com/v1 --model teacher-model \\
        --task-types dyck_language,game_of_24 --count 2000 --attempts 4 --out-dir data/distill

Each task is asked --attempts times (each request carries its own `seed`, derived from --seed, the
task id and the attempt number). Every attempt is appended to OUT/attempts.jsonl with its verdict as
it arrives; rate limits (429), server errors (5xx) and timeouts are retried with exponential backoff
(honouring Retry-After) by veritas.llm_client. An attempt that still fails (retries used up, or an
HTTP 400 about that request) is logged as an error: the same command asks it again, --skip-errors
finishes without it. Run the same command after an interruption and only the missing attempts are
asked. When every attempt is answered, OUT/distilled.parquet holds the accepted replies in the SFT
layout (plus teacher_model, attempt, score, verdict_reason) and OUT/summary.json the acceptance rate
(accepted / answered) per task type. A separate reasoning field (`reasoning_content`) is kept as a
leading <think> block unless --drop-reasoning. The API key is read from the environment or .env and
only ever sent in the Authorization header.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path

from data_gen import DataGenError
from data_gen.common import say
from data_gen.selection import add_selection_args, base_mix, mix_spec

FORMAT_VERSION = 1
ATTEMPTS = "attempts.jsonl"
RUN = "run.json"
OUTPUT = "distilled.parquet"
SUMMARY = "summary.json"


# ---------------------------------------------------------------- tasks


def _load_tasks(args) -> tuple[list, str, str | None, dict]:
    """([Task], split, system prompt, spec of where the tasks came from)."""
    from hashlib import sha256

    from veritas.envs import Task

    if not args.tasks:
        mix = base_mix(args)
        return [mix.generate(i) for i in range(mix.size)], mix.split, mix.system_prompt, {"mix": mix_spec(mix)}
    if args.mix or args.task_types:
        raise DataGenError("give --tasks FILE, or --mix / --task-types, not both")
    path = Path(args.tasks)
    tasks = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    tasks.append(Task.from_json(line))
                except (ValueError, TypeError) as exc:
                    raise DataGenError(f"{path}: line {number} is not a task record ({exc})") from None
    except OSError as exc:
        raise DataGenError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        kind = " (a parquet file? --tasks takes the JSONL of `data_gen jsonl`)" if path.suffix == ".parquet" else ""
        raise DataGenError(f"{path}: not UTF-8 text{kind}; --tasks takes one task JSON per line") from None
    if args.count is not None:
        tasks = tasks[: args.count]
    if not tasks:
        raise DataGenError(f"{path}: no tasks in the file")
    digest = sha256("\n".join(t.to_json() for t in tasks).encode("utf-8")).hexdigest()
    return tasks, args.split or "train", args.system_prompt or None, {"tasks_sha256": digest, "count": len(tasks)}


def request_seed(base_seed: int, task, attempt: int) -> int:
    """The `seed` sent with one attempt: reproducible sampling where the server supports it."""
    from veritas.envs.rng import derive_seed

    return derive_seed("distill", base_seed, task.env, task.task_id, attempt) % (2 ** 31)


# ---------------------------------------------------------------- the attempt log


def read_attempts(path: Path, tasks: list) -> dict:
    """{(index, attempt): record} from the log (the last line for a key wins: a retried error is
    superseded), after dropping a torn last line."""
    from data_gen.output import scan_lines

    done: dict = {}
    if not path.exists():
        return done
    _, end = scan_lines(path)
    with open(path, "r+b") as fh:
        fh.truncate(end)
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                rec = json.loads(line)
                index, attempt, task_id = rec["index"], rec["attempt"], rec["task_id"]
            except (ValueError, KeyError, TypeError):
                raise DataGenError(f"{path}: line {number} is not an attempt record; pass --overwrite to start again") from None
            if not 0 <= index < len(tasks) or task_id != tasks[index].task_id:
                raise DataGenError(f"{path}: line {number} names task {task_id} at index {index}, which this "
                                   "command does not select; pass --overwrite to start again")
            done[(index, attempt)] = rec
    return done


def combine_reasoning(content: str, reasoning: str | None) -> str:
    """One assistant reply: a separate reasoning field (DeepSeek-R1, vLLM's reasoning parser)
    becomes a leading <think> block, which every verifier skips."""
    if reasoning and reasoning.strip():
        return f"<think>\n{reasoning.strip()}\n</think>\n\n{content.lstrip()}"
    return content


async def _ask_all(client, todo: list, tasks: list, messages: list, base_seed: int, args, params: dict,
                   record_done) -> None:
    """`args.concurrency` requests in flight; each answered attempt is verified (in a thread, off
    the event loop) and handed to record_done. An EndpointError stops everything."""
    import asyncio

    from veritas.envs import verify
    from veritas.llm_client import RequestFailed

    queue = iter(todo)

    async def worker() -> None:
        for index, attempt in queue:  # a shared iterator: each job is taken once
            task = tasks[index]
            seed = request_seed(base_seed, task, attempt)
            record = {"index": index, "attempt": attempt, "task_id": task.task_id, "task_type": task.task_type,
                      "request_seed": seed, "task": task.to_json()}
            try:
                reply = await client.complete(messages[index], params["temperature"], params["max_tokens"],
                                              seed=seed, **params["extra_body"])
            except RequestFailed as exc:
                record_done({**record, "status": "error", "error": str(exc), "reply": None, "score": None})
                continue
            text = combine_reasoning(reply.content, None if args.drop_reasoning else reply.reasoning)
            verdict = await asyncio.to_thread(verify, task, text)
            record_done({**record, "status": "ok", "reply": text, "finish_reason": reply.finish_reason,
                         "completion_tokens": reply.completion_tokens, "score": verdict.score,
                         "reason": verdict.reason, "format_ok": verdict.format_ok})

    workers = [asyncio.ensure_future(worker()) for _ in range(min(args.concurrency, len(todo)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await client.aclose()


# ---------------------------------------------------------------- results


def summarize(tasks: list, records: dict, attempts: int) -> dict:
    per: dict = defaultdict(lambda: {"tasks": 0, "attempts": 0, "replies": 0, "accepted": 0, "errors": 0,
                                     "tasks_solved": 0})
    solved: set = set()
    for t in tasks:
        per[t.task_type]["tasks"] += 1
    for (index, _attempt), rec in records.items():
        row = per[rec["task_type"]]
        row["attempts"] += 1
        if rec["status"] == "error":
            row["errors"] += 1
            continue
        row["replies"] += 1
        if rec["score"] == 1.0:
            row["accepted"] += 1
            if index not in solved:
                solved.add(index)
                row["tasks_solved"] += 1
    for row in per.values():
        row["acceptance_rate"] = row["accepted"] / row["replies"] if row["replies"] else None
    total = {k: sum(r[k] for r in per.values()) for k in ("tasks", "attempts", "replies", "accepted", "errors", "tasks_solved")}
    total["acceptance_rate"] = total["accepted"] / total["replies"] if total["replies"] else None
    return {"attempts_per_task": attempts, "per_task_type": dict(sorted(per.items())), "total": total}


def print_summary(summary: dict) -> None:
    header = f"{'task type':32s} {'tasks':>7s} {'replies':>8s} {'accepted':>9s} {'rate':>7s} {'solved':>7s} {'errors':>7s}"
    print(header)
    print("-" * len(header))
    rows = list(summary["per_task_type"].items()) + [("all", summary["total"])]
    for name, r in rows:
        rate = "-" if r["acceptance_rate"] is None else f"{100 * r['acceptance_rate']:.1f}%"
        print(f"{name:32s} {r['tasks']:>7d} {r['replies']:>8d} {r['accepted']:>9d} {rate:>7s} {r['tasks_solved']:>7d} {r['errors']:>7d}")


def write_kept(path: Path, tasks: list, records: dict, split: str, system_prompt: str | None, model: str,
               keep: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from data_gen.output import PARQUET_OPTIONS, tmp_path
    from data_gen.schemas import DISTILL_SCHEMA, batch_from_rows
    from veritas.rows import sft_row

    rows = []
    taken: set = set()
    for (index, attempt) in sorted(records):
        rec = records[(index, attempt)]
        if rec["status"] != "ok" or rec["score"] != 1.0 or (keep == "first" and index in taken):
            continue
        taken.add(index)
        row = sft_row(tasks[index], index, split, system_prompt, reply=rec["reply"])
        row.update(teacher_model=model, attempt=attempt, score=rec["score"], verdict_reason=rec["reason"])
        rows.append(row)
    table = pa.Table.from_batches([batch_from_rows(rows, DISTILL_SCHEMA)], schema=DISTILL_SCHEMA)
    tmp = tmp_path(path)
    pq.write_table(table, tmp, row_group_size=5_000, **PARQUET_OPTIONS)
    os.replace(tmp, path)
    return len(rows)


# ---------------------------------------------------------------- the command


def _extra_body(text: str) -> dict:
    try:
        extra = json.loads(text)
    except ValueError as exc:
        raise DataGenError(f"--extra-body is not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise DataGenError("--extra-body must be a JSON object")
    reserved = sorted(set(extra) & {"model", "messages", "seed", "temperature", "max_tokens"})
    if reserved:
        raise DataGenError(f"--extra-body must not set {reserved}; use the matching flags")
    return extra


def _api_key(args) -> str | None:
    from veritas.llm_client import load_dotenv

    if args.no_api_key:
        return None
    if args.env_file:
        load_dotenv(args.env_file)  # sets only variables the environment does not already have
    key = os.environ.get(args.api_key_env)
    if not key:
        where = f" or in {args.env_file}" if args.env_file else ""
        raise DataGenError(f"no API key: set {args.api_key_env} in the environment{where}, choose another "
                           "variable with --api-key-env, or pass --no-api-key for a server that needs none")
    return key


def _prepare_out_dir(out: Path, spec: dict, overwrite: bool) -> None:
    from data_gen.output import atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    if overwrite:
        for name in (ATTEMPTS, RUN, OUTPUT, SUMMARY):
            if (out / name).exists():
                (out / name).unlink()
    run_file = out / RUN
    if run_file.exists():
        try:
            old = json.loads(run_file.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old != spec:
            diff = sorted(k for k in set(old or {}) | set(spec) if (old or {}).get(k) != spec.get(k))
            raise DataGenError(f"{out} holds a run with other settings ({', '.join(diff)} differ, see {run_file}); "
                               "use another --out-dir or pass --overwrite")
        return
    for name in (ATTEMPTS, OUTPUT, SUMMARY):
        if (out / name).exists():
            raise DataGenError(f"{out / name} exists without {RUN}; use another --out-dir or pass --overwrite")
    atomic_write_text(run_file, json.dumps(spec, indent=1, sort_keys=True) + "\n")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from data_gen.output import atomic_write_text, progress
    from veritas.llm_client import ChatClient, EndpointError
    from veritas.rows import chat_prompt

    for flag, value in (("--attempts", args.attempts), ("--concurrency", args.concurrency),
                        ("--max-tokens", args.max_tokens)):
        if value < 1:
            raise DataGenError(f"{flag} must be >= 1, got {value}")
    if not args.base_url:
        raise DataGenError("--base-url is required (or set OPENAI_BASE_URL), e.g. http://localhost:8000/v1")
    if not args.base_url.startswith(("http://", "https://")):
        raise DataGenError(f"--base-url must start with http:// or https://, got {args.base_url!r}")
    params = {"temperature": args.temperature, "max_tokens": args.max_tokens, "extra_body": _extra_body(args.extra_body)}
    tasks, split, system_prompt, source = _load_tasks(args)
    api_key = _api_key(args)
    base_seed = args.seed or 0
    # What decides the replies; the base URL is left out so a run can resume against the same
    # model served from another address.
    spec = {"format": FORMAT_VERSION, "model": args.model, "attempts": args.attempts, "params": params,
            "seed": base_seed, "system_prompt": system_prompt, "split": split, "keep": args.keep,
            "reasoning": not args.drop_reasoning, "tasks": source}
    spec = json.loads(json.dumps(spec))  # as it reads back from run.json (tuples become lists)
    out = Path(args.out_dir)
    _prepare_out_dir(out, spec, args.overwrite)

    log = out / ATTEMPTS
    records = read_attempts(log, tasks)
    redo_errors = not args.skip_errors
    todo = [(i, a) for i in range(len(tasks)) for a in range(args.attempts)
            if (i, a) not in records or (redo_errors and records[(i, a)]["status"] == "error")]
    if todo:
        for name in (OUTPUT, SUMMARY):  # no longer complete
            if (out / name).exists():
                (out / name).unlink()
        client = ChatClient(args.base_url, args.model, api_key=api_key, timeout_s=args.timeout,
                            max_retries=args.max_retries, backoff_s=args.backoff_base,
                            backoff_max_s=args.backoff_max, seed=base_seed)
        messages = [chat_prompt(t, system_prompt) for t in tasks]
        total = len(tasks) * args.attempts
        with open(log, "a", encoding="utf-8") as fh, progress(total, total - len(todo), "attempts", args.quiet, "req") as bar:
            def record_done(rec: dict) -> None:
                fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
                fh.flush()  # a killed run keeps every answered attempt
                records[(rec["index"], rec["attempt"])] = rec
                bar.update(1)

            try:
                asyncio.run(_ask_all(client, todo, tasks, messages, base_seed, args, params, record_done))
            except EndpointError as exc:  # the endpoint cannot serve at all: one message, then stop
                raise DataGenError(str(exc)) from None

    summary = summarize(tasks, records, args.attempts)
    print_summary(summary)
    errors = summary["total"]["errors"]
    if errors and not args.skip_errors:
        say(f"{errors} attempt(s) failed (reasons in {log}); nothing final written. Run the same command again to "
            "ask them again, or add --skip-errors to finish without them.")
        return 1
    kept = write_kept(out / OUTPUT, tasks, records, split, system_prompt, args.model, args.keep)
    atomic_write_text(out / SUMMARY, json.dumps(summary, indent=1, sort_keys=True) + "\n")
    say(f"kept {kept} verified replies in {out / OUTPUT}; summary in {out / SUMMARY}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("distill", help="teacher replies from an OpenAI-compatible endpoint, kept when verified",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--out-dir", required=True, help="folder for attempts.jsonl, distilled.parquet, summary.json")
    add_selection_args(p, "seed block to draw from: train, val or test (default: the mix's, else train)")
    p.add_argument("--tasks", metavar="FILE", help="read tasks from a JSONL file (`data_gen jsonl`) instead")
    g = p.add_argument_group("teacher")
    g.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"),
                   help="endpoint base, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL)")
    g.add_argument("--model", required=True, help="model name sent with each request")
    g.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="NAME",
                   help="environment variable holding the API key (default %(default)s); never pass a key itself")
    g.add_argument("--env-file", default=".env", help="load unset variables from this file (default %(default)s)")
    g.add_argument("--no-api-key", action="store_true", help="send no Authorization header")
    g.add_argument("--attempts", type=int, default=4, help="requests per task (default %(default)s)")
    g.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default %(default)s)")
    g.add_argument("--max-tokens", type=int, default=8192, help="max_tokens per reply (default %(default)s)")
    g.add_argument("--extra-body", default="{}", help='JSON merged into each request, e.g. \'{"top_p": 0.95}\'')
    g.add_argument("--drop-reasoning", action="store_true", help="ignore a separate reasoning_content field")
    g.add_argument("--keep", choices=("all", "first"), default="all",
                   help="keep every accepted reply of a task, or only its first accepted attempt (default %(default)s)")
    g = p.add_argument_group("requests")
    g.add_argument("--concurrency", type=int, default=8, help="requests in flight (default %(default)s)")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds per request (default %(default)s)")
    g.add_argument("--max-retries", type=int, default=6, help="retries on 429/5xx/timeouts (default %(default)s)")
    g.add_argument("--backoff-base", type=float, default=1.0, help="first retry delay in seconds, doubled each time (default %(default)s)")
    g.add_argument("--backoff-max", type=float, default=60.0, help="longest retry delay in seconds (default %(default)s)")
    g.add_argument("--skip-errors", action="store_true",
                   help="finish with attempts that failed for good (e.g. HTTP 400) instead of asking them again")
    p.add_argument("--overwrite", action="store_true", help="discard a previous run in --out-dir")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
