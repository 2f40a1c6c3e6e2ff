"""The command line: --help everywhere, clear errors on bad input, mix files, the benchmark."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from veritas.envs import Task

from .conftest import TASK_TYPES, all_types, ok, run_cli

SUBCOMMANDS = ["jsonl", "sft", "rl", "distill", "validate", "bench"]


def test_top_level_help_lists_every_subcommand():
    out = ok(run_cli("--help")).stdout
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name):
    out = ok(run_cli(name, "--help")).stdout
    assert out.startswith("usage: python -m data_gen " + name)
    assert "\n    python -m data_gen " + name + " " in out.split("options:")[0], "the help shows an example"


@pytest.mark.parametrize(
    "args, message",
    [
        (["jsonl", "-o", "x.jsonl", "--task-types", "no_such_type", "--count", "3"], "--task-types: unknown task type(s) ['no_such_type']"),
        (["sft", "--task-types", "TYPE"], "--count N is required with --task-types"),
        (["rl", "--count", "5"], "say which tasks: --mix FILE, or --task-types A,B --count N"),
        (["sft", "--task-types", "TYPE", "--count", "0"], "--count must be a positive integer, got 0"),
        (["sft", "--task-types", "TYPE", "--count", "5", "--difficulty", "7"], "difficulty must be one of (1, 2, 3, 4, 5), got 7"),
        (["sft", "--task-types", "TYPE", "--count", "5", "--difficulty", "hard"], "--difficulty must be 1-5 or 'mixed', got 'hard'"),
        (["sft", "--task-types", "TYPE", "--count", "5", "--val-ratio", "1.5"], "--val-ratio must be in [0, 1), got 1.5"),
        (["sft", "--task-types", "TYPE", "--count", "5", "--workers", "0"], "--workers must be >= 1, got 0"),
        (["sft", "--task-types", "TYPE", "--count", "5", "--shard-rows", "0"], "--shard-rows must be a positive integer, got 0"),
        (["sft", "--mix", "MIX", "--task-types", "TYPE"], "give either --mix FILE or --task-types, not both"),
        (["sft", "--mix", "no/such/mix.yaml"], "no/such/mix.yaml: cannot read mix file"),
        (["jsonl", "-o", "x.jsonl", "--task-types", "TYPE", "--count", "5", "--language", "xx"], "has no language 'xx'"),
        (["distill", "-o", "d", "--task-types", "TYPE", "--count", "2", "--model", "m", "--base-url", "ftp://x", "--no-api-key"], "--base-url must start with http:// or https://"),
        (["distill", "-o", "d", "--tasks", "no/such.jsonl", "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--no-api-key"], "no/such.jsonl: cannot read"),
    ],
)
def test_bad_input_names_the_flag_or_file_and_exits_2(tmp_path, args, message):
    mix = tmp_path / "mix.yaml"
    mix.write_text(f"split: train\nsize: 10\ntasks: [{TASK_TYPES[0]}]\n")
    args = [a.replace("TYPE", TASK_TYPES[0]).replace("MIX", str(mix)) for a in args]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("*.jsonl")) and not (tmp_path / "train").exists()


def test_a_bad_mix_key_names_the_file_and_the_key(tmp_path):
    mix = tmp_path / "broken.yaml"
    mix.write_text(f"split: train\nsize: 10\ntasks: [{{task_type: {TASK_TYPES[0]}, wieght: 2}}]\n")
    proc = run_cli("sft", "--mix", str(mix), "--out-dir", str(tmp_path))
    assert proc.returncode == 2 and str(mix) in proc.stderr and "wieght" in proc.stderr


def test_a_mix_file_drives_the_selection(tmp_path):
    mix = tmp_path / "mix.yaml"
    entries = "\n".join(f"  - {{task_type: {t}, weight: {i + 1}, difficulty: {1 + i % 5}}}" for i, t in enumerate(TASK_TYPES))
    mix.write_text(f"name: test-mix\nsplit: train\nsize: 400\nseed: 3\nsystem_prompt: Be exact.\ntasks:\n{entries}\n")
    ok(run_cli("sft", "--mix", str(mix), "--count", "200", "--out-dir", str(tmp_path / "out"), "--workers", "1"))
    train = pq.read_table(tmp_path / "out" / "train.parquet").to_pylist()
    val = pq.read_table(tmp_path / "out" / "val.parquet").to_pylist()
    assert len(train) + len(val) == 200  # --count overrides the mix's size
    levels = {t: 1 + i % 5 for i, t in enumerate(TASK_TYPES)}
    for row in train + val:
        task = Task.from_json(row["extra_info"]["task"])
        assert task.difficulty == levels[task.task_type]
        assert row["messages"][0] == {"role": "system", "content": "Be exact."}
    # the same mix file gives the same tasks in JSONL (one selection for every subcommand)
    ok(run_cli("jsonl", "--mix", str(mix), "--count", "20", "-o", str(tmp_path / "t.jsonl"), "--workers", "1"))
    ok(run_cli("jsonl", "--mix", str(mix), "--count", "20", "-o", str(tmp_path / "u.jsonl"), "--workers", "2"))
    assert (tmp_path / "t.jsonl").read_bytes() == (tmp_path / "u.jsonl").read_bytes()


def test_bench_prints_rows_per_second(tmp_path):
    proc = ok(run_cli("bench", "--rows", "2000", "--sample", "50", "--task-types", all_types(), "--workers", "2",
                      "--json", str(tmp_path / "b.json")))
    assert "rows/s" in proc.stdout and "2,000" in proc.stdout
    for t in TASK_TYPES:
        assert t in proc.stdout
    import json

    numbers = json.loads((tmp_path / "b.json").read_text())
    assert numbers["end_to_end"][0]["rows"] == 2000 and numbers["end_to_end"][0]["rows_per_s"] > 0


def test_output_paths_the_os_refuses_are_one_line(tmp_path):
    (tmp_path / "afile").write_text("mine\n")
    (tmp_path / "adir").mkdir()
    t = TASK_TYPES[0]
    cases = [
        (["jsonl", "-o", "afile/x.jsonl", "--task-types", t, "--count", "3"], "afile: File exists (a file is where a folder is needed)"),
        (["jsonl", "-o", "adir", "--task-types", t, "--count", "3"], "adir: Is a directory (it is a folder; give a file path)"),
        (["sft", "--out-dir", "afile", "--task-types", t, "--count", "3"], "afile: File exists"),
        (["rl", "--out-dir", "afile", "--task-types", t, "--count", "3"], "afile: File exists"),
        (["distill", "-o", "afile", "--task-types", t, "--count", "2", "--model", "m",
          "--base-url", "http://127.0.0.1:9/v1", "--no-api-key"], "afile: File exists"),
    ]
    for args, message in cases:
        proc = run_cli(*args, "--workers", "1", "--quiet", cwd=tmp_path) if args[0] != "distill" else \
            run_cli(*args, "--quiet", cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert (tmp_path / "afile").read_text() == "mine\n"


def test_distill_tasks_given_a_parquet_file_says_so(tmp_path):
    ok(run_cli("rl", "--task-types", TASK_TYPES[0], "--count", "4", "--out-dir", str(tmp_path / "rl"), "--workers", "1"))
    proc = run_cli("distill", "-o", "d", "--tasks", str(tmp_path / "rl" / "train.parquet"), "--model", "m",
                   "--base-url", "http://127.0.0.1:9/v1", "--no-api-key", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "train.parquet: not UTF-8 text (a parquet file? --tasks takes the JSONL of `data_gen jsonl`)" in proc.stderr


def test_a_different_command_is_told_what_differs(tmp_path):
    base = ["sft", "--task-types", TASK_TYPES[0], "--out-dir", str(tmp_path / "o"), "--workers", "1", "--quiet"]
    ok(run_cli(*base, "--count", "20"))
    proc = run_cli(*base, "--count", "21")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "was written by a different command (mix.size: 19 there, 20 now; rows: 19 there, 20 now)" in proc.stderr
    proc = run_cli(*base, "--count", "20", "--seed", "3")
    assert "(mix.seed: 0 there, 3 now)" in proc.stderr
    ok(run_cli(*base, "--count", "20", "--seed", "3", "--overwrite"))
