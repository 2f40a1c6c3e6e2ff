"""verl loads this file by path (data.custom_cls.path/name); the class lives in the veritas package
so that it pickles by module reference when Ray and dataloader workers receive it."""
from veritas.rl.dataset import DynamicEnvDataset

__all__ = ["DynamicEnvDataset"]
