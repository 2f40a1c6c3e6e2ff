"""verl loads this file by path (reward.custom_reward_function.path/name); the function lives in the
veritas package so that it pickles by module reference when Ray ships it to reward workers."""
from veritas.rl.reward import compute_score

__all__ = ["compute_score"]
