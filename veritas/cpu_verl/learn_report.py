"""The learning run's verdict: result.json, curve.png, and the pass criteria (issue 13).

Criteria, each a line of ``result["criteria"]`` with the numbers it compared:

- held_out_n:    both evaluations scored at least MIN_HELD_OUT held-out tasks (after dropping any
                 whose content a training task has);
- grpo_beats_sft: GRPO's held-out accuracy is higher and the Wilson 95% intervals do not overlap;
- reward_rises:  the mean training reward of the last fifth of GRPO steps exceeds the first fifth's;
- budget:        total wall time <= 25 minutes and every stage's peak memory <= 12 GiB (PSS: shared
                 pages counted once; RSS summed over processes is reported too, an upper bound).
"""

from __future__ import annotations

import json
import os

from veritas.cpu_verl import checks

MIN_HELD_OUT = 256
MAX_SECONDS = 25 * 60
MAX_MEMORY_BYTES = 12 * 2**30
REWARD_KEY = "critic/score/mean"


def reward_per_step(metrics_path: str) -> list[float]:
    logged = checks.read_metrics(metrics_path)
    return [float(logged[s][REWARD_KEY]) for s in sorted(logged) if REWARD_KEY in logged[s]]


def fifths(rewards: list[float]) -> tuple[float, float]:
    k = max(1, len(rewards) // 5)
    return sum(rewards[:k]) / k, sum(rewards[-k:]) / k


def _held_out(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "task_ids"}


def build_result(config: dict, stages: dict, results: dict, grpo_metrics: str, total_seconds: float) -> dict:
    sft, grpo = results["sft_eval"], results["grpo_eval"]
    rewards = reward_per_step(grpo_metrics)
    first, last = fifths(rewards)
    peak = max((s.get("peak_pss_bytes") or 0) for s in stages.values())
    criteria = {
        "held_out_n": {"passed": min(sft["n"], grpo["n"]) >= MIN_HELD_OUT, "sft_n": sft["n"], "grpo_n": grpo["n"],
                       "min": MIN_HELD_OUT, "same_tasks": sft["task_ids"] == grpo["task_ids"]},
        "grpo_beats_sft": {"passed": grpo["ci95"][0] > sft["ci95"][1] and sft["task_ids"] == grpo["task_ids"],
                           "sft_ci95": sft["ci95"], "grpo_ci95": grpo["ci95"]},
        "reward_rises": {"passed": last > first, "first_fifth_mean": first, "last_fifth_mean": last,
                         "steps_per_fifth": max(1, len(rewards) // 5)},
        "budget": {"passed": total_seconds <= MAX_SECONDS and peak <= MAX_MEMORY_BYTES,
                   "seconds": total_seconds, "max_seconds": MAX_SECONDS,
                   "peak_pss_bytes": peak, "max_bytes": MAX_MEMORY_BYTES},
    }
    return {
        "config": config,
        "stages": stages,
        "sft_train": results.get("sft"),
        "held_out": {"sft": _held_out(sft), "grpo": _held_out(grpo)},
        "grpo_reward_per_step": rewards,
        "grpo_steps": len(rewards),
        "criteria": criteria,
        "passed": all(c["passed"] for c in criteria.values()),
        "total_seconds": total_seconds,
    }


def write_result(work: str, result: dict) -> str:
    path = os.path.join(work, "result.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def draw_curve(path: str, result: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rewards = result["grpo_reward_per_step"]
    sft, grpo = result["held_out"]["sft"], result["held_out"]["grpo"]
    steps = list(range(1, len(rewards) + 1))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(steps, rewards, marker=".", color="tab:blue", label="GRPO training reward (mean per step)")
    ax.axhline(sft["accuracy"], color="tab:gray", linestyle="--", label=f"SFT held-out accuracy ({sft['accuracy']:.1%})")
    ax.axhspan(sft["ci95"][0], sft["ci95"][1], color="tab:gray", alpha=0.15)
    for x, r, colour, label in ((0, sft, "tab:gray", "SFT"), (len(rewards), grpo, "tab:red", "GRPO")):
        err = [[r["accuracy"] - r["ci95"][0]], [r["ci95"][1] - r["accuracy"]]]
        ax.errorbar([x], [r["accuracy"]], yerr=err, fmt="o", color=colour, capsize=4,
                    label=f"{label} held-out accuracy, n={r['n']} (95% CI)")
    cfg = result["config"]
    ax.set_title(f"{cfg['task_type']} level {cfg['level']}: SFT then GRPO on a CPU (seed {cfg['seed']})")
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("reward / accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)  # the curves sit low: keep the legend off them
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


HINTS = {
    "held_out_n": "too few held-out tasks left after dropping those that overlap training data; raise --set eval_n",
    "grpo_beats_sft": "GRPO did not clearly beat SFT (an SFT accuracy near 0 leaves GRPO no reward to learn "
                      "from); see 'Reading a failing curve' in docs/learning.md",
    "reward_rises": "flat reward: format or template, or (held-out up) too few sampled answers; falling reward: "
                    "sign or weight sync (docs/learning.md)",
    "budget": "over 25 minutes or 12 GiB; a loaded machine runs 3-5x slower than an idle one",
}


def summary_text(result: dict) -> str:
    lines = []
    for kind in ("sft", "grpo"):
        r = result["held_out"][kind]
        lines.append(f"{kind:5s} held-out accuracy {r['accuracy']:.3f} (95% CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}, "
                     f"n={r['n']} held-out tasks, {r['dropped_overlap']} dropped as overlapping training data; "
                     f"{r['distinct']['accuracy']:.3f} over its {r['distinct']['n']} distinct problems)")
    c = result["criteria"]
    lines.append(f"GRPO reward: first fifth {c['reward_rises']['first_fifth_mean']:.3f}, "
                 f"last fifth {c['reward_rises']['last_fifth_mean']:.3f} over {result['grpo_steps']} steps")
    lines.append(f"wall time {result['total_seconds']:.0f} s; peak memory {c['budget']['peak_pss_bytes'] / 2**30:.2f} GiB (PSS)")
    for name, crit in c.items():
        lines.append(f"  {'PASS' if crit['passed'] else 'FAIL'}  {name}"
                     + ("" if crit["passed"] else f": {HINTS[name]}"))
    lines.append("LEARN OK" if result["passed"] else "LEARN FAILED: a criterion above does not hold (result.json)")
    return "\n".join(lines)
