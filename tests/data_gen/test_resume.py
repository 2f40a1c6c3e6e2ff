"""Interrupted runs: a killed command leaves nothing that looks complete, and the same command run
again finishes with exactly the bytes of an uninterrupted run. Output never depends on --workers."""

from __future__ import annotations

import pyarrow.parquet as pq

from veritas.envs import Task

from .conftest import all_types, kill_when, ok, run_cli


def test_jsonl_is_the_same_for_any_worker_count_and_one_task_per_line(tmp_path):
    args = ["jsonl", "--task-types", all_types(), "--count", "1200", "--seed", "5"]
    ok(run_cli(*args, "-o", str(tmp_path / "one.jsonl"), "--workers", "1"))
    ok(run_cli(*args, "-o", str(tmp_path / "two.jsonl"), "--workers", "2"))
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one == (tmp_path / "two.jsonl").read_bytes()
    lines = one.decode("utf-8").splitlines()
    assert len(lines) == 1200
    tasks = [Task.from_json(line) for line in lines]
    assert all(t.to_json() == line for t, line in zip(tasks, lines))
    assert len({(t.env, t.task_id) for t in tasks}) == 1200


def test_jsonl_torn_last_line_is_dropped_and_continued(tmp_path):
    args = ["jsonl", "--task-types", all_types(), "--count", "900", "--seed", "1", "--workers", "1"]
    ok(run_cli(*args, "-o", str(tmp_path / "full.jsonl")))
    full = (tmp_path / "full.jsonl").read_bytes()
    cut = full.index(b"\n", len(full) // 3) + 40  # mid-way through a line
    (tmp_path / "resumed.jsonl.partial").write_bytes(full[:cut])
    proc = ok(run_cli(*args, "-o", str(tmp_path / "resumed.jsonl")))
    assert "resumed" in proc.stderr
    assert (tmp_path / "resumed.jsonl").read_bytes() == full
    assert not (tmp_path / "resumed.jsonl.partial").exists()


def test_jsonl_killed_midway_then_rerun_equals_an_uninterrupted_run(tmp_path):
    count = 8_000
    for _attempt in range(5):
        out = tmp_path / f"killed-{count}.jsonl"
        partial = out.with_name(out.name + ".partial")
        args = ["jsonl", "--task-types", all_types(), "--count", str(count), "--seed", "2", "--workers", "1", "--quiet"]
        if kill_when([*args, "-o", str(out)], lambda: partial.exists() and partial.stat().st_size > 0):
            break
        count *= 4  # it finished before we could kill it: give it more to do
    else:
        raise AssertionError("could not interrupt the run")
    assert not out.exists(), "a killed run must not leave a complete-looking file"
    assert partial.exists()
    ok(run_cli(*args, "-o", str(out)))
    ok(run_cli(*args, "-o", str(tmp_path / "straight.jsonl")))
    assert out.read_bytes() == (tmp_path / "straight.jsonl").read_bytes()


def test_jsonl_refuses_a_partial_file_from_another_command(tmp_path):
    out = tmp_path / "t.jsonl"
    ok(run_cli("jsonl", "--task-types", all_types(), "--count", "600", "--seed", "1", "-o", str(out), "--workers", "1"))
    out.rename(tmp_path / "t.jsonl.partial")
    proc = run_cli("jsonl", "--task-types", all_types(), "--count", "700", "--seed", "2", "-o", str(out), "--workers", "1")
    assert proc.returncode == 2 and "different command" in proc.stderr and "--overwrite" in proc.stderr
    ok(run_cli("jsonl", "--task-types", all_types(), "--count", "700", "--seed", "2", "-o", str(out), "--workers", "1",
               "--overwrite"))
    assert len(out.read_text().splitlines()) == 700


def test_jsonl_rerun_of_a_finished_command_changes_nothing(tmp_path):
    out = tmp_path / "t.jsonl"
    args = ["jsonl", "--task-types", all_types(), "--count", "300", "-o", str(out), "--workers", "1"]
    ok(run_cli(*args))
    before = out.stat().st_mtime_ns, out.read_bytes()
    proc = ok(run_cli(*args))
    assert "already complete" in proc.stderr
    assert (out.stat().st_mtime_ns, out.read_bytes()) == before
    other = run_cli("jsonl", "--task-types", all_types(), "--count", "301", "-o", str(out), "--workers", "1")
    assert other.returncode == 2 and str(out) in other.stderr


def test_sft_parquet_killed_midway_then_rerun_equals_an_uninterrupted_run(tmp_path):
    count = 4_000
    for _attempt in range(4):
        out = tmp_path / f"killed-{count}"
        parts = out / ".train.parquet.parts"
        args = ["sft", "--task-types", all_types(), "--count", str(count), "--seed", "4", "--val-ratio", "0",
                "--shard-rows", str(count // 8), "--workers", "1", "--quiet"]
        if kill_when([*args, "--out-dir", str(out)], lambda: (parts / "part-00000.parquet").exists()):
            break
        count *= 4
    else:
        raise AssertionError("could not interrupt the run")
    assert not (out / "train.parquet").exists(), "a killed run must not leave a complete-looking file"
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    resumed = ok(run_cli(*args, "--out-dir", str(out)))
    assert "resumed" in resumed.stderr
    ok(run_cli(*args, "--out-dir", str(tmp_path / "straight")))
    assert (out / "train.parquet").read_bytes() == (tmp_path / "straight" / "train.parquet").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["train.parquet"]
    assert pq.ParquetFile(out / "train.parquet").metadata.num_rows == count


def test_sft_bytes_do_not_depend_on_workers_and_shards_hold_the_same_rows(tmp_path):
    args = ["sft", "--task-types", all_types(), "--count", "2400", "--seed", "9", "--val-ratio", "0",
            "--shard-rows", "1000"]
    ok(run_cli(*args, "--out-dir", str(tmp_path / "w1"), "--workers", "1"))
    ok(run_cli(*args, "--out-dir", str(tmp_path / "w2"), "--workers", "2"))
    assert (tmp_path / "w1" / "train.parquet").read_bytes() == (tmp_path / "w2" / "train.parquet").read_bytes()
    ok(run_cli(*args, "--out-dir", str(tmp_path / "sh"), "--workers", "2", "--shards"))
    shards = sorted(p.name for p in (tmp_path / "sh").iterdir())
    assert shards == [f"train-{i:05d}-of-00003.parquet" for i in range(3)]
    whole = pq.read_table(tmp_path / "w1" / "train.parquet")
    pieces = [pq.read_table(tmp_path / "sh" / s) for s in shards]
    assert [p.num_rows for p in pieces] == [1000, 1000, 400]
    import pyarrow as pa

    assert pa.concat_tables(pieces).equals(whole)


def test_parquet_of_another_command_is_not_overwritten_silently(tmp_path):
    base = ["sft", "--task-types", all_types(), "--val-ratio", "0", "--out-dir", str(tmp_path), "--workers", "1"]
    ok(run_cli(*base, "--count", "50"))
    first = (tmp_path / "train.parquet").read_bytes()
    again = ok(run_cli(*base, "--count", "50"))
    assert "already complete" in again.stderr and (tmp_path / "train.parquet").read_bytes() == first
    other = run_cli(*base, "--count", "60")
    assert other.returncode == 2 and "train.parquet" in other.stderr and "--overwrite" in other.stderr
    assert (tmp_path / "train.parquet").read_bytes() == first
    ok(run_cli(*base, "--count", "60", "--overwrite"))
    assert pq.ParquetFile(tmp_path / "train.parquet").metadata.num_rows == 60
