"""Training: the Trainer (SGD, cosine schedule), the compiled multi-step loop it and PRE share, schedules."""

from tfal.training.loop import Chunk, CompiledLoop, TrainingDivergedError
from tfal.training.trainer import Trainer, distribution_strategy

__all__ = ["Chunk", "CompiledLoop", "Trainer", "TrainingDivergedError", "distribution_strategy"]
