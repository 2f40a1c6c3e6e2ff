"""Fold a LoRA adapter into its base weights: SRC (a model folder with lora_adapter/ inside, as
verl's model merger writes it) -> DST (a plain Hugging Face model, same dtype as the base, so it is
no larger than the base; SRC's lora_adapter/ is copied beside the weights for reference).

    python3 train/scripts/fold_lora.py SRC DST

Used by merge-checkpoint.sh; DST must not exist.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def fold(src: Path, dst: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = src / "lora_adapter"
    if not (adapter / "adapter_config.json").is_file():
        raise SystemExit(f"fold_lora: {adapter}/adapter_config.json not found: {src} holds no LoRA adapter")
    if dst.exists():
        raise SystemExit(f"fold_lora: {dst} exists; refusing to overwrite it")

    base = AutoModelForCausalLM.from_pretrained(src, dtype="auto")
    dtype = next(base.parameters()).dtype
    # The adapter is loaded in the base's dtype, and the merged weights are cast back to it: a
    # float32 adapter would otherwise upcast every merged matrix and double the folder's size.
    merged = PeftModel.from_pretrained(base, adapter, torch_device="cpu").merge_and_unload()
    merged = merged.to(dtype)
    with torch.no_grad():
        merged.save_pretrained(dst)
    AutoTokenizer.from_pretrained(src).save_pretrained(dst)
    for extra in ("generation_config.json",):
        if (src / extra).is_file() and not (dst / extra).exists():
            shutil.copy2(src / extra, dst / extra)
    shutil.copytree(adapter, dst / "lora_adapter")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", type=Path, help="model folder with lora_adapter/ (verl model merger output)")
    parser.add_argument("dst", type=Path, help="where the folded model goes (must not exist)")
    args = parser.parse_args(argv)
    fold(args.src, args.dst)
    print(f"fold_lora: folded {args.src / 'lora_adapter'} into {args.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
