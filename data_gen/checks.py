"""Row checks for `validate`: each returns a list of problems (empty = good). Top-level functions,
so worker processes can run them on chunks of rows.

Nothing here knows an answer format: every reply is scored by `veritas.envs.verify`.
"""

from __future__ import annotations

import json

from veritas.envs import Task, generate, verify
from veritas.rows import REWARD_STYLE

KIND_TASKS = "tasks"        # JSONL of Task.to_json() lines (data_gen jsonl)
KIND_ATTEMPTS = "attempts"  # JSONL attempt log (data_gen distill)
KIND_SFT = "sft"
KIND_RL = "rl"
KIND_DISTILL = "distill"    # SFT rows with teacher columns


def _task_problems(task: Task, regenerate: bool) -> list[str]:
    if not regenerate:
        return []
    try:
        fresh = generate(task.task_type, task.seed, task.difficulty, task.language)
    except (ValueError, TypeError) as exc:
        return [f"cannot regenerate the task: {exc}"]
    return [] if fresh == task else ["the embedded task differs from the one its (task_type, seed, difficulty) generates"]


def _scores_one(task: Task, reply, what: str) -> list[str]:
    if not isinstance(reply, str):
        return [f"{what} is {type(reply).__name__}, not a string"]
    verdict = verify(task, reply)
    return [] if verdict.score == 1.0 else [f"{what} scores {verdict.score} ({verdict.reason})"]


def _embedded_task(info) -> tuple[Task | None, list[str]]:
    if not isinstance(info, dict):
        return None, ["extra_info is missing or not a mapping"]
    try:
        return Task.from_json(info["task"]), []
    except KeyError:
        return None, ["extra_info has no 'task'"]
    except (TypeError, ValueError) as exc:
        return None, [f"extra_info.task is not a task record: {exc}"]


def _row_header(row: dict, task: Task, split_required: bool = True) -> list[str]:
    info = row["extra_info"]
    out = []
    if row.get("data_source") != task.task_type:
        out.append(f"data_source {row.get('data_source')!r} is not the task's type {task.task_type!r}")
    if row.get("ability") != task.env:
        out.append(f"ability {row.get('ability')!r} is not the task's env {task.env!r}")
    if info.get("task_type") != task.task_type:
        out.append(f"extra_info.task_type {info.get('task_type')!r} != {task.task_type!r}")
    if info.get("task_id") != task.task_id:
        out.append(f"extra_info.task_id {info.get('task_id')!r} != {task.task_id}")
    if not isinstance(info.get("index"), int) or info["index"] < 0:
        out.append(f"extra_info.index {info.get('index')!r} is not a non-negative int")
    if split_required and info.get("split") not in ("train", "val", "test"):
        out.append(f"extra_info.split {info.get('split')!r} is not train, val or test")
    return out


def _messages_problems(messages, roles_tail: list[str]) -> list[str]:
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return ["messages are not a list of {role, content}"]
    roles = [m.get("role") for m in messages]
    if roles != roles_tail and roles != ["system"] + roles_tail:
        return [f"roles are {roles}, expected {roles_tail} with an optional system message first"]
    for m in messages:
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            return [f"the {m.get('role')} message is empty"]
    return []


def check_sft_row(row: dict, regenerate: bool) -> tuple[list[str], tuple | None]:
    task, problems = _embedded_task(row.get("extra_info"))
    if task is None:
        return problems, None
    problems += _row_header(row, task)
    msgs = row.get("messages")
    problems += _messages_problems(msgs, ["user", "assistant"])
    if not problems:
        user, assistant = msgs[-2]["content"], msgs[-1]["content"]
        if user != task.prompt:
            problems.append("the user message is not the task's prompt")
        if row.get("prompt") != task.prompt:
            problems.append("the prompt column is not the task's prompt")
        if row.get("response") != assistant:
            problems.append("the response column is not the assistant message")
        problems += _scores_one(task, assistant, "the assistant reply")
    if "score" in row and row["score"] != 1.0:
        problems.append(f"recorded score is {row['score']}, kept rows must score 1.0")
    problems += _task_problems(task, regenerate)
    return problems, (task.env, task.task_id, row["extra_info"].get("split"))


