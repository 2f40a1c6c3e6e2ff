"""`data_gen distill` against a real HTTP server speaking the chat-completions protocol (a scripted
teacher, see teacher_server.py): retries on 429/500, rejection sampling by our verifiers, the
acceptance rate per task type, resumption, and an API key that never reaches a file or the output."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.parquet as pq

from veritas.envs import Task, verify

from .conftest import TASK_TYPES, all_types, cli_env, kill_when, ok, run_cli
from .teacher_server import ScriptedTeacher, expected_text

KEY = "sk-test-9f8e7d6c5b4a-not-a-real-key"
FAST_RETRIES = ["--backoff-base", "0.01", "--backoff-max", "0.05"]


def write_tasks(tmp_path, per_type: int, seed: int = 0) -> tuple:
    path = tmp_path / "tasks.jsonl"
    ok(run_cli("jsonl", "--task-types", all_types(), "--count", str(per_type * len(TASK_TYPES)), "--seed", str(seed),
               "-o", str(path), "--workers", "1"))
    return path, [Task.from_json(line) for line in path.read_text().splitlines()]


def all_output_text(folder) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def test_kept_rows_and_acceptance_rates_are_what_the_server_replied(tmp_path):
    tasks_file, tasks = write_tasks(tmp_path, per_type=4)
    unknown = tasks[-1]  # the server answers 400 for this prompt: logged as errors, skipped, never kept
    known = tasks[:-1]
    (tmp_path / ".env").write_text(f'# teacher credentials\nexport OTHER=1\nOPENAI_API_KEY="{KEY}"\n')
    out = tmp_path / "out"
    with ScriptedTeacher(known, KEY) as teacher:
        args = ["distill", "--tasks", str(tasks_file), "--base-url", teacher.base_url, "--model", "teacher-x",
                "--attempts", "3", "--concurrency", "4", "--skip-errors", *FAST_RETRIES]
        proc = ok(run_cli(*args, "-o", str(out), cwd=tmp_path))
        statuses = list(teacher.statuses)
        ok(run_cli(*args, "--keep", "first", "-o", str(tmp_path / "first"), cwd=tmp_path))
    attempts = 3
    # The faults happened and were retried: one 429, one 500, then every attempt answered once.
    status = Counter(statuses)
    assert status[429] == 1 and status[500] == 1
    assert status[200] == attempts * len(known) and status[400] == attempts
    assert all(len(teacher.seeds_by_task[t.task_id]) == attempts for t in known), "each attempt has its own seed"

    # The scripted replies really are right or wrong by our verifiers.
    by_id = {t.task_id: t for t in tasks}
    for (task_id, _seed), (kind, message) in teacher.served.items():
        assert verify(by_id[task_id], expected_text(message)).score == (0.0 if kind == "wrong" else 1.0)

    expected_kept = Counter((tid, expected_text(msg)) for (tid, _), (kind, msg) in teacher.served.items() if kind != "wrong")
    rows = pq.read_table(out / "distilled.parquet").to_pylist()
    assert Counter((r["extra_info"]["task_id"], r["messages"][-1]["content"]) for r in rows) == expected_kept
    assert any(r["messages"][-1]["content"].startswith("<think>\n") for r in rows), "reasoning_content kept as <think>"
    for r in rows:
        assert r["teacher_model"] == "teacher-x" and r["score"] == 1.0 and r["response"] == r["messages"][-1]["content"]
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
    assert [(r["extra_info"]["index"], r["attempt"]) for r in rows] == sorted((r["extra_info"]["index"], r["attempt"]) for r in rows)

    # --keep first: the first accepted attempt of each task, nothing else.
    first = pq.read_table(tmp_path / "first" / "distilled.parquet").to_pylist()
    firsts = {}
    for r in rows:
        firsts.setdefault(r["extra_info"]["index"], r)
    assert [(r["extra_info"]["index"], r["attempt"], r["response"]) for r in first] == \
        [(r["extra_info"]["index"], r["attempt"], r["response"]) for r in firsts.values()]

    summary = json.loads((out / "summary.json").read_text())
    for task_type in TASK_TYPES:
        served = [kind for (tid, _), (kind, _) in teacher.served.items() if by_id[tid].task_type == task_type]
        row = summary["per_task_type"][task_type]
        assert row["replies"] == len(served)
        assert row["accepted"] == sum(k != "wrong" for k in served)
        assert row["acceptance_rate"] == row["accepted"] / row["replies"]
        assert row["errors"] == (attempts if task_type == unknown.task_type else 0)
        assert task_type in proc.stdout and f"{100 * row['acceptance_rate']:.1f}%" in proc.stdout
    assert summary["total"]["accepted"] == len(rows)
    assert len((out / "attempts.jsonl").read_text().splitlines()) == attempts * len(tasks)

    # The key is nowhere: not in a file, not in the output.
    assert KEY not in all_output_text(out) and KEY not in proc.stdout + proc.stderr
    # Every kept reply re-verifies, every logged score matches its reply.
    ok(run_cli("validate", str(out / "distilled.parquet"), str(out / "attempts.jsonl"), "--workers", "1"))


def test_a_killed_run_resumes_to_the_same_result(tmp_path):
    per_type, attempts = 5, 2
    select = ["--task-types", all_types(), "--count", str(per_type * len(TASK_TYPES)), "--seed", "7"]
    _, tasks = write_tasks(tmp_path, per_type, seed=7)  # the same selection as `select`
    env = cli_env({"TEACHER_KEY": KEY})
    with ScriptedTeacher(tasks, KEY, delay=0.02) as teacher:
        def args(out):
            return ["distill", *select, "--base-url", teacher.base_url, "--model", "m", "--api-key-env", "TEACHER_KEY",
                    "--attempts", str(attempts), "--concurrency", "2", *FAST_RETRIES, "--quiet", "-o", str(out)]

        killed = tmp_path / "killed"
        log = killed / "attempts.jsonl"
        assert kill_when(args(killed), lambda: log.exists() and log.read_bytes().count(b"\n") >= 3, env=env)
        assert not (killed / "distilled.parquet").exists() and not (killed / "summary.json").exists()
        done_before = log.read_bytes().count(b"\n")
        served_before = teacher.statuses.count(200)
        ok(run_cli(*args(killed), env=env))
        # Only the missing attempts were asked again (plus at most the ones in flight at the kill).
        asked_again = teacher.statuses.count(200) - served_before
        assert attempts * len(tasks) - done_before <= asked_again <= attempts * len(tasks) - done_before + 4
        ok(run_cli(*args(tmp_path / "straight"), env=env))
    for name in ("distilled.parquet", "summary.json"):
        assert (killed / name).read_bytes() == (tmp_path / "straight" / name).read_bytes(), name


def test_retries_run_out_then_the_same_command_finishes(tmp_path):
    tasks_file, tasks = write_tasks(tmp_path, per_type=1)
    env = cli_env({"OPENAI_API_KEY": KEY})
    with ScriptedTeacher(tasks, KEY, faults=(), always=503) as teacher:
        args = ["distill", "--tasks", str(tasks_file), "--base-url", teacher.base_url, "--model", "m", "--attempts", "2",
                "--max-retries", "2", *FAST_RETRIES, "-o", str(tmp_path / "out")]
        down = run_cli(*args, env=env)
        assert down.returncode == 1 and f"{2 * len(tasks)} attempt(s) failed" in down.stderr
        assert teacher.statuses.count(503) == 2 * len(tasks) * 3  # each attempt: 1 try + 2 retries
        assert not (tmp_path / "out" / "distilled.parquet").exists()
        teacher.always = None  # the server recovers
        ok(run_cli(*args, env=env))
    assert pq.ParquetFile(tmp_path / "out" / "distilled.parquet").metadata.num_rows > 0


def test_a_refused_key_stops_the_run_without_showing_the_key(tmp_path):
    tasks_file, tasks = write_tasks(tmp_path, per_type=1)
    with ScriptedTeacher(tasks, "the-right-key") as teacher:
        proc = run_cli("distill", "--tasks", str(tasks_file), "--base-url", teacher.base_url, "--model", "m",
                       *FAST_RETRIES, "-o", str(tmp_path / "out"), env=cli_env({"OPENAI_API_KEY": KEY}))
    assert proc.returncode == 2 and "refused the API key (HTTP 401)" in proc.stderr
    assert KEY not in proc.stdout + proc.stderr and KEY not in all_output_text(tmp_path / "out")


def test_a_missing_key_is_a_clear_error(tmp_path):
    tasks_file, _ = write_tasks(tmp_path, per_type=1)
    proc = run_cli("distill", "--tasks", str(tasks_file), "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                   "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2 and "OPENAI_API_KEY" in proc.stderr and ".env" in proc.stderr
