"""`veritas eval`: score a model behind an OpenAI-compatible endpoint on held-out tasks (docs/eval.md)."""
