"""What the smoke's GRPO run on the adaptive mix must show (veritas.curriculum through real verl).

The smoke trains on train/mixes/lgc-v2-adaptive-train.yaml with every type starting at level 3 and
a window of one reply. The tiny random model scores 0, so a level can only move down, and only if
the reports travelled from verl's reward worker (a RewardLoopWorker Ray actor) through the hub to
the dataset in the trainer process. Checked:

- the run's log has a decision line `curriculum <mix>: batch B: <type> level 3 -> 2`;
- verl's logger (file backend) has the curriculum metrics at every trained step (sampler hook);
- data.pt holds the curriculum state, with the lowered level;
- after a resume, the log says `resumed at batch B with levels {...}`, the levels of data.pt.
"""

from __future__ import annotations

import ast
import os
import re

from veritas.cpu_verl.checks import SmokeFailure, read_metrics

MIX = "lgc-v2-adaptive"
MIX_NAME = "lgc-v2-adaptive-train"
START_LEVEL = 3
# Every type starts at 3 and decides after one scored reply (Hydra dict syntax).
OVERRIDE = "+data.veritas.train.difficulty={adaptive:{target:[0.3,0.7],start:3,window:1}}"
DECISION = re.compile(r"curriculum (\S+): batch (\d+): (\w+) level (\d) -> (\d)")
RESUMED = re.compile(r"curriculum (\S+): resumed at batch (\d+) with levels (\{[^}]*\})")


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def _find_state(node):
    """The dataset's curriculum state inside torchdata's dataloader state (any nesting)."""
    if isinstance(node, dict):
        if "curriculum" in node and isinstance(node["curriculum"], dict):
            return node["curriculum"]
        for value in node.values():
            found = _find_state(value)
            if found is not None:
                return found
    return None


def saved_levels(ckpt_dir: str, step: int) -> dict[str, int]:
    import torch

    path = os.path.join(ckpt_dir, f"global_step_{step}", "data.pt")
    state = _find_state(torch.load(path, weights_only=False))
    if not state:
        raise SmokeFailure(f"{path}: no curriculum state in the dataloader state (dataset.state_dict not saved)")
    (schedule,) = state.values()
    return {t: int(s["level"]) for t, s in schedule["controller"].items()}


def check_run(log_path: str, metrics_path: str, ckpt_dir: str, last_step: int) -> dict:
    text = _read(log_path)
    moves = [m.groups() for m in DECISION.finditer(text) if m.group(1) == MIX_NAME]
    down = [m for m in moves if int(m[3]) == START_LEVEL and int(m[4]) == START_LEVEL - 1]
    if not down:
        raise SmokeFailure(f"{log_path}: no 'curriculum {MIX_NAME}: batch B: <type> level {START_LEVEL} -> "
                           f"{START_LEVEL - 1}' line: reward reports did not reach the dataset")
    logged = read_metrics(metrics_path)
    for step in sorted(s for s, m in logged.items() if "critic/score/mean" in m):
        keys = [k for k in logged[step] if k.startswith("curriculum/")]
        if "curriculum/all_equal_groups" not in logged[step] or not any(k.endswith("/pass_rate") for k in keys):
            raise SmokeFailure(f"{metrics_path}: step {step} lacks curriculum metrics (got {keys})")
    levels = saved_levels(ckpt_dir, last_step)
    lowered = sorted(t for t, lvl in levels.items() if lvl < START_LEVEL)
    if not lowered:
        raise SmokeFailure(f"{ckpt_dir}/global_step_{last_step}/data.pt: every level is still {START_LEVEL}: {levels}")
    return {"moves": len(moves), "first_move": f"batch {down[0][1]}: {down[0][2]} {down[0][3]}->{down[0][4]}",
            "lowered_in_data_pt": lowered}


def check_resumed(log_path: str, ckpt_dir: str, step: int) -> dict:
    found = [m.groups() for m in RESUMED.finditer(_read(log_path)) if m.group(1) == MIX_NAME]
    if not found:
        raise SmokeFailure(f"{log_path}: no 'curriculum {MIX_NAME}: resumed at batch ...' line")
    _, batch, levels_text = found[-1]
    resumed = ast.literal_eval(levels_text)
    saved = saved_levels(ckpt_dir, step)
    if resumed != saved:
        raise SmokeFailure(f"{log_path}: resumed with levels {resumed}, but data.pt of step {step} has {saved}")
    return {"resumed_batch": int(batch), "levels": resumed}
