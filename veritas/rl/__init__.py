"""verl plug-ins: the dataset that turns environment mixes (or data_gen parquet) into verl rows, and
the reward function that scores replies with the environments' own verifiers.

verl loads them by path through the thin files `tools/dataset_manager.py` and
`tools/reward_manager.py` (docs/verl-plugins.md). The modules here import torch (dataset) and,
in tests and benchmarks only, verl; `veritas.envs` never imports them.
"""
