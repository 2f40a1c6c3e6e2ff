"""Token lengths of SFT conversations, counted the way verl 0.9.1's SFT trainer counts them.

verl's MultiTurnSFTDataset renders the `messages` column with the tokenizer's chat template and
refuses (data.truncation=error) a conversation longer than data.max_length, in the middle of a run.
Counting here, with the same tokenizer and template, lets `data_gen sft --tokenizer --max-tokens`
leave such rows out and the SFT launcher refuse a file before torchrun starts.

    python -m veritas.token_lengths --tokenizer MODEL_DIR --max-length 4096 FILE.parquet ...

exits 0 when every row fits, 1 (one line per file naming the count, the longest row and the
override to use) when some do not, 2 when a file or the tokenizer cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys


class LengthCheckError(Exception):
    """A file or tokenizer that cannot be read: one line for the user."""


def load_tokenizer(path: str):
    """A tokenizer from a local folder (a model folder, or one with just the tokenizer files)."""
    if not os.path.isdir(path):
        raise LengthCheckError(f"--tokenizer {path}: not a folder (give a local model or tokenizer folder)")
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises many kinds; the user needs one line
        raise LengthCheckError(f"--tokenizer {path}: cannot load a tokenizer there ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not getattr(tok, "chat_template", None):
        raise LengthCheckError(f"--tokenizer {path}: the tokenizer has no chat template, so conversation "
                               "lengths cannot be counted as the SFT trainer counts them")
    return tok


def conversation_length(tokenizer, messages) -> int:
    """Tokens of one conversation rendered with the chat template (what verl's SFT dataset trains on)."""
    ids = tokenizer.apply_chat_template(list(messages), tokenize=True, add_generation_prompt=False)
    if isinstance(ids, dict) or hasattr(ids, "keys"):  # some versions return a BatchEncoding
        ids = ids["input_ids"]
    return len(ids)


def parquet_lengths(path: str, tokenizer, messages_key: str = "messages") -> list[int]:
    """The token length of every row of a parquet file's `messages_key` column, in row order."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except FileNotFoundError:
        raise LengthCheckError(f"{path}: not found") from None
    except Exception as exc:
        raise LengthCheckError(f"{path}: not a readable parquet file ({type(exc).__name__})") from None
    if messages_key not in pf.schema_arrow.names:
        raise LengthCheckError(f"{path}: no '{messages_key}' column (columns: {', '.join(pf.schema_arrow.names)}); "
                               "SFT files come from `python -m data_gen sft`")
    lengths: list[int] = []
    for batch in pf.iter_batches(columns=[messages_key], batch_size=1024):
        for messages in batch.column(0).to_pylist():
            lengths.append(conversation_length(tokenizer, messages))
    return lengths


def suggested_max_length(longest: int) -> int:
    """The next multiple of 1024 that holds `longest` tokens."""
    return -(-longest // 1024) * 1024


def over_limit_message(path: str, lengths: list[int], max_length: int) -> str | None:
    """One line when rows of `path` exceed max_length, else None."""
    over = [n for n in lengths if n > max_length]
    if not over:
        return None
    longest = max(over)
    return (f"{path}: {len(over)} of {len(lengths)} rows are longer than data.max_length={max_length} tokens "
            f"(longest {longest}); verl's SFT trainer would stop at the first one. Pass "
            f"data.max_length={suggested_max_length(longest)} data.max_token_len_per_gpu="
            f"{2 * suggested_max_length(longest)}, or write the file again without them: "
            f"python -m data_gen sft --tokenizer <model folder> --max-tokens {max_length} ...")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m veritas.token_lengths", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="SFT parquet files")
    ap.add_argument("--tokenizer", required=True, help="local model or tokenizer folder")
    ap.add_argument("--max-length", type=int, required=True, help="data.max_length of the SFT run")
    ap.add_argument("--messages-key", default="messages", help="data.messages_key (default messages)")
    args = ap.parse_args(argv)
    if args.max_length < 1:
        print("veritas.token_lengths: --max-length must be a positive integer", file=sys.stderr)
        return 2
    try:
        tokenizer = load_tokenizer(args.tokenizer)
        status = 0
        for path in args.files:
            lengths = parquet_lengths(path, tokenizer, args.messages_key)
            message = over_limit_message(path, lengths, args.max_length)
            if message:
                print(message, file=sys.stderr)
                status = 1
            else:
                longest = max(lengths) if lengths else 0
                print(f"{path}: {len(lengths)} rows, longest {longest} tokens <= data.max_length={args.max_length}")
        return status
    except LengthCheckError as exc:
        print(f"veritas.token_lengths: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
