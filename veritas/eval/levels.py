"""Accuracy per (task type, difficulty level): `veritas eval` prints it after the per-type table,
writes `levels.json` and a heat map (`accuracy_by_level.png`); `veritas calibrate` builds on it."""

from __future__ import annotations

import json
import os
from collections import defaultdict

from veritas.envs import DIFFICULTY_LEVELS
from veritas.eval.metrics import summarize_group

LEVELS_JSON = "levels.json"
LEVELS_CHART = "accuracy_by_level.png"


def summarize_levels(records: list[dict], samples: int) -> dict[str, dict[str, dict]]:
    """{task type: {level (as a string, JSON keys): metrics}} in sorted order (summarize_group's
    metrics: accuracy over every sample, its Wilson interval over tasks, pass@1, ...)."""
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["task_type"], int(r["difficulty"]))].append(r)
    out: dict[str, dict[str, dict]] = {}
    for (task_type, level) in sorted(groups):
        out.setdefault(task_type, {})[str(level)] = summarize_group(groups[(task_type, level)], samples)
    return out


def format_level_table(per_level: dict[str, dict[str, dict]]) -> str:
    """One row per task type, one column per level: accuracy % (tasks)."""
    header = f"{'task type':32s} " + " ".join(f"{'L' + str(lvl):>12s}" for lvl in DIFFICULTY_LEVELS)
    lines = [header, "-" * len(header)]
    for task_type, levels in per_level.items():
        cells = []
        for lvl in DIFFICULTY_LEVELS:
            m = levels.get(str(lvl))
            cells.append(f"{'-':>12s}" if m is None else f"{100 * m['accuracy']:5.1f} ({m['tasks']:>3d})".rjust(12))
        lines.append(f"{task_type:32s} " + " ".join(cells))
    return "\n".join(lines)


def level_heatmap(per_level: dict[str, dict[str, dict]], path: str, title: str, band: tuple[float, float] | None = None) -> None:
    """Accuracy per (type, level) as a heat map; cells outside `band` are marked when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from veritas.eval.report import _save_figure

    types = list(per_level)
    grid = np.full((len(types), len(DIFFICULTY_LEVELS)), np.nan)
    for i, task_type in enumerate(types):
        for j, lvl in enumerate(DIFFICULTY_LEVELS):
            m = per_level[task_type].get(str(lvl))
            if m is not None:
                grid[i, j] = 100 * m["accuracy"]
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(types) + 1.6))
    image = ax.imshow(grid, vmin=0, vmax=100, cmap="viridis", aspect="auto")
    for i in range(len(types)):
        for j in range(len(DIFFICULTY_LEVELS)):
            if not np.isnan(grid[i, j]):
                inside = band is None or band[0] <= grid[i, j] / 100 <= band[1]
                ax.text(j, i, f"{grid[i, j]:.0f}" + ("" if inside else "*"), ha="center", va="center",
                        color="white" if grid[i, j] < 60 else "black", fontsize=8)
    ax.set_xticks(range(len(DIFFICULTY_LEVELS)), [f"L{lvl}" for lvl in DIFFICULTY_LEVELS])
    ax.set_yticks(range(len(types)), types)
    ax.set_title(title + ("  (* outside the target band)" if band else ""), fontsize=9)
    fig.colorbar(image, ax=ax, label="accuracy %")
    _save_figure(fig, path)
    plt.close(fig)


def report_levels(records: list[dict], samples: int, out_dir: str, model: str, chart: bool = True) -> str:
    """Write levels.json (and the heat map) into out_dir; return the table to print."""
    from veritas.eval.runner import atomic_write_text

    per_level = summarize_levels(records, samples)
    atomic_write_text(os.path.join(out_dir, LEVELS_JSON), json.dumps(per_level, indent=2, sort_keys=True) + "\n")
    if chart and per_level:
        level_heatmap(per_level, os.path.join(out_dir, LEVELS_CHART), f"{model}: accuracy per level")
    return format_level_table(per_level)
