"""`data_gen validate`: check files against their schema and re-score every answer in them.

    python -m data_gen validate train/parquet/train.parquet train/parquet/val.parquet
    python -m data_gen validate tasks.jsonl distill_out/attempts.jsonl --regenerate

The layout is recognised from the file: SFT, distilled SFT or RL parquet, a task JSONL
(`data_gen jsonl`) or a distillation attempt log. Every reference answer, ground truth and
assistant reply is scored with the task's own verifier and must score 1 (in an attempt log, the
recorded score must equal the verifier's). Rows of one file must not repeat a task, and files of
different splits must not share one. --regenerate also checks each embedded task against a freshly
generated one. Bad rows are listed by index (0-based row, or 1-based line for JSONL); the exit
status is 1 when any row is bad, 2 when a file cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from data_gen import DataGenError
from data_gen.checks import KIND_ATTEMPTS, KIND_DISTILL, KIND_RL, KIND_SFT, KIND_TASKS

JSONL_CHUNK = 2_000


def _expected_schema(kind: str):
    from data_gen.schemas import DISTILL_SCHEMA, RL_SCHEMA, SFT_SCHEMA

    return {KIND_SFT: SFT_SCHEMA, KIND_RL: RL_SCHEMA, KIND_DISTILL: DISTILL_SCHEMA}[kind]


def _same_layout(got, expected) -> bool:
    """Equal types, counting large_string as string and large_list as list: pandas and polars
    write the large variants, which read back as the same Python values."""
    return got.equals(expected) or str(got).replace("large_", "") == str(expected).replace("large_", "")


def parquet_kind(path: Path) -> tuple[str, list[str]]:
    """(kind, schema problems)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise DataGenError(f"{path}: not a readable parquet file ({exc})") from None
    names = set(schema.names)
    if "reward_model" in names:
        kind = KIND_RL
    elif "messages" in names:
        kind = KIND_DISTILL if "teacher_model" in names else KIND_SFT
    else:
        raise DataGenError(f"{path}: neither an SFT file (no 'messages' column) nor an RL file (no 'reward_model' column)")
    expected = _expected_schema(kind)
    problems = []
    for field in expected:
        if field.name not in names:
            problems.append(f"column {field.name!r} is missing")
        elif not _same_layout(schema.field(field.name).type, field.type):
            problems.append(f"column {field.name!r} has type {schema.field(field.name).type}, expected {field.type}")
    extra = sorted(names - set(expected.names))
    if extra:
        problems.append(f"unexpected column(s) {extra}")
    return kind, problems


