"""The smoke's curriculum checks read verl's real outputs: log lines as Ray forwards them from the
trainer actor, the file logger's metrics, torchdata's dataloader state in data.pt."""

from __future__ import annotations

import json

import pytest
import torch

from veritas.cpu_verl import curriculum_check as cc
from veritas.cpu_verl.checks import SmokeFailure

PREFIX = "\x1b[36m(TaskRunnerV1 pid=20780)\x1b[0m 2026-12-03 12:50:20,043 veritas.curriculum.schedule INFO: "


def write_run(tmp_path, levels, decision=True, metrics=True):
    log = tmp_path / "grpo.log"
    lines = ["noise"]
    if decision:
        lines.append(PREFIX + "curriculum lgc-v2-adaptive-train: batch 1: cryptarithm level 3 -> 2 "
                              "(pass rate 0.000 over 2 replies, below the band)")
    log.write_text("\n".join(lines) + "\n")
    metrics_path = tmp_path / "metrics.jsonl"
    data = {"critic/score/mean": 0.0}
    if metrics:
        data.update({"curriculum/cryptarithm/L3/pass_rate": 0.0, "curriculum/all_equal_groups": 1.0})
    metrics_path.write_text(json.dumps({"step": 2, "data": data}) + "\n")
    step = tmp_path / "ckpt" / "global_step_2"
    step.mkdir(parents=True)
    schedule = {"controller": {t: {"level": lvl} for t, lvl in levels.items()}}
    torch.save({"_snapshot": {"_main_snapshot": {"dataset_state": {"curriculum": {"0:lgc-v2-adaptive-train": schedule}}}}},
               step / "data.pt")
    return str(log), str(metrics_path), str(tmp_path / "ckpt")


def test_check_run_accepts_a_lowered_level(tmp_path):
    log, metrics, ckpt = write_run(tmp_path, {"cryptarithm": 2, "sudoku": 3})
    got = cc.check_run(log, metrics, ckpt, 2)
    assert got["first_move"] == "batch 1: cryptarithm 3->2" and got["lowered_in_data_pt"] == ["cryptarithm"]


@pytest.mark.parametrize("kwargs, message", [
    ({"decision": False}, "reward reports did not reach the dataset"),
    ({"metrics": False}, "lacks curriculum metrics"),
    ({"levels": {"cryptarithm": 3}}, "every level is still 3"),
])
def test_check_run_names_what_is_missing(tmp_path, kwargs, message):
    log, metrics, ckpt = write_run(tmp_path, kwargs.pop("levels", {"cryptarithm": 2}), **kwargs)
    with pytest.raises(SmokeFailure, match=message):
        cc.check_run(log, metrics, ckpt, 2)


def test_check_resumed_compares_with_data_pt(tmp_path):
    _, _, ckpt = write_run(tmp_path, {"cryptarithm": 2, "sudoku": 3})
    log = tmp_path / "resume.log"
    log.write_text(PREFIX + "curriculum lgc-v2-adaptive-train: resumed at batch 1 with levels "
                            "{'cryptarithm': 2, 'sudoku': 3} (2 decisions so far)\n")
    assert cc.check_resumed(str(log), ckpt, 2) == {"resumed_batch": 1, "levels": {"cryptarithm": 2, "sudoku": 3}}
    log.write_text(PREFIX + "curriculum lgc-v2-adaptive-train: resumed at batch 1 with levels {'cryptarithm': 3, 'sudoku': 3}\n")
    with pytest.raises(SmokeFailure, match="but data.pt of step 2 has"):
        cc.check_resumed(str(log), ckpt, 2)
