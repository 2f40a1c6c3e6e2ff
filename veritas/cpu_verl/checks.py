"""What a smoke stage must have left behind; each failure says what is missing and where.

verl's ``file`` logger (``trainer.logger=[...,file]``, path from ``VERL_FILE_LOGGER_PATH``) writes
one JSON line per logged step: ``{"step": N, "data": {metric: value}}``.
"""

from __future__ import annotations

import json
import math
import os
import re


class SmokeFailure(AssertionError):
    """A smoke stage ran but did not produce what it must."""


def read_metrics(path: str) -> dict[int, dict[str, float]]:
    """Step -> metrics, merged over the lines of verl's file logger (a step may log twice)."""
    if not os.path.isfile(path):
        raise SmokeFailure(f"{path}: no metrics file (verl's file logger wrote nothing)")
    steps: dict[int, dict[str, float]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                steps.setdefault(int(row["step"]), {}).update(row["data"])
            except (ValueError, KeyError, TypeError) as exc:
                raise SmokeFailure(f"{path} line {n}: not a file-logger record ({exc})") from None
    if not steps:
        raise SmokeFailure(f"{path}: empty, no step was logged")
    return steps


def _finite(steps: dict[int, dict], step: int, key: str, where: str) -> float:
    value = steps.get(step, {}).get(key)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SmokeFailure(f"{where}: step {step} has no finite '{key}' (got {value!r})")
    return float(value)


def latest_checkpoint(ckpt_dir: str) -> int:
    """The step in verl's ``latest_checkpointed_iteration.txt``."""
    tracker = os.path.join(ckpt_dir, "latest_checkpointed_iteration.txt")
    try:
        with open(tracker, encoding="utf-8") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError) as exc:
        raise SmokeFailure(f"{tracker}: no readable checkpoint tracker ({exc})") from None


def _require_files(folder: str, names: list[str]) -> None:
    missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise SmokeFailure(f"{folder}: checkpoint incomplete, missing {missing}")


def check_sft(ckpt_dir: str, metrics_path: str, steps: int) -> dict[str, float]:
    if latest_checkpoint(ckpt_dir) != steps:
        raise SmokeFailure(f"{ckpt_dir}: latest checkpoint is step {latest_checkpoint(ckpt_dir)}, expected {steps}")
    _require_files(os.path.join(ckpt_dir, f"global_step_{steps}"),
                   ["model_world_size_1_rank_0.pt", "optim_world_size_1_rank_0.pt", "huggingface/config.json"])
    logged = read_metrics(metrics_path)
    losses = [_finite(logged, s, "train/loss", metrics_path) for s in range(1, steps + 1)]
    val = _finite(logged, steps, "val/loss", metrics_path)
    return {"first_loss": losses[0], "last_loss": losses[-1], "val_loss": val}


SYNC_METRIC = "training/rollout_actor_probs_pearson_corr"
MIN_SYNC_CORRELATION = 0.9


def check_grpo(ckpt_dir: str, metrics_path: str, first_step: int, last_step: int,
               validated_step: int | None) -> dict[str, float]:
    """Steps first..last logged with rewards and non-empty answers, a full checkpoint at last."""
    if latest_checkpoint(ckpt_dir) != last_step:
        raise SmokeFailure(f"{ckpt_dir}: latest checkpoint is step {latest_checkpoint(ckpt_dir)}, expected {last_step}")
    step_dir = os.path.join(ckpt_dir, f"global_step_{last_step}")
    _require_files(step_dir, ["data.pt", "actor/model_world_size_1_rank_0.pt", "actor/optim_world_size_1_rank_0.pt"])
    logged = read_metrics(metrics_path)
    trained = sorted(s for s, m in logged.items() if "critic/score/mean" in m)
    if trained != list(range(first_step, last_step + 1)):
        raise SmokeFailure(f"{metrics_path}: rewards logged for steps {trained}, expected {first_step}..{last_step}"
                           + (" (did the run resume from its checkpoint?)" if first_step > 1 else ""))
    for step in trained:
        score = _finite(logged, step, "critic/score/mean", metrics_path)
        if not 0.0 <= score <= 1.0:
            raise SmokeFailure(f"{metrics_path}: step {step} critic/score/mean={score} outside [0, 1]")
        if _finite(logged, step, "response_length/mean", metrics_path) <= 0:
            raise SmokeFailure(f"{metrics_path}: step {step}: the rollout produced empty answers")
        # vLLM starts on dummy weights (load_format=dummy) and gets the actor's through the weight
        # sync; if that failed, its token probabilities would be unrelated to the actor's.
        corr = _finite(logged, step, SYNC_METRIC, metrics_path)
        if corr < MIN_SYNC_CORRELATION:
            raise SmokeFailure(f"{metrics_path}: step {step}: {SYNC_METRIC}={corr:.3f} < {MIN_SYNC_CORRELATION}: "
                               "the rollout does not run the actor's weights (weight sync)")
    summary = {"score_mean": _finite(logged, last_step, "critic/score/mean", metrics_path),
               "sync_corr": round(_finite(logged, last_step, SYNC_METRIC, metrics_path), 4),
               "step_seconds": _finite(logged, last_step, "timing_s/step", metrics_path)}
    if validated_step is not None:
        val_keys = [k for k in logged.get(validated_step, {}) if k.startswith("val-core/")]
        if not val_keys:
            raise SmokeFailure(f"{metrics_path}: step {validated_step} has no validation metrics (val-core/...)")
        summary["val_keys"] = len(val_keys)
    return summary


RESUME_LINE = re.compile(r"Resuming from (\S+?)/global_step_(\d+)")


def check_resumed_from(log_path: str, ckpt_dir: str, step: int) -> None:
    """verl's trainer logs 'Resuming from <dir>/global_step_N' when it loads a checkpoint."""
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        found = [(m.group(1), int(m.group(2))) for m in RESUME_LINE.finditer(fh.read())]
    if not found:
        raise SmokeFailure(f"{log_path}: the run did not resume (no 'Resuming from ...' line)")
    folder, resumed = found[-1]
    if resumed != step or os.path.realpath(folder) != os.path.realpath(ckpt_dir):
        raise SmokeFailure(f"{log_path}: resumed from {folder}/global_step_{resumed}, "
                           f"expected {ckpt_dir}/global_step_{step}")
