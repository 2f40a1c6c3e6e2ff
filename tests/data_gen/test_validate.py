"""`data_gen validate`: schema checks and every answer re-scored; bad rows reported by index."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from veritas.envs import wrong_answers
from veritas.envs import Task

from .conftest import TASK_TYPES, all_types, ok, run_cli


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    n = 6 * len(TASK_TYPES)
    ok(run_cli("sft", "--task-types", all_types(), "--count", str(n), "--val-ratio", "0.3", "--out-dir", str(root / "sft"),
               "--workers", "1"))
    ok(run_cli("rl", "--task-types", all_types(), "--count", str(n), "--val-ratio", "0.3", "--out-dir", str(root / "rl"),
               "--workers", "1"))
    ok(run_cli("jsonl", "--task-types", all_types(), "--count", str(n), "-o", str(root / "tasks.jsonl"), "--workers", "1"))
    return root


def test_good_files_pass(files):
    proc = ok(run_cli("validate", str(files / "sft" / "train.parquet"), str(files / "sft" / "val.parquet"),
                      str(files / "rl" / "train.parquet"), str(files / "rl" / "val.parquet"), str(files / "tasks.jsonl"),
                      "--regenerate", "--workers", "2"))
    assert proc.stdout.count(": OK") == 5


def _rewrite(src, dst, edit):
    table = pq.read_table(src)
    rows = table.to_pylist()
    edit(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), dst)


def _near_miss(row_task: Task) -> str:
    near = wrong_answers(row_task)
    return near[0] if near else "no answer here"


def test_bad_sft_rows_are_reported_by_index(files, tmp_path):
    bad = tmp_path / "bad.parquet"

    def edit(rows):
        task = Task.from_json(rows[2]["extra_info"]["task"])
        rows[2]["messages"][-1]["content"] = rows[2]["response"] = _near_miss(task)  # a wrong reply
        rows[4]["prompt"] = "something else"                                          # columns disagree
        rows[5]["extra_info"]["task"] = "{not json"                                   # unreadable task
        rows[6] = dict(rows[1])                                                       # a repeated task

    _rewrite(files / "sft" / "train.parquet", bad, edit)
    proc = run_cli("validate", str(bad), "--workers", "1")
    assert proc.returncode == 1
    assert "4 bad" in proc.stdout
    assert "row 2: the assistant reply scores 0.0" in proc.stdout
    assert "row 4: the prompt column is not the task's prompt" in proc.stdout
    assert "row 5: extra_info.task is not a task record" in proc.stdout
    assert "row 6: the same task" in proc.stdout and "as row 1" in proc.stdout


def test_bad_rl_rows_and_split_overlap(files, tmp_path):
    bad = tmp_path / "val.parquet"
    train_rows = pq.read_table(files / "rl" / "train.parquet").to_pylist()

    def edit(rows):
        task = Task.from_json(rows[0]["extra_info"]["task"])
        rows[0]["reward_model"]["ground_truth"] = _near_miss(task)
        rows[1]["data_source"] = "some_other_type"
        # a train task copied into val (with its split relabelled): leakage
        rows[2] = {**train_rows[3], "extra_info": {**train_rows[3]["extra_info"], "split": "val"}}

    _rewrite(files / "rl" / "val.parquet", bad, edit)
    proc = run_cli("validate", str(files / "rl" / "train.parquet"), str(bad), "--workers", "1")
    assert proc.returncode == 1
    assert "row 0: reward_model.ground_truth is not the task's reference answer" in proc.stdout
    assert "the ground truth scores 0.0" in proc.stdout
    assert "row 1: data_source 'some_other_type'" in proc.stdout
    assert "is in more than one split" in proc.stdout and "1 task(s) shared between splits" in proc.stdout


def test_schema_mismatch_is_reported(files, tmp_path):
    table = pq.read_table(files / "rl" / "train.parquet").drop_columns(["ability"])
    pq.write_table(table, tmp_path / "x.parquet")
    proc = run_cli("validate", str(tmp_path / "x.parquet"), "--workers", "1")
    assert proc.returncode == 1 and "column 'ability' is missing" in proc.stdout


def test_bad_jsonl_lines_are_reported_by_line_number(files, tmp_path):
    lines = (files / "tasks.jsonl").read_text().splitlines()
    task = json.loads(lines[1])
    task["answer"] = _near_miss(Task.from_dict(task))
    lines[1] = json.dumps(task)
    lines[3] = "{broken"
    lines[4] = json.dumps({**json.loads(lines[4]), "seed": json.loads(lines[4])["seed"] + 1})
    (tmp_path / "t.jsonl").write_text("\n".join(lines))  # and no final newline: cut short
    proc = run_cli("validate", str(tmp_path / "t.jsonl"), "--regenerate", "--workers", "1")
    assert proc.returncode == 1
    assert "line 2: the reference answer scores 0.0" in proc.stdout
    assert "line 4: not valid JSON" in proc.stdout
    assert "line 5: the embedded task differs from the one its (task_type, seed, difficulty) generates" in proc.stdout
    assert f"line {len(lines)}: the last line has no newline" in proc.stdout


def test_unreadable_input_is_a_clear_error(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    proc = run_cli("validate", str(tmp_path / "x.parquet"))
    assert proc.returncode == 2 and "x.parquet: not a readable parquet file" in proc.stderr
    proc = run_cli("validate", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 2 and "missing.jsonl: no such file" in proc.stderr


def test_a_pandas_round_trip_still_validates(files, tmp_path):
    # pandas writes strings back as large_string; the rows are the same, so the file is fine.
    frame = pq.read_table(files / "sft" / "train.parquet").to_pandas()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(pa.schema([pa.field(f.name, pa.large_string()) if f.type == pa.string() else f
                                  for f in table.schema]))
    assert any(f.type == pa.large_string() for f in table.schema)
    pq.write_table(table, tmp_path / "round.parquet")
    proc = run_cli("validate", str(tmp_path / "round.parquet"), "--workers", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
