"""Turn eval records into per-task-type numbers. Pure functions of the records, so a resumed run
and an uninterrupted one report the same metrics (latency aside, which is a measurement)."""

from __future__ import annotations

import math
from collections import defaultdict

Z95 = 1.959963984540054


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct (Chen et al., 2021): 1 - C(n-c, k) / C(n, k)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion p observed over n trials. Always 0 <= low <= p <=
    high <= 1: in floating point the formula gives e.g. a lower bound of 5.55e-17 at p = 0, which
    would make an error bar below the point negative (matplotlib refuses those)."""
    if n == 0:
        return (0.0, 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if p <= 0.0 else min(p, max(0.0, centre - half))
    high = 1.0 if p >= 1.0 else max(p, min(1.0, centre + half))
    return (low, high)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize_group(records: list[dict], samples: int) -> dict:
    """Metrics over the records of one group (a task type, or all).

    accuracy: mean score over every sample (pass@1 averaged over the k samples of each task);
    its 95% interval is Wilson's over the number of tasks (samples of one task are not independent).
    pass@k uses the unbiased estimator per task, averaged over tasks.
    """
    by_task: dict[int, list[dict]] = defaultdict(list)
    for r in records:
        by_task[r["task_id"]].append(r)
    n_tasks = len(by_task)
    n_samples = len(records)
    correct_per_task = [sum(1 for r in rs if r["score"] >= 1.0) for rs in by_task.values()]
    accuracy = sum(r["score"] for r in records) / n_samples if n_samples else 0.0
    low, high = wilson_interval(accuracy, n_tasks)
    out = {
        "tasks": n_tasks,
        "samples": n_samples,
        "accuracy": accuracy,
        "accuracy_ci95": [low, high],
        "pass@1": (sum(pass_at_k(len(rs), c, 1) for rs, c in zip(by_task.values(), correct_per_task)) / n_tasks
                   if n_tasks else 0.0),
        "format_error_rate": sum(1 for r in records if not r["format_ok"]) / n_samples if n_samples else 0.0,
        "request_error_rate": sum(1 for r in records if r.get("error")) / n_samples if n_samples else 0.0,
        "mean_reply_chars": sum(len(r["reply"]) for r in records) / n_samples if n_samples else 0.0,
    }
    if samples > 1:
        out[f"pass@{samples}"] = (sum(pass_at_k(len(rs), c, samples) for rs, c in zip(by_task.values(), correct_per_task))
                                  / n_tasks if n_tasks else 0.0)
    tokens = [r["completion_tokens"] for r in records if isinstance(r.get("completion_tokens"), int)]
    out["mean_completion_tokens"] = sum(tokens) / len(tokens) if tokens else None
    latencies = [r["latency_s"] for r in records if isinstance(r.get("latency_s"), (int, float))]
    out["latency_s"] = {
        "mean": sum(latencies) / len(latencies) if latencies else None,
        "p50": _percentile(latencies, 0.5) if latencies else None,
        "p95": _percentile(latencies, 0.95) if latencies else None,
    }
    return out


def summarize(records: list[dict], samples: int) -> dict:
    """{"per_task_type": {type: metrics}, "overall": metrics}; task types in sorted order."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[r["task_type"]].append(r)
    return {
        "per_task_type": {t: summarize_group(groups[t], samples) for t in sorted(groups)},
        "overall": summarize_group(records, samples),
    }
