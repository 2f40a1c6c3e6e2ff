"""Tables and charts for eval results: one run, or several side by side."""

from __future__ import annotations

import json
import os

from veritas.eval.runner import EvalSetupError


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:5.1f}"


def format_results_table(results: dict) -> str:
    metrics = results["metrics"]
    samples = results["config"]["samples"]
    passk = f"pass@{samples}" if samples > 1 else None
    header = f"{'task type':32s} {'tasks':>6s} {'acc %':>6s} {'95% CI':>13s} " + (f"{passk + ' %':>9s} " if passk else "") + \
        f"{'fmt err %':>9s} {'req err %':>9s} {'reply chars':>11s} {'p50 s':>7s}"
    lines = [header, "-" * len(header)]
    rows = list(metrics["per_task_type"].items()) + [("overall", metrics["overall"])]
    for name, m in rows:
        lo, hi = m["accuracy_ci95"]
        p50 = m["latency_s"]["p50"]
        lines.append(
            f"{name:32s} {m['tasks']:>6d} {_pct(m['accuracy']):>6s} {_pct(lo) + '-' + _pct(hi).strip():>13s} "
            + (f"{_pct(m[passk]):>9s} " if passk else "")
            + f"{_pct(m['format_error_rate']):>9s} {_pct(m.get('request_error_rate', 0.0)):>9s} "
            + f"{m['mean_reply_chars']:>11.0f} "
            + ("-" if p50 is None else f"{p50:7.2f}").rjust(7)
        )
    return "\n".join(lines)


def _save_figure(fig, path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    os.replace(tmp, path)


def error_bars(metrics: list[dict]) -> tuple[list[float], list[float]]:
    """The lengths (in %) below and above each accuracy of its 95% interval, never negative
    (results.json files written before the interval was clamped can hold a bound 1e-17 past the
    point, and matplotlib refuses a negative error bar)."""
    lo = [max(0.0, (m["accuracy"] - m["accuracy_ci95"][0]) * 100) for m in metrics]
    hi = [max(0.0, (m["accuracy_ci95"][1] - m["accuracy"]) * 100) for m in metrics]
    return lo, hi


def accuracy_chart(results: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = results["metrics"]["per_task_type"]
    names = list(per)
    acc = [per[n]["accuracy"] * 100 for n in names]
    lo, hi = error_bars([per[n] for n in names])
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names) + 2), 4))
    ax.bar(names, acc, yerr=[lo, hi], capsize=4, color="#4C72B0")
    ax.set_ylabel("accuracy % (95% CI)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{results['config']['model']}: accuracy per task type")
    ax.tick_params(axis="x", labelrotation=30)
    _save_figure(fig, path)
    plt.close(fig)


def load_results(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        data["metrics"]["per_task_type"]
        data["config"]["model"]
    except OSError as exc:
        raise EvalSetupError(f"{path}: cannot read results: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise EvalSetupError(f"{path}: not a results.json written by `veritas eval`") from None
    return data


def compare_table(runs: list[tuple[str, dict]]) -> str:
    """Accuracy per task type, one column per run, and each later run's delta from the first."""
    types = sorted({t for _, r in runs for t in r["metrics"]["per_task_type"]})
    labels = [label for label, _ in runs]
    width = max(10, *(len(label) for label in labels))
    header = f"{'task type':32s} " + " ".join(f"{label:>{width}s}" for label in labels)
    header += "".join(f" {'Δ ' + label:>{width + 2}s}" for label in labels[1:])
    lines = [header, "-" * len(header)]
    for t in types + ["overall"]:
        vals = []
        for _, r in runs:
            m = r["metrics"]["overall"] if t == "overall" else r["metrics"]["per_task_type"].get(t)
            vals.append(None if m is None else m["accuracy"])
        row = f"{t:32s} " + " ".join(f"{_pct(v):>{width}s}" for v in vals)
        for v in vals[1:]:
            delta = None if v is None or vals[0] is None else v - vals[0]
            row += f" {('-' if delta is None else f'{100 * delta:+.1f}'):>{width + 2}s}"
        lines.append(row)
    type_sets = [set(r["metrics"]["per_task_type"]) for _, r in runs]
    if any(ts != type_sets[0] for ts in type_sets[1:]):
        lines.append("note: the runs cover different task types ('-' above), so their 'overall' rows "
                     "average different tasks; compare the task types they share")
    return "\n".join(lines)


def compare_chart(runs: list[tuple[str, dict]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = sorted({t for _, r in runs for t in r["metrics"]["per_task_type"]})
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(types) + 2), 4))
    width = 0.8 / len(runs)
    for i, (label, r) in enumerate(runs):
        per = r["metrics"]["per_task_type"]
        present = [j for j, t in enumerate(types) if t in per]  # a type a run lacks gets no bar, not 0%
        metrics = [per[types[j]] for j in present]
        ax.bar([j + i * width for j in present], [m["accuracy"] * 100 for m in metrics], width, label=label,
               yerr=list(error_bars(metrics)), capsize=2)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(types))], types, rotation=30, ha="right")
    ax.set_ylabel("accuracy % (95% CI)")
    ax.set_ylim(0, 100)
    ax.legend()
    _save_figure(fig, path)
    plt.close(fig)