def check_rl_row(row: dict, regenerate: bool) -> tuple[list[str], tuple | None]:
    task, problems = _embedded_task(row.get("extra_info"))
    if task is None:
        return problems, None
    problems += _row_header(row, task)
    msgs = row.get("prompt")
    problems += _messages_problems(msgs, ["user"])
    if not problems and msgs[-1]["content"] != task.prompt:
        problems.append("the user message is not the task's prompt")
    rm = row.get("reward_model")
    if not isinstance(rm, dict):
        problems.append("reward_model is not a mapping")
    else:
        if rm.get("style") != REWARD_STYLE:
            problems.append(f"reward_model.style is {rm.get('style')!r}, expected {REWARD_STYLE!r}")
        if rm.get("ground_truth") != task.answer:
            problems.append("reward_model.ground_truth is not the task's reference answer")
        problems += _scores_one(task, rm.get("ground_truth"), "the ground truth")
    problems += _task_problems(task, regenerate)
    return problems, (task.env, task.task_id, row["extra_info"].get("split"))


def check_task_line(record: dict, regenerate: bool) -> tuple[list[str], tuple | None]:
    try:
        task = Task.from_dict(record)
    except (TypeError, ValueError) as exc:
        return [f"not a task record: {exc}"], None
    problems = _scores_one(task, task.answer, "the reference answer") + _task_problems(task, regenerate)
    return problems, (task.env, task.task_id, None)


def check_attempt_line(record: dict, regenerate: bool) -> tuple[list[str], tuple | None]:
    try:
        task = Task.from_json(record["task"])
    except (KeyError, TypeError, ValueError) as exc:
        return [f"attempt has no readable task: {exc}"], None
    if record.get("status") == "error":  # the server refused this request; nothing to score
        return _task_problems(task, regenerate), None
    reply = record.get("reply")
    if not isinstance(reply, str):
        return ["attempt has no reply string"], None
    verdict = verify(task, reply)
    problems = []
    if record.get("score") != verdict.score:
        problems.append(f"recorded score {record.get('score')!r} but the reply scores {verdict.score} ({verdict.reason})")
    return problems + _task_problems(task, regenerate), None


CHECKERS = {
    KIND_SFT: check_sft_row,
    KIND_DISTILL: check_sft_row,
    KIND_RL: check_rl_row,
    KIND_TASKS: check_task_line,
    KIND_ATTEMPTS: check_attempt_line,
}


def check_rows(kind: str, first_index: int, rows: list, regenerate: bool) -> tuple[list, list, int]:
    """Check rows (dicts, or raw JSON lines for JSONL kinds). Returns ([(row index, problem)],
    [(row index, key)], rows checked) where key = (env, task_id, split) feeds the overlap checks."""
    checker = CHECKERS[kind]
    bad: list[tuple[int, str]] = []
    keys: list = []
    for offset, row in enumerate(rows):
        index = first_index + offset
        if isinstance(row, (str, bytes)):
            try:
                row = json.loads(row)
            except ValueError as exc:
                bad.append((index, f"not valid JSON: {exc}"))
                continue
            if not isinstance(row, dict):
                bad.append((index, "not a JSON object"))
                continue
        try:
            problems, key = checker(row, regenerate)
        except Exception as exc:  # a malformed row must be reported, not crash the report
            problems, key = [f"unreadable row: {type(exc).__name__}: {exc}"], None
        if problems:
            bad.append((index, "; ".join(problems)))
        if key is not None:
            keys.append((index, key))
    return bad, keys, len(rows)


def check_parquet_group(kind: str, path: str, row_group: int, first_index: int, regenerate: bool):
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).read_row_group(row_group).to_pylist()
    return check_rows(kind, first_index, rows, regenerate)
