"""Benchmark of the verl plug-ins on one CPU core: `python -m veritas.rl.bench`.

Prints
- dataset: rows per second from DynamicEnvDataset.__getitem__ (task generation, chat messages,
  the token-length check with a real tokenizer, the row), the seconds for one GRPO batch of
  1,024 prompts (target < 1 s), and the time per item of each task type;
- reward: compute_score calls per second over 1,024 prompts x 8 replies (right, wrong, no answer,
  with and without a reasoning block), and the seconds for those 8,192 replies (target < 0.5 s),
  next to the same scoring without the parsed-task cache.

The tokenizer is the tiny offline one (veritas.testing.tiny_model) unless --tokenizer names a
local tokenizer folder. The mix is train/mixes/lgc-v2-train.yaml when all its families are
registered, else a mix over every registered family. The machine may be shared: CPU time is the
figure to compare, except for families that work in a helper process (trace runs its programs in
a sandbox worker, whose CPU time is not ours): read their wall time on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

PROMPTS = 1024
REPLIES_PER_PROMPT = 8
DEFAULT_MIX = os.path.join("train", "mixes", "lgc-v2-train.yaml")


def pin_one_core() -> str:
    """Run on one core, and keep Rust tokenizers and torch single-threaded."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"core {core}"
    return "unpinned (no sched_setaffinity here)"


def bench_mix_file(path: str | None, tmp: str) -> tuple[str, str]:
    """(mix file, label): the given file, else the shipped lgc-v2 mix when its families are all
    registered, else a mix over every registered family written to `tmp`."""
    import yaml

    from veritas.envs import list_task_types
    from veritas.mixes import MixError, load_mix

    if path is not None:
        return path, path
    try:
        load_mix(DEFAULT_MIX)
        return DEFAULT_MIX, DEFAULT_MIX
    except MixError:
        pass  # a family of the shipped mix is not registered here
    types = list_task_types()
    out = os.path.join(tmp, "all-registered.yaml")
    with open(out, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"split": "train", "size": 1_000_000, "difficulty": "mixed",
                        "tasks": [{"task_type": t} for t in types]}, fh)
    return out, f"every registered family ({', '.join(types)})"


def replies_for(task) -> list[str]:
    """Eight replies of the kinds a policy produces: right and wrong, bare and after reasoning."""
    from veritas.envs import wrong_answers

    misses = wrong_answers(task) or ["I could not solve this."]
    thought = "<think>\n" + ("Let me work through this step by step, checking each part. " * 25) + "\n</think>\n"
    return [
        task.answer,
        thought + task.answer,
        misses[0],
        thought + misses[-1],
        "I am not sure.",
        thought + "Still thinking about " + task.prompt[:200],
        task.answer if len(misses) < 2 else misses[1],
        "",
    ]


