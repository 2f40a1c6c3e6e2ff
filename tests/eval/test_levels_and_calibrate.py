"""Accuracy per level (`veritas eval`) and `veritas calibrate`, against a real HTTP server whose
"model" is a script (tests/chat_server.py): it answers right exactly where the test says."""

from __future__ import annotations

import json

import pytest

from veritas.calibrate import calibration_tasks, choose_level
from veritas.calibrate import main as calibrate_main
from veritas.envs import wrong_answers
from veritas.eval.cli import main as eval_main
from veritas.mixes import Adaptive, load_mix

from ..chat_server import ScriptedChatServer

TYPES = ["sudoku", "operation"]
N = 4


def skill_script(tasks, operation_every: int = 0):
    """sudoku: right at levels 1-2, right on half the tasks at 3, wrong above; operation: wrong, or
    right on every `operation_every`-th task."""
    replies = {}
    for i, task in enumerate(tasks):
        if task.task_type == "sudoku":
            right = task.difficulty <= 2 or (task.difficulty == 3 and i % 2 == 0)
        else:
            right = bool(operation_every) and i % operation_every == 0
        replies[task.prompt] = task.answer if right else wrong_answers(task)[0]
    return replies


def test_calibrate_writes_a_starting_mix_table_and_heat_map(tmp_path, capsys):
    tasks = calibration_tasks(TYPES, N, seed=4)
    assert len({(t.task_type, t.seed) for t in tasks}) == len(tasks) == N * 5 * len(TYPES)
    replies = skill_script(tasks)
    out = tmp_path / "cal"
    with ScriptedChatServer(lambda prompt, n: replies[prompt]) as server:
        rc = calibrate_main(["--base-url", server.base_url, "--model", "org/scripted", "--task-types", ",".join(TYPES),
                             "--n", str(N), "--seed", "4", "--window", "64", "--out", str(out), "--quiet"])
    assert rc == 0
    mix = load_mix(out / "org_scripted-calibrated-train.yaml")
    assert mix.adaptive == {"sudoku": Adaptive(0.3, 0.7, 3, 64), "operation": Adaptive(0.3, 0.7, 1, 64)}
    table = (out / "calibration.md").read_text()
    assert "| sudoku | 100 (4) | 100 (4) | 50 (4) | 0 (4) | 0 (4) | 3 |" in table
    assert (out / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "starting mix:" in capsys.readouterr().out


def test_choose_level_rule():
    band = (0.3, 0.7)
    assert choose_level({1: 1.0, 2: 0.9, 3: 0.5, 4: 0.1, 5: 0.0}, band, fixed=False) == 3
    assert choose_level({1: 1.0, 2: 0.9, 3: 0.2, 4: 0.1, 5: 0.0}, band, fixed=False) == 2  # gap: stay learnable
    assert choose_level({1: 0.1, 2: 0.0}, band, fixed=False) == 1
    assert choose_level({1: 0.9, 2: 0.6, 3: 0.45, 4: 0.31}, band, fixed=True) == 3  # nearest the middle
    assert choose_level({1: 0.95, 2: 0.9}, band, fixed=True) == 2  # none inside: highest learnable


@pytest.mark.parametrize("argv, message", [
    (["--target", "0.8,0.2"], "need 0 < LOW < HIGH < 1"),
    (["--task-types", "nope"], "--task-types: unknown ['nope']"),
])
def test_calibrate_bad_input_is_one_clear_line(tmp_path, capsys, argv, message):
    try:
        rc = calibrate_main(["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--out", str(tmp_path), *argv])
    except SystemExit as exc:  # argparse
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err


def test_eval_reports_accuracy_per_level(tmp_path, capsys):
    from veritas.eval.runner import held_out_tasks

    tasks = held_out_tasks(TYPES, 12, seed=1)  # difficulty drawn per task: several levels
    # (no type at exactly 0 or 100%: the per-type chart's error bars, fixed on another branch, fail there)
    replies = skill_script(tasks, operation_every=3)
    out = tmp_path / "ev"
    with ScriptedChatServer(lambda prompt, n: replies[prompt]) as server:
        rc = eval_main(["--base-url", server.base_url, "--model", "scripted", "--task-types", ",".join(TYPES),
                        "--n", "12", "--seed", "1", "--out", str(out), "--quiet"])
    assert rc == 0
    per_level = json.loads((out / "levels.json").read_text())
    for task_type in TYPES:
        mine = [t for t in tasks if t.task_type == task_type]
        assert sum(m["tasks"] for m in per_level[task_type].values()) == len(mine)
        for level, m in per_level[task_type].items():
            at = [t for t in mine if t.difficulty == int(level)]
            right = sum(replies[t.prompt] == t.answer for t in at)
            assert m["tasks"] == len(at) and m["accuracy"] == pytest.approx(right / len(at))
    assert len(per_level["sudoku"]) >= 3  # several levels, each with its own accuracy
    assert (out / "accuracy_by_level.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "accuracy % per level" in capsys.readouterr().out


def test_eval_of_an_adaptive_mix_covers_every_level(tmp_path):
    from veritas.eval.runner import tasks_from_mix

    mix = load_mix("train/mixes/lgc-v2-adaptive-train.yaml")
    tasks = tasks_from_mix(mix, 30, 0)
    assert len({t.difficulty for t in tasks}) >= 4
