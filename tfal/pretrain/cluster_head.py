"""The learning half of DeepCluster [5]: a k-way head on the Trainer's backbone, trained by SGD.

Learning on cluster pseudo-labels follows J(X, I, y_hat, theta) of eq. (2): cross-entropy of a
linear classifier over the k clusters, on the embedding phi_theta. The head shares every backbone
layer with `trainer.model` (a functional model on the same layers), so training it trains theta;
the Trainer's own c-class classifier is not on the path and stays untouched.

As in the Trainer, the inner loop is one `tf.function` over `tf.range(num_steps)`, built once: every
epoch brings a new dataset with the same element spec and the same k, so nothing retraces.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from tfal.monitoring import console
from tfal.training.regularization import add_coupled_l2
from tfal.training.schedules import cosine_rampdown
from tfal.training.trainer import Trainer, TrainingDivergedError

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
        self.trace_count = 0
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
        self._loop = tf.function(self._loop_fn)

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
    def train(self, dataset: tf.data.Dataset, num_steps: int, *, desc: str) -> float:
        """Takes `num_steps` steps on (images, cluster ids) batches of `dataset`; returns the mean loss.

        Raises:
          TrainingDivergedError: the loss is not finite.
        """
        iterator = iter(self.strategy.experimental_distribute_dataset(dataset))
        chunk_size = self.trainer.steps_per_call
        done, total = 0, 0.0
        with console.stage(desc, num_steps, "step") as advance:
            while done < num_steps:
                chunk = min(chunk_size, num_steps - done)
                loss = float(self._loop(iterator, tf.constant(chunk, tf.int32)))
                done += chunk
                if not math.isfinite(loss):
                    raise TrainingDivergedError(
                        f"{desc}: loss is {loss} at step {done}/{num_steps}"
                    )
                total += loss * chunk
                advance(chunk, loss=loss)
        return total / max(1, num_steps)

    def _lr(self):
        if not self.cosine:
            return tf.constant(self.base_lr, tf.float32)
        return cosine_rampdown(self._step, self._rampdown, self.base_lr)

    def _loop_fn(self, iterator, num_steps):
        self.trace_count += 1  # Python side effect: runs only while tracing
        total = tf.constant(0.0)
        for _ in tf.range(num_steps):
            per_replica = self.strategy.run(self._train_step, args=next(iterator))
            total += self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        return total / tf.cast(num_steps, tf.float32)

    def _train_step(self, images, labels):
        self.optimizer.learning_rate.assign(self._lr())
        global_batch = tf.cast(tf.shape(labels)[0] * self.strategy.num_replicas_in_sync, tf.float32)
        with tf.GradientTape() as tape:
            logits = tf.cast(self.model(images, training=True), tf.float32)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            loss = tf.reduce_sum(ce) / global_batch
            scaled = self.optimizer.scale_loss(loss)  # identity unless a LossScaleOptimizer
        # Coupled L2 as PyTorch's SGD(weight_decay=...) in [5], exact under loss scaling and replicas.
        grads = add_coupled_l2(
            tape.gradient(scaled, self.variables),
            self.variables,
            weight_decay=self.weight_decay,
            optimizer=self.optimizer,
            num_replicas=self.strategy.num_replicas_in_sync,
        )
        self.optimizer.apply(grads, self.variables)
        self._step.assign_add(1)
        return loss