def run(args: argparse.Namespace) -> dict:
    where = pin_one_core()
    import torch

    torch.set_num_threads(1)
    from transformers import AutoTokenizer

    from veritas.envs import Task, verify
    from veritas.rl import reward
    from veritas.rl.dataset import DynamicEnvDataset

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_dir = args.tokenizer
        if tokenizer_dir is None:
            from veritas.testing.tiny_model import build_tokenizer

            build_tokenizer(tmp)
            tokenizer_dir = tmp
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        mix_file, mix_label = bench_mix_file(args.mix, tmp)
        dataset = DynamicEnvDataset(mix_file, tokenizer, None, {"max_prompt_length": args.max_prompt_length})

    # --- dataset: fresh indices every round, as a training run reads them
    rows: list[dict] = []
    offset = 0

    per_type: dict[str, list[float]] = {}  # task type -> [items, wall seconds]

    def one_batch() -> None:
        nonlocal rows, offset
        batch = []
        for i in range(PROMPTS):
            t0 = time.perf_counter()
            row = dataset[offset + i]
            spent = per_type.setdefault(row["data_source"], [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - t0
            batch.append(row)
        offset += PROMPTS
        rows = rows or batch

    dataset_wall, dataset_cpu = timed(one_batch, args.seconds)

    # --- reward: one GRPO batch of replies; each reply's extra_info is its own copy, as after Ray
    calls = []
    for row in rows:
        task = Task.from_json(row["extra_info"]["task"])
        for reply in replies_for(task)[:REPLIES_PER_PROMPT]:
            info = json.loads(json.dumps(row["extra_info"]))
            calls.append((row["data_source"], reply, row["reward_model"]["ground_truth"], info))
    right = sum(reward.compute_score(*c)["acc"] for c in calls)

    def score_batch() -> None:
        reward._task_from_json.cache_clear()  # every batch brings new tasks (to parse and to check)
        reward._checked_task_from_json.cache_clear()
        for c in calls:
            reward.compute_score(*c)

    def score_batch_uncached() -> None:
        for _, reply, _, info in calls:
            verify(Task.from_json(info["task"]), reply)

    reward_wall, reward_cpu = timed(score_batch, args.seconds)
    _, uncached_cpu = timed(score_batch_uncached, args.seconds)

    return {
        "cpu": where,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "mix": mix_label,
        "tokenizer": args.tokenizer or "tiny offline BPE (veritas.testing.tiny_model)",
        "max_prompt_length": args.max_prompt_length,
        "dataset_cpu_s_per_1024": dataset_cpu,
        "dataset_wall_s_per_1024": dataset_wall,
        "dataset_items_per_cpu_s": PROMPTS / dataset_cpu,
        "dataset_wall_ms_per_item_by_type": {t: 1e3 * sec / n for t, (n, sec) in sorted(per_type.items())},
        "prompt_skips": dataset.stats["prompt_skips"],
        "items_read": dataset.stats["items"],
        "reward_cpu_s_per_8192": reward_cpu,
        "reward_wall_s_per_8192": reward_wall,
        "reward_calls_per_cpu_s": len(calls) / reward_cpu,
        "reward_calls_per_cpu_s_without_task_cache": len(calls) / uncached_cpu,
        "right_replies": int(right),
        "replies": len(calls),
    }


def timed(fn, seconds: float, max_rounds: int = 20) -> tuple[float, float]:
    """(wall, CPU) seconds per call of fn, over as many calls as fit in `seconds`. CPU time is the
    figure to read on a shared machine: the process is pinned to one core and single-threaded."""
    rounds = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while True:
        fn()
        rounds += 1
        wall = time.perf_counter() - wall0
        if wall >= seconds or rounds >= max_rounds:
            return wall / rounds, (time.process_time() - cpu0) / rounds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m veritas.rl.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--mix", help=f"mix file to read (default {DEFAULT_MIX}, else every registered family)")
    ap.add_argument("--tokenizer", help="local tokenizer folder (default: build the tiny offline one)")
    ap.add_argument("--max-prompt-length", type=int, default=1024, help="data.max_prompt_length (default 1024)")
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget per measurement (default 3)")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    args = ap.parse_args(argv)
    r = run(args)
    print(f"verl plug-ins benchmark, one CPU ({r['cpu']}, load average {r['load_average']:.1f}); mix: {r['mix']}")
    print(f"tokenizer: {r['tokenizer']}; data.max_prompt_length={r['max_prompt_length']}")
    print(f"dataset  {r['dataset_items_per_cpu_s']:>9,.0f} items/s  {r['dataset_cpu_s_per_1024']:.3f} s CPU "
          f"({r['dataset_wall_s_per_1024']:.3f} s wall) per 1,024 prompts  (target < 1 s; "
          f"{r['prompt_skips']} long prompts skipped in {r['items_read']} items)")
    by_type = sorted(r["dataset_wall_ms_per_item_by_type"].items(), key=lambda kv: -kv[1])
    print("         ms per item (wall): " + ", ".join(f"{t} {ms:.2f}" for t, ms in by_type))
    print(f"reward   {r['reward_calls_per_cpu_s']:>9,.0f} calls/s  {r['reward_cpu_s_per_8192']:.3f} s CPU "
          f"({r['reward_wall_s_per_8192']:.3f} s wall) per 1,024 x 8 replies  (target < 0.5 s; "
          f"{r['right_replies']} of {r['replies']} right)")
    print(f"         {r['reward_calls_per_cpu_s_without_task_cache']:>9,.0f} calls/s  without the parsed-task cache")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(r, fh, indent=2)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
