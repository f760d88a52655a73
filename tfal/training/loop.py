"""The one compiled SGD loop: SUP and SEMI (`Trainer`) and PRE's cluster head train through it.

The inner loop is a `tf.function` over `tf.range(num_steps)`, built once: a phase hands it a new
dataset with the same element spec, so nothing retraces between cycles or PRE epochs. Per step,
in cross-replica context, the learning rate is set from the schedule's step counter, each replica
takes its step (softmax cross-entropy over the global batch, coupled L2 exact under loss scaling
and replicas, `tfal.training.regularization`), the losses are summed and the counter moves on.
The outer loop stays in Python: chunks of `steps_per_call` steps, a NaN check between them, and
after each the caller's callbacks (progress bars, logging: this loop shows and records nothing).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import tensorflow as tf

from tfal.training.regularization import add_coupled_l2


@dataclasses.dataclass(frozen=True)
class Chunk:
    """What a training callback is told after each compiled call.

    Attributes:
      steps: optimizer steps of this chunk.
      loss: their mean loss.
      step: the optimizer's step count after it.
      learning_rate: the schedule's rate after it.
    """

    steps: int
    loss: float
    step: int
    learning_rate: float


ChunkCallback = Callable[[Chunk], None]


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite; the run stops instead of training on garbage."""


class CompiledLoop:
    """Steps an optimizer over `variables` on (images, labels) batches, `steps_per_call` per call.

    Args:
      strategy: the tf.distribute strategy the model and optimizer were built under.
      optimizer: a built Keras optimizer (a LossScaleOptimizer scales the loss).
      logits_fn: images -> logits [B, c] in training mode (any float dtype).
      variables: what the gradients are taken for and applied to.
      learning_rate_fn: () -> the learning rate of the current step (a tensor).
      step_counter: the schedule's int64 step variable, incremented after every step.
      weight_decay: coupled L2 coefficient.
      steps_per_call: optimizer steps per compiled call.
      jit_compile: XLA-compile the per-replica step.
    """

    def __init__(
        self,
        *,
        strategy: tf.distribute.Strategy,
        optimizer,
        logits_fn: Callable[[tf.Tensor], tf.Tensor],
        variables: Sequence[tf.Variable],
        learning_rate_fn: Callable[[], tf.Tensor],
        step_counter: tf.Variable,
        weight_decay: float,
        steps_per_call: int,
        jit_compile: bool = False,
    ):
        self.strategy = strategy
        self.optimizer = optimizer
        self.logits_fn = logits_fn
        self.variables = list(variables)
        self.learning_rate_fn = learning_rate_fn
        self.step_counter = step_counter
        self.weight_decay = weight_decay
        self.steps_per_call = steps_per_call
        self.trace_count = 0
        self._step = tf.function(self._step_fn, jit_compile=True) if jit_compile else self._step_fn
        self._loop = tf.function(self._loop_fn)

    def run(
        self,
        dataset: tf.data.Dataset,
        num_steps: int,
        *,
        desc: str,
        callbacks: Sequence[ChunkCallback] = (),
    ) -> float:
        """Takes `num_steps` steps on batches of `dataset`; returns the mean loss.

        Each callback gets a `Chunk` after each compiled call (progress bars, logging); `desc`
        names the phase in the error.

        Raises:
          TrainingDivergedError: the loss is not finite.
        """
        iterator = iter(self.strategy.experimental_distribute_dataset(dataset))
        done, total = 0, 0.0
        while done < num_steps:
            chunk = min(self.steps_per_call, num_steps - done)
            loss = float(self._loop(iterator, tf.constant(chunk, tf.int32)))
            done += chunk
            if not math.isfinite(loss):
                raise TrainingDivergedError(f"{desc}: loss is {loss} at step {done}/{num_steps}")
            total += loss * chunk
            report = Chunk(chunk, loss, int(self.optimizer.iterations.numpy()),
                           float(self.learning_rate_fn()))  # fmt: skip
            for callback in callbacks:
                callback(report)
        return total / max(1, num_steps)

    def _loop_fn(self, iterator, num_steps):
        self.trace_count += 1  # Python side effect: runs only while tracing
        total = tf.constant(0.0)
        for _ in tf.range(num_steps):
            # Schedule updates in cross-replica context, once per step, not once per replica.
            self.optimizer.learning_rate.assign(self.learning_rate_fn())
            per_replica = self.strategy.run(self._step, args=next(iterator))
            total += self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
            self.step_counter.assign_add(1)
        return total / tf.cast(num_steps, tf.float32)

    def _step_fn(self, images, labels):
        global_batch = tf.cast(tf.shape(labels)[0] * self.strategy.num_replicas_in_sync, tf.float32)
        with tf.GradientTape() as tape:
            logits = tf.cast(self.logits_fn(images), tf.float32)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            loss = tf.reduce_sum(ce) / global_batch
            scaled = self.optimizer.scale_loss(loss)  # identity unless a LossScaleOptimizer
        # Coupled L2 as PyTorch's SGD(weight_decay=...), exact under loss scaling and replicas.
        grads = add_coupled_l2(
            tape.gradient(scaled, self.variables),
            self.variables,
            weight_decay=self.weight_decay,
            optimizer=self.optimizer,
            num_replicas=self.strategy.num_replicas_in_sync,
        )
        self.optimizer.apply(grads, self.variables)
        return loss
