"""Training: the Trainer (SGD, cosine schedule, compiled multi-step loop) and its schedules."""

from tfal.training.trainer import Trainer, TrainingDivergedError, distribution_strategy

__all__ = ["Trainer", "TrainingDivergedError", "distribution_strategy"]
