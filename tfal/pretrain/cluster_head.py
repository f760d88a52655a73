"""The learning half of DeepCluster [5]: a k-way head on the Trainer's backbone, trained by SGD.

Learning on cluster pseudo-labels follows J(X, I, y_hat, theta) of eq. (2): cross-entropy of a
linear classifier over the k clusters, on the embedding phi_theta. The head shares every backbone
layer with `trainer.model` (a functional model on the same layers), so training it trains theta;
the Trainer's own c-class classifier is not on the path and stays untouched.

It trains through the Trainer's compiled loop (`tfal.training.loop.CompiledLoop`: chunked
`tf.range`, NaN check, progress, loss scaling, coupled L2), built once: every epoch brings a new
dataset with the same element spec and the same k, so nothing retraces.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from tfal.training.loop import CompiledLoop
from tfal.training.schedules import cosine_rampdown
from tfal.training.trainer import Trainer

SCHEDULES = ("constant", "cosine")


class ClusterHeadTrainer:
    """Trains backbone + a re-initialisable k-way head with SGD (momentum, coupled L2).

    Args:
      trainer: owner of the backbone (`trainer.model` with an "embedding" output), its strategy,
        precision and `steps_per_call`.
      num_clusters: k, the head's width.
      learning_rate, momentum, weight_decay: SGD settings ([5]: 0.05, 0.9, 1e-5).
      schedule: "constant" ([5]) or "cosine" over `total_steps` (tfal.training.schedules, with the
        Trainer's ramp-down ratio).
      total_steps: PRE's length in optimizer steps (the cosine's horizon).
    """

    def __init__(
        self,
        trainer: Trainer,
        num_clusters: int,
        *,
        learning_rate: float,
        momentum: float,
        weight_decay: float,
        schedule: str,
        total_steps: int,
    ):
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}; allowed: {', '.join(SCHEDULES)}")
        self.trainer = trainer
        self.strategy = trainer.strategy
        self.base_lr = learning_rate
        self.cosine = schedule == "cosine"
        self.weight_decay = weight_decay
        with self.strategy.scope():
            self.head = keras.layers.Dense(num_clusters, dtype="float32", name="deepcluster_head")
            embedding = trainer.model.output["embedding"]
            self.model = keras.Model(trainer.model.input, self.head(embedding), name="deepcluster")
            head_ids = {id(v) for v in self.head.trainable_variables}
            backbone = [v for v in self.model.trainable_variables if id(v) not in head_ids]
            # Head last: its momentum slots are then the last ones (zeroed at every re-initialisation).
            self.variables = backbone + list(self.head.trainable_variables)
            optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
            if trainer.precision == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            optimizer.build(self.variables)
            self.optimizer = optimizer
            self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="pretrain_step")
        self._rampdown = max(1, math.ceil(total_steps * trainer.rampdown_ratio))
        self._loop = CompiledLoop(
            strategy=self.strategy,
            optimizer=self.optimizer,
            logits_fn=lambda images: self.model(images, training=True),
            variables=self.variables,
            learning_rate_fn=self._lr,
            step_counter=self._step,
            weight_decay=weight_decay,
            steps_per_call=trainer.steps_per_call,
        )

    # ---- state -------------------------------------------------------------------------------
    def reset_head(self, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Re-initialises the head to (kernel [d, k], bias [k]) and forgets its momentum."""
        self.head.kernel.assign(kernel)
        self.head.bias.assign(bias)
        inner = getattr(self.optimizer, "inner_optimizer", self.optimizer)
        slots = getattr(inner, "momentums", [])
        if slots:
            if len(slots) != len(self.variables):
                raise RuntimeError(
                    f"SGD has {len(slots)} momentum slots for {len(self.variables)} variables"
                )
            for slot in slots[-2:]:
                slot.assign(tf.zeros_like(slot))

    def head_weights(self) -> list[np.ndarray]:
        """[kernel [d, k], bias [k]] of the head, for checkpoints."""
        return [self.head.kernel.numpy(), self.head.bias.numpy()]

    def checkpoint_objects(self) -> dict[str, object]:
        """The head, its optimizer (momentum, loss scale) and the schedule step, by name, for
        `tf.train.Checkpoint`."""
        return {
            "cluster_head": self.head,
            "cluster_training": tf.train.Checkpoint(optimizer=self.optimizer, step=self._step),
        }

    def learning_rate(self) -> float:
        return float(self._lr())

    # ---- training ----------------------------------------------------------------------------
    def train(
        self, dataset: tf.data.Dataset, num_steps: int, *, desc: str, callbacks=()
    ) -> float:
        """Takes `num_steps` steps on (images, cluster ids) batches of `dataset`; returns the mean
        loss; each callback gets a `tfal.training.Chunk` after each compiled call.

        Raises:
          TrainingDivergedError: the loss is not finite.
        """
        return self._loop.run(dataset, num_steps, desc=desc, callbacks=callbacks)

    @property
    def trace_count(self) -> int:
        return self._loop.trace_count

    def _lr(self):
        if not self.cosine:
            return tf.constant(self.base_lr, tf.float32)
        return cosine_rampdown(self._step, self._rampdown, self.base_lr)
