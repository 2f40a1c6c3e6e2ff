"""The tiny model the suite trains and scores with must behave like a real one."""

from tokenizers import Tokenizer


def test_auto_tokenizer_gives_the_trained_ids(tiny_model_dir, tiny_tokenizer):
    # transformers 5 loads a qwen2 model's tokenizer as Qwen2's own class; if our pre-tokenizer
    # differed from Qwen2's, these ids would differ (../shared/reference/tiny-model.md).
    trained = Tokenizer.from_file(f"{tiny_model_dir}/tokenizer.json")
    for text in ["Hello world! 12345", "⟨⟦⦃⦅ ⦆⦄⟧⟩", "答案是 \\boxed{A,C}\n\n  x", "```python\n(8/(3-8/3))\n```"]:
        assert tiny_tokenizer(text)["input_ids"] == trained.encode(text).ids
        assert tiny_tokenizer.decode(trained.encode(text).ids) == text


def test_chat_template_and_generation(tiny_model_dir, tiny_tokenizer):
    import torch
    from transformers import AutoModelForCausalLM

    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]
    text = tiny_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n") and "<|im_start|>system\nbe brief<|im_end|>" in text
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    inputs = tiny_tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 4
