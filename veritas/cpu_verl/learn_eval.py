"""Held-out evaluation of the learning run: serve a checkpoint on CPU, run ``veritas eval``, score
only held-out tasks that no training task equals by content.

The server is ``scripts/serve-cpu.sh`` (vLLM's CPU build with the project's adaptations), the
client the user's own ``veritas eval`` on the test split. Overlap: two tasks are the same to a
learner when their family's ``content_key`` (answer and metadata, prompt wording aside) is equal;
until the splits are content-disjoint by construction, held-out tasks whose key appears in the
training data are dropped here, and the count dropped is reported.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from veritas.cpu_verl import stages
from veritas.envs import content_key

Z95 = 1.959963984540054


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of correct/n. Computed here from counts (exact 0 and n give bounds of
    exactly 0 and 1, not a rounding error beside them)."""
    if n == 0:
        return (0.0, 1.0)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return (low, high)


# ---- content keys (veritas.envs.content_key: the family's key of a Task, wording aside) -----------
def parquet_task_keys(path: str) -> set[str]:
    """Content keys of the tasks of a data_gen SFT parquet (extra_info holds each task's JSON)."""
    import pyarrow.parquet as pq

    from veritas.envs.base import Task

    keys = set()
    for info in pq.read_table(path, columns=["extra_info"]).column("extra_info").to_pylist():
        task = json.loads(info["task"]) if isinstance(info["task"], str) else info["task"]
        keys.add(content_key(Task(**task)))
    return keys


def mix_task_keys(mix_path: str, items: int) -> set[str]:
    """Content keys of the first ``items`` items of a mix (what GRPO reads with data.shuffle=false),
    with their first few candidates (what the dataset takes when a prompt is too long)."""
    from veritas.mixes import load_mix

    mix = load_mix(mix_path)
    return {content_key(mix.generate(i, c)) for i in range(items) for c in range(2)}


# ---- serving -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float, log_path: str) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise stages.StageFailed(f"the vLLM server exited ({proc.returncode}) before it was healthy; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise stages.StageFailed(f"the vLLM server was not healthy after {timeout:.0f} s; see {log_path}")


def serve_and_eval(stage: str, model_dir: str, name: str, work: str, eval_args: list[str],
                   memory: dict, timeout: float = 900) -> str:
    """Serve model_dir with scripts/serve-cpu.sh, run ``veritas eval`` against it, stop the server.
    Returns the eval's output folder."""
    port = free_port()
    out = os.path.join(work, stage)
    server_log = os.path.join(work, f"{stage}-server.log")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "WANDB_API_KEY")}
    env.update(PYTHONPATH=stages.REPO, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    serve = ["bash", os.path.join(stages.REPO, "scripts", "serve-cpu.sh"), model_dir, "--host", "127.0.0.1",
             "--port", str(port), "--served-model-name", name, "--max-model-len", "2048", "--seed", "0"]
    with open(server_log, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(serve) + "\n\n")
        log.flush()
        server = stages.start_group(serve, log, env)
        sampler = stages.MemorySampler(server.pid)
        try:
            with sampler:
                wait_healthy(server, port, 300, server_log)
                argv = [sys.executable, "-m", "veritas.cli", "eval", "--base-url", f"http://127.0.0.1:{port}/v1",
                        "--model", name, "--out", out, "--no-chart", "--quiet", *eval_args]
                stages.run_logged(stage, argv, os.path.join(work, f"{stage}.log"), env, timeout, memory)
        finally:
            stages.stop_group(server)
            memory.update(rss=memory.get("rss", 0) + sampler.peak_rss, pss=memory.get("pss", 0) + sampler.peak_pss)
    return out


def score_held_out(eval_dir: str, training_keys: set[str], difficulty: int) -> dict:
    """Accuracy over the eval's held-out tasks, with tasks whose content a training task has dropped.

    The held-out tasks are independent draws from the test split, so each one's score (greedy
    decoding: a function of the task's content) is an independent draw of the model's accuracy on
    the cell's task distribution, and the Wilson interval over all of them is an interval for
    that accuracy, repeats included: a content drawn twice weighs twice, as it does in the
    distribution. A small cell's test split draws its commonest contents many times (dyck level 1:
    175 distinct in 512 draws), so ``distinct`` also reports accuracy over the distinct problems
    (the first task id of each content): a different quantity, each problem weighed once, which
    shows how far a gain reaches beyond the common ones."""
    from veritas.envs import generate

    records = []
    with open(os.path.join(eval_dir, "records.jsonl"), encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    errors = [r for r in records if r.get("error")]
    if len(errors) > len(records) // 10:
        raise stages.StageFailed(f"{eval_dir}: {len(errors)} of {len(records)} requests failed "
                                 f"(first: {errors[0]['error']})")
    kept, first_of_content = [], []
    dropped = 0
    seen: set[str] = set()
    for r in sorted(records, key=lambda r: r["task_id"]):
        key = content_key(generate(r["task_type"], r["seed"], difficulty=r.get("difficulty", difficulty)))
        if key in training_keys:
            dropped += 1
            continue
        kept.append(r)
        if key not in seen:
            seen.add(key)
            first_of_content.append(r)
    n = len(kept)
    return {
        **_accuracy(kept),
        "distinct": _accuracy(first_of_content),
        "dropped_overlap": dropped, "requested": len(records),
        "format_error_rate": sum(1 for r in kept if not r.get("format_ok")) / n if n else 0.0,
        "mean_completion_tokens": sum(r.get("completion_tokens") or 0 for r in kept) / n if n else 0.0,
        "task_ids": [r["task_id"] for r in kept],
    }


def _accuracy(records: list[dict]) -> dict:
    """n, correct (score 1), accuracy and its Wilson 95% interval."""
    n = len(records)
    correct = sum(1 for r in records if r["score"] >= 1.0)
    low, high = wilson(correct, n)
    return {"n": n, "correct": correct, "accuracy": correct / n if n else 0.0, "ci95": [low, high]}
