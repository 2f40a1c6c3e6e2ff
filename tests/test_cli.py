"""The `veritas` command as a user runs it: a real subprocess through the console entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.native import native_task_types
from veritas.envs import generate, list_task_types, wrong_answers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def veritas(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "veritas.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_list_names_every_family():
    out = veritas("list").stdout
    for task_type in list_task_types():
        assert task_type in out


def test_sample_json_is_the_task():
    task_type = list_task_types()[0]
    out = veritas("sample", task_type, "--seed", "7", "--difficulty", "2", "--json")
    assert json.loads(out.stdout) == json.loads(generate(task_type, 7, 2).to_json())
    text = veritas("sample", task_type, "--seed", "7", "--solution").stdout
    assert "## worked solution" in text and generate(task_type, 7).answer in text


def test_verify_reads_stdin_and_exits_by_score(tmp_path):
    task = generate(list_task_types()[0], 3)
    right = veritas("verify", task.task_type, "--seed", "3", stdin=task.answer)
    assert right.returncode == 0 and json.loads(right.stdout)["score"] == 1.0
    wrong = veritas("verify", task.task_type, "--seed", "3", stdin=wrong_answers(task)[0])
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["score"] == 0.0
    path = tmp_path / "task.json"
    path.write_text(task.to_json())
    assert veritas("verify", "--task-json", str(path), stdin=task.answer).returncode == 0


def test_bad_input_is_one_clear_line():
    for args, needle in ((["sample", "no_such_type", "--seed", "1"], "unknown task type"),
                         (["sample", list_task_types()[0], "--seed", "-1"], "seed"),
                         (["sample", list_task_types()[0], "--seed", "1", "--difficulty", "9"], "difficulty"),
                         (["verify", "--task-json", "/nonexistent.json"], "/nonexistent.json")):
        proc = veritas(*args)
        assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_mistakes_exit_2_and_say_so_in_one_line():
    # exit 2 for bad input, so `verify`'s 1 keeps meaning "a wrong reply"
    cases = [
        (["verify", "sudokuu", "--seed", "1"], "veritas verify: unknown task type 'sudokuu'"),
        (["list", "--env", "lgc-v3"], "veritas list: --env: unknown env 'lgc-v3'; known: "),
        (["sample", "--seed", "1"], "veritas sample: give TASK_TYPE --seed N"),
        (["bench", "--seconds", "-1"], "veritas bench: --seconds must be > 0, got -1.0"),
        (["bench", "--max-tasks", "0"], "veritas bench: --max-tasks and --peer-size must be >= 1, got 0"),
    ]
    for args, message in cases:
        proc = veritas(*args, stdin="x")
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and message in proc.stderr, (args, proc.stderr)
    assert "--task-json" not in veritas("sample", "--seed", "1").stderr  # sample has no such option


def test_bench_says_what_it_does_and_what_it_skips():
    proc = veritas("bench", list_task_types()[0], "--seconds", "0.05", "--max-tasks", "5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("timing 1 task type(s), about 0.1 s each...")
    import importlib.util

    if importlib.util.find_spec("reasoning_gym") is None:
        assert "reasoning-gym is not installed: no comparison" in proc.stdout
    else:  # installed, but this type has no peer there
        assert f"no reasoning-gym dataset is paired with {list_task_types()[0]}" in proc.stdout


def test_bench_prints_every_family(tmp_path):
    out = tmp_path / "bench.json"
    proc = veritas("bench", *native_task_types(), "--seconds", "0.05", "--max-tasks", "5", "--no-peers", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == set(native_task_types())
    for task_type, row in rows.items():
        assert task_type in proc.stdout
        assert row["generated_per_s"] > 0 and row["verify_right_per_s"] > 0 and row["verify_wrong_per_s"] > 0
