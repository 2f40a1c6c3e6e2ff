"""Datasets from the environments: task JSONL, SFT and RL parquet for verl, teacher distillation.

    python -m data_gen --help

One module per subcommand (jsonl, sft, rl, distill, validate, bench); shared pieces: `selection`
(which tasks), `work` (the per-chunk builders that run in worker processes), `pool` (an
order-preserving process pool), `output` (atomic, resumable JSONL and parquet writers), `schemas`
(the parquet schemas). Row layouts come from `veritas.rows`; scoring is `veritas.envs.verify`.
"""

__all__ = ["DataGenError"]


class DataGenError(Exception):
    """Bad input or a state the command cannot continue from; the message names the flag, file or row."""
