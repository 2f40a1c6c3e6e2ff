"""Build a tiny Qwen2-architecture model and tokenizer offline (random weights, real classes).

No model hub is reachable in tests or CI, so the suite, the CPU smoke run and benchmarks build
their own: a byte-level BPE tokenizer trained on text from our environments, with ChatML special
tokens and a chat template, and a `Qwen2ForCausalLM` with tiny sizes. `AutoTokenizer` loads a
`qwen2` model's tokenizer as Qwen2's own class, which imposes Qwen2's pre-tokenizer and NFC
normalizer; we train with exactly those, so the ids the trainer sees equal the ids we trained.

    python -m veritas.testing.tiny_model OUT_DIR     # ~0.5 MB, a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]

# ChatML, as Qwen2.5 instruct models use it, with `add_generation_prompt` and tool-less turns.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def _corpus(lines: int = 400) -> list[str]:
    """Training text: prompts and answers from every registered environment, plus ASCII."""
    from veritas.envs import generate, list_task_types

    text = ["".join(chr(c) for c in range(32, 127)), "The answer is \\boxed{42}. ```python\nprint(1)\n```"]
    types = [t for t in list_task_types() if not t.startswith("rg.")]  # stable corpus, no optional extra
    for i in range(lines):
        if not types:
            break
        task = generate(types[i % len(types)], i)
        text.append(task.prompt)
        text.append(task.answer)
    return text


def build_tokenizer(out_dir: str, vocab_size: int = 1024, extra_text: tuple[str, ...] | list[str] = ()):
    """``extra_text`` joins the training corpus (e.g. worked solutions, so a model trained on them
    sees fewer, more meaningful tokens)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus() + list(extra_text), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        model_max_length=32768,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out_dir)
    return fast


def build_model(out_dir: str, vocab_size: int, hidden_size: int = 128, num_layers: int = 2,
                num_heads: int = 4, num_kv_heads: int = 2, intermediate_size: int = 256, seed: int = 0):
    """head_dim = hidden_size / num_heads; 32 is the smallest vLLM's CPU attention accepts."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        torch_dtype="float32",
    )
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(out_dir)
    return model


def build_tiny_model(out_dir: str, vocab_size: int = 1024, extra_text: tuple[str, ...] | list[str] = (),
                     **model_kwargs) -> str:
    """Write tokenizer + model to out_dir (atomically: a half-built folder never looks complete)."""
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(os.path.join(out_dir, "config.json")):
        return out_dir
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tiny-model-", dir=parent)
    os.chmod(tmp, 0o755)
    tokenizer = build_tokenizer(tmp, vocab_size=vocab_size, extra_text=extra_text)
    build_model(tmp, vocab_size=len(tokenizer), **model_kwargs)
    with open(os.path.join(tmp, "veritas_tiny_model.json"), "w", encoding="utf-8") as fh:
        json.dump({"random_weights": True, "vocab_size": len(tokenizer), **model_kwargs}, fh)
    try:
        os.replace(tmp, out_dir)
    except OSError:  # another process finished first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build a tiny random-weight Qwen2 model and tokenizer offline.")
    ap.add_argument("out_dir")
    ap.add_argument("--hidden-size", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    args = ap.parse_args(argv)
    path = build_tiny_model(args.out_dir, hidden_size=args.hidden_size, num_layers=args.layers)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