def jsonl_kind(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    break
            else:
                raise DataGenError(f"{path}: the file is empty")
    except (OSError, ValueError) as exc:
        raise DataGenError(f"{path}: cannot read the first line as JSON ({exc})") from None
    if isinstance(record, dict) and "reply" in record and "attempt" in record:
        return KIND_ATTEMPTS
    return KIND_TASKS


def _parquet_jobs(kind: str, path: Path, regenerate: bool):
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    first = 0
    jobs = []
    for rg in range(meta.num_row_groups):
        jobs.append((kind, str(path), rg, first, regenerate))
        first += meta.row_group(rg).num_rows
    return jobs, first


def _jsonl_jobs(kind: str, path: Path, regenerate: bool, bad: list):
    """Chunks of raw lines; line numbers are 1-based. Notes a missing final newline in `bad`."""
    chunk: list[bytes] = []
    first = 1
    number = 0
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                bad.append((number, "the last line has no newline: the file was cut short"))
            chunk.append(line)
            if len(chunk) >= JSONL_CHUNK:
                yield (kind, first, chunk, regenerate)
                first, chunk = number + 1, []
    if chunk:
        yield (kind, first, chunk, regenerate)


def validate_file(path: Path, workers, regenerate: bool, quiet: bool = True) -> dict:
    from data_gen.checks import check_parquet_group, check_rows
    from data_gen.output import progress

    if not path.exists():
        raise DataGenError(f"{path}: no such file")
    bad: list[tuple[int, str]] = []
    keys: list = []
    if path.suffix == ".parquet":
        kind, schema_problems = parquet_kind(path)
        unit = "row"
        if schema_problems:
            return {"path": path, "kind": kind, "unit": unit, "rows": None, "bad": [], "schema": schema_problems, "keys": []}
        jobs, rows = _parquet_jobs(kind, path, regenerate)
        results = workers.map(check_parquet_group, jobs)
    elif path.suffix == ".jsonl":
        kind, unit = jsonl_kind(path), "line"
        results = workers.map(check_rows, _jsonl_jobs(kind, path, regenerate, bad))
        rows = None
    else:
        raise DataGenError(f"{path}: expected a .parquet or .jsonl file")
    total = rows if rows is not None else _count_lines(path)
    with progress(total, 0, path.name, quiet, unit=unit) as bar:
        for chunk_bad, chunk_keys, checked in results:
            bad.extend(chunk_bad)
            keys.extend(chunk_keys)
            bar.update(checked)
    if rows is None:
        rows = total
    if kind in (KIND_SFT, KIND_RL, KIND_TASKS):
        first_seen: dict = {}
        for index, (env, task_id, _split) in keys:
            j = first_seen.setdefault((env, task_id), index)
            if j != index:
                bad.append((index, f"the same task ({env} id {task_id}) as {unit} {j}"))
    bad.sort()
    return {"path": path, "kind": kind, "unit": unit, "rows": rows, "bad": bad, "schema": [], "keys": keys}


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


def _cross_file_overlaps(reports: list[dict]) -> list[str]:
    """Task ids shared by files of different splits (train vs val vs test)."""
    seen: dict = defaultdict(set)
    for rep in reports:
        if rep["kind"] not in (KIND_SFT, KIND_RL, KIND_DISTILL):
            continue
        for _index, (env, task_id, split) in rep["keys"]:
            seen[(env, task_id)].add((split, str(rep["path"])))
    out = []
    for (env, task_id), where in sorted(seen.items()):
        if len({s for s, _ in where}) > 1:
            out.append(f"task {env}:{task_id} is in more than one split: " + ", ".join(f"{p} ({s})" for s, p in sorted(where)))
    return out


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise DataGenError(f"--workers must be >= 1, got {args.workers}")
    from data_gen.pool import Workers

    with Workers(args.workers) as workers:
        reports = [validate_file(Path(p), workers, args.regenerate, args.quiet) for p in args.files]
    status = 0
    for rep in reports:
        if rep["schema"]:
            status = 1
            print(f"{rep['path']}: {rep['kind']} layout, schema does not match:")
            for problem in rep["schema"]:
                print(f"  {problem}")
            continue
        n_bad = len({i for i, _ in rep["bad"]})
        verdict = "OK" if not n_bad else f"{n_bad} bad"
        print(f"{rep['path']}: {rep['kind']}, {rep['rows']} {rep['unit']}s: {verdict}")
        for index, problem in rep["bad"][: args.max_report]:
            print(f"  {rep['unit']} {index}: {problem}")
        if len(rep["bad"]) > args.max_report:
            print(f"  ... and {len(rep['bad']) - args.max_report} more")
        if n_bad:
            status = 1
    overlaps = _cross_file_overlaps(reports)
    for line in overlaps[: args.max_report]:
        print(line)
    if overlaps:
        print(f"{len(overlaps)} task(s) shared between splits")
        status = 1
    return status


def add_parser(sub) -> None:
    from data_gen.pool import default_workers

    p = sub.add_parser("validate", help="check JSONL/parquet files: schema, and every answer re-scored",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help=".parquet or .jsonl files written by data_gen")
    p.add_argument("--regenerate", action="store_true", help="also compare each embedded task with a freshly generated one")
    p.add_argument("--workers", type=int, default=default_workers(), help="worker processes (default %(default)s)")
    p.add_argument("--max-report", type=int, default=20, help="most bad rows listed per file (default %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
