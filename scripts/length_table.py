"""Token lengths of prompts and worked solutions per (task type, difficulty level): the table behind
the GRPO launcher's data.max_prompt_length / data.max_response_length (docs/training.md, "Length
budgets").

No model hub is reachable here, so Qwen's own tokenizer cannot be loaded. What is measured instead is
the number of pieces Qwen2's pre-tokenizer splits a text into (its regex, taken from transformers):
byte-level BPE never merges across pieces, so every piece is at least one token and the count is a
LOWER BOUND on Qwen2/Qwen2.5/Qwen3 token counts. The upper bound is the UTF-8 byte count. A prompt
also carries the chat template's wrapping (ChatML markers, and Qwen2.5's default system prompt when
the row has none): about 30 tokens, added as CHAT_OVERHEAD.

    python scripts/length_table.py --seeds 200 > lengths.md       # markdown table
"""

from __future__ import annotations

import argparse
import statistics
import sys

CHAT_OVERHEAD = 30  # "<|im_start|>system\nYou are Qwen, ...<|im_end|>\n<|im_start|>user\n...": ~30 tokens


def piece_counter():
    import regex
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    pattern = regex.compile(PRETOKENIZE_REGEX)

    def count(text: str) -> int:
        import unicodedata

        return sum(1 for _ in pattern.finditer(unicodedata.normalize("NFC", text)))

    return count


def percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(task_types: list[str], seeds: int, levels: list[int]) -> list[dict]:
    from veritas.envs import generate, worked_solution

    count = piece_counter()
    rows = []
    for task_type in task_types:
        for level in levels:
            prompts, solutions = [], []
            for seed in range(seeds):
                task = generate(task_type, seed, level)
                prompts.append(count(task.prompt) + CHAT_OVERHEAD)
                try:
                    solutions.append(count(worked_solution(task)))
                except NotImplementedError:
                    pass
            rows.append({"task_type": task_type, "level": level, "n": seeds, "prompts": prompts,
                         "solutions": solutions})
            print(f"measured {task_type} level {level}", file=sys.stderr, flush=True)
    return rows


def share_over(values: list[int], limit: int) -> str:
    if not values:
        return "-"
    return f"{100.0 * sum(v > limit for v in values) / len(values):.1f}%"


def render(rows: list[dict], prompt_limit: int, response_limit: int) -> str:
    head = ("| task type | level | n | prompt p50 / p95 / max | prompts > "
            f"{prompt_limit} | solution p50 / p95 / max | solutions > {response_limit} |")
    out = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        p, s = r["prompts"], r["solutions"]
        sol = (f"{statistics.median(s):.0f} / {percentile(s, 0.95)} / {max(s)}" if s else "-")
        out.append(f"| {r['task_type']} | {r['level']} | {r['n']} | {statistics.median(p):.0f} / "
                   f"{percentile(p, 0.95)} / {max(p)} | {share_over(p, prompt_limit)} | {sol} | "
                   f"{share_over(s, response_limit)} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from veritas.envs import DIFFICULTY_LEVELS, list_task_types

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200, help="tasks per (task type, level) (default 200)")
    ap.add_argument("--task-types", default="all", help="comma-separated, or all (default)")
    ap.add_argument("--prompt-limit", type=int, default=1024, help="prompt budget to report against")
    ap.add_argument("--response-limit", type=int, default=2048, help="response budget to report against")
    args = ap.parse_args(argv)
    types = list_task_types() if args.task_types == "all" else args.task_types.split(",")
    rows = measure(types, args.seeds, list(DIFFICULTY_LEVELS))
    print(render(rows, args.prompt_limit, args.response_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
