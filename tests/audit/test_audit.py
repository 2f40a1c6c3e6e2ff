"""`veritas audit` end to end, in a subprocess as a user runs it: a cheap real family passes, and
FAKE families broken on purpose (tests/audit/fake_families.py) fail exactly the cell they break."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def audit(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "veritas.cli", "audit", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_real_family_passes_every_goal():
    out = audit("--task-types", "dyck_language", "--levels", "1", "3", "--n", "40", "--json")
    report = json.loads(out.stdout)
    cells = report["cells"]
    assert [(c["task_type"], c["level"]) for c in cells] == [("dyck_language", 1), ("dyck_language", 3)]
    for c in cells:
        assert c["deterministic"] and c["reference_fail"] == 0 and c["verifier_errors"] == 0
        assert c["near_miss_checked"] > 0 and c["fuzz_checked"] > 0
        assert c["split_shared"] == 0 and c["split_misplaced"] == 0
        assert c["failures"] == [], c
    assert out.returncode == 0, out.stderr


def test_broken_fake_families_fail_their_cell_and_the_exit_code():
    out = audit("--import", "tests.audit.fake_families", "--task-types", "fake_accepts_constant", "fake_raises",
                "--levels", "2", "--n", "30", "--json")
    assert out.returncode == 1, out.stderr
    cells = {c["task_type"]: c for c in json.loads(out.stdout)["cells"]}
    constant = cells["fake_accepts_constant"]
    assert constant["failures"] == ["constant"]
    assert constant["constant_reply"] == "1" and constant["constant_share"] == 1.0
    assert constant["deterministic"], constant.get("determinism_error")  # the second process imported it too
    raises = cells["fake_raises"]
    assert raises["failures"] == ["fuzz"]
    assert raises["verifier_errors"] > 0 and raises["fuzz_example"]["reason"].startswith("verifier error")


def test_a_family_that_cannot_generate_is_a_failing_cell_not_a_crash():
    out = audit("--import", "tests.audit.fake_families", "--task-types", "fake_cannot_generate", "--levels", "2", "3",
                "--n", "10", "--json")
    assert out.returncode == 1, out.stderr
    cells = {c["level"]: c for c in json.loads(out.stdout)["cells"]}
    assert cells[2]["failures"] == []
    assert cells[3]["failures"] == ["error"] and "RuntimeError: the bug" in cells[3]["error"]


def test_text_and_markdown_name_the_failing_cell():
    text = audit("--import", "tests.audit.fake_families", "--task-types", "fake_accepts_constant", "--levels", "1", "--n", "20")
    assert text.returncode == 1
    row = next(line for line in text.stdout.splitlines() if line.startswith("fake_accepts_constant"))
    assert row.rstrip().endswith("constant") and "100.0%" in row
    assert "1 of 1 cells miss a goal" in text.stdout
    md = audit("--import", "tests.audit.fake_families", "--task-types", "fake_accepts_constant", "--levels", "1", "--n", "20", "--markdown")
    assert md.returncode == 1
    assert md.stdout.startswith("# Environment audit")
    assert "| fake_accepts_constant | 1 |" in md.stdout and "✗" in md.stdout


def test_bad_arguments_are_one_line_and_exit_2():
    for args, flag in ((["--task-types", "no_such_type"], "--task-types"), (["--levels", "9"], "--levels"),
                       (["--n", "0"], "--n"), (["--import", "no.such.module"], "--import"),
                       (["--env", "lgc-v3"], "--env")):
        out = audit(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.strip().count("\n") == 0 and flag in out.stderr and "Traceback" not in out.stderr


def test_env_selects_that_envs_default_types():
    out = audit("--env", "trace", "--levels", "1", "--n", "10", "--json")
    assert out.returncode == 0, out.stderr
    assert [(c["task_type"], c["level"]) for c in json.loads(out.stdout)["cells"]] == [("trace", 1)]
