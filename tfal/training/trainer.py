"""The Trainer: one model, one optimizer, one compiled multi-step loop for every phase of every cycle.

The inner loop is a `tf.function` over `tf.range(num_steps)` built once; the outer loop (chunks,
logging, NaN checks) stays in Python. Each phase hands the trainer a new dataset with the same
element spec, so nothing retraces between cycles (docs/speed.md).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated

import gin
import keras
import numpy as np
import tensorflow as tf

from tfal.config_types import (
    BelowOne,
    Iterations,
    LearningRate,
    OneOf,
    Range,
    WeightDecay,
    configurable,
)
from tfal.models.contract import check_outputs
from tfal.training.loop import (  # noqa: F401 (TrainingDivergedError re-exported)
    ChunkCallback,
    CompiledLoop,
    TrainingDivergedError,
)
from tfal.training.schedules import cosine_rampdown


@functools.cache
def _multi_worker_mirrored() -> tf.distribute.Strategy:
    """One per process: it configures TensorFlow's collective ops, which only a process whose
    TensorFlow has not started yet can do (`start_collectives`)."""
    return tf.distribute.MultiWorkerMirroredStrategy()


_STRATEGIES = {
    "default": tf.distribute.get_strategy,
    "mirrored": tf.distribute.MirroredStrategy,
    "multi_worker_mirrored": _multi_worker_mirrored,
}
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@configurable(module="tfal.training")
def distribution_strategy(
    name: Annotated[str, OneOf(tuple(_STRATEGIES))] = "default",
) -> tf.distribute.Strategy:
    """The tf.distribute strategy of the Trainer.

    Args:
      name: "default" (one device), "mirrored" (the visible devices of this machine) or
        "multi_worker_mirrored" (several machines, `TF_CONFIG`).
    """
    return _STRATEGIES[name]()


def start_collectives() -> None:
    """Builds the multi-worker strategy now when gin names it: a campaign calls this before any
    TensorFlow op runs (the strategy cannot configure collectives in a started runtime)."""
    try:
        name = gin.query_parameter("tfal.training.distribution_strategy.name")
    except ValueError:  # not bound: the default strategy
        return
    if name == "multi_worker_mirrored":
        _multi_worker_mirrored()


@configurable(module="tfal.training", denylist=["num_classes", "input_shape", "seed"])
class Trainer:
    """Owns model and SGD optimizer; trains for a number of steps and extracts embeddings.

    Args:
      model_fn: factory (num_classes, input_shape) -> keras.Model with {"embedding", "logits"}.
      learning_rate: initial rate of each phase (0.2 in 6.1).
      rampdown_epochs_ratio: cosine reaches zero at this multiple of the phase length (210/200).
      momentum, nesterov, weight_decay: SGD settings of the authors (0.9, True, 2e-4 coupled L2).
      precision: Keras dtype policy: "float32", "mixed_bfloat16" (CPU/TPU) or "mixed_float16" (GPU).
      jit_compile: XLA-compile the training step (a GPU switch); the multi-step loop around it
        stays a plain tf.function, since XLA cannot compile the dataset iterator.
      steps_per_call: optimizer steps per compiled call; between calls the host logs and checks NaN.
      strategy: a tf.distribute strategy (None: the default one-device strategy).
      seed: seed of the network's initial weights and dropout (`model_fn(seed=...)`); the loop
        derives it from the campaign seed (`tfal.seeds`, stream "init").
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, int, int],
        *,
        model_fn: Callable[..., keras.Model] = gin.REQUIRED,
        learning_rate: LearningRate = 0.2,
        rampdown_epochs_ratio: Annotated[float, Range(1.0, 100.0)] = 210 / 200,
        momentum: BelowOne = 0.9,
        nesterov: bool = True,
        weight_decay: WeightDecay = 2e-4,
        precision: Annotated[str, OneOf(PRECISIONS)] = "float32",
        jit_compile: bool = False,
        steps_per_call: Iterations = 50,
        strategy: tf.distribute.Strategy | None = None,
        seed: int = 0,
    ):
        self.strategy = strategy or tf.distribute.get_strategy()
        self.base_lr = learning_rate
        self.rampdown_ratio = rampdown_epochs_ratio
        self.weight_decay = weight_decay
        self.steps_per_call = steps_per_call
        self.precision = precision
        with self.strategy.scope(), _dtype_policy(precision):
            self.model = model_fn(num_classes=num_classes, input_shape=input_shape, seed=seed)
            check_outputs(self.model, num_classes=num_classes, input_shape=input_shape)
            optimizer = keras.optimizers.SGD(
                learning_rate=learning_rate, momentum=momentum, nesterov=nesterov
            )
            if precision == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            self.optimizer = optimizer
            self.optimizer.build(self.model.trainable_variables)
            self._phase_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="phase_step")
            self._rampdown_steps = tf.Variable(
                1, dtype=tf.int64, trainable=False, name="rampdown_steps"
            )
        self.initial_weights = self.model.get_weights()
        # Also the dropout seed-generator states: reset() restores them unless given a cycle's seed.
        self._initial_variables = [v.numpy() for v in self.model.variables]
        # Not zeros: a LossScaleOptimizer's dynamic scale starts high, not at 0.
        self._initial_optimizer_variables = [v.numpy() for v in self.optimizer.variables]
        self._loop = CompiledLoop(
            strategy=self.strategy,
            optimizer=self.optimizer,
            logits_fn=lambda images: self.model(images, training=True)["logits"],
            variables=self.model.trainable_variables,
            learning_rate_fn=lambda: cosine_rampdown(
                self._phase_step, self._rampdown_steps, self.base_lr
            ),
            step_counter=self._phase_step,
            weight_decay=weight_decay,
            steps_per_call=steps_per_call,
            jit_compile=jit_compile,
        )
        self._predict_step = tf.function(self._predict_fn, reduce_retracing=True)
        self._gathered_step = tf.function(self._gathered_fn, reduce_retracing=True)
        self._mc_step = tf.function(self._mc_fn, reduce_retracing=True)

    # ---- state -------------------------------------------------------------------------------
    def reset(
        self, weights: list[np.ndarray] | None = None, *, dropout_seed: int | None = None
    ) -> None:
        """Re-initialises the model (to `weights`, e.g. theta_0 of PRE, else the initial draw) and optimizer.

        Args:
          weights: as `model.get_weights()`; None restores the initial draw.
          dropout_seed: restarts every dropout layer's seed generator from this seed (a cycle's
            own masks); None restores the generators' initial states.
        """
        for variable, value in zip(self.model.variables, self._initial_variables, strict=True):
            variable.assign(value)
        if weights is not None:
            self.model.set_weights(weights)
        if dropout_seed is not None:
            for i, generator in enumerate(_seed_generators(self.model)):
                generator.state.assign(np.array([dropout_seed + i, 0], np.int64))
        for variable, value in zip(
            self.optimizer.variables, self._initial_optimizer_variables, strict=True
        ):
            variable.assign(value)
        self._phase_step.assign(0)

    def model_objects(self) -> dict[str, object]:
        """The model and its dropout seed states (not model variables to tf.train), by name."""
        return {
            "model": self.model,
            "dropout_seeds": [g.state for g in _seed_generators(self.model)],
        }

    def checkpoint_objects(self) -> dict[str, object]:
        """Everything training depends on (model incl. dropout seeds, optimizer, schedule), by
        name, for `tf.train.Checkpoint` (`tfal.training.checkpoints`)."""
        return {
            **self.model_objects(),
            "training": tf.train.Checkpoint(
                optimizer=self.optimizer,
                phase_step=self._phase_step,
                rampdown_steps=self._rampdown_steps,
            ),
        }

    def start_phase(self, num_steps: int) -> None:
        """A new cosine schedule over `num_steps` (a SUP or SEMI phase of a cycle)."""
        self._phase_step.assign(0)
        self._rampdown_steps.assign(max(1, math.ceil(num_steps * self.rampdown_ratio)))

    # ---- training ----------------------------------------------------------------------------
    def train(
        self,
        dataset: tf.data.Dataset,
        num_steps: int,
        *,
        callbacks: Sequence[ChunkCallback] = (),
        desc: str = "train",
    ) -> float:
        """Takes `num_steps` optimizer steps on batches of `dataset`; returns the mean loss.

        Args:
          dataset: repeating dataset of (images float32 [B, H, W, C], labels int32 [B]).
          callbacks: each called after each compiled call with a `Chunk` (its steps, mean loss,
            the optimizer's step, the learning rate): progress bars, logging.
          desc: names the phase in a divergence error.

        Raises:
          TrainingDivergedError: the loss is not finite.
        """
        return self._loop.run(dataset, num_steps, desc=desc, callbacks=callbacks)

    @property
    def trace_count(self) -> int:
        """How often the training loop was traced (1 for a whole campaign: nothing retraces)."""
        return self._loop.trace_count

    def optimizer_step(self) -> int:
        """The optimizer's steps in this cycle (`reset` zeroes it; a mid-cycle checkpoint restores it)."""
        return int(self.optimizer.iterations.numpy())

    def learning_rate(self) -> float:
        return float(cosine_rampdown(self._phase_step, self._rampdown_steps, self.base_lr))

    # ---- inference ---------------------------------------------------------------------------
    def predict(
        self, batches: Iterable[tf.Tensor], *, on_batch: Callable[[int], None] | None = None
    ) -> dict[str, np.ndarray]:
        """Embeddings float32 [n, d] and probabilities float32 [n, c] in inference mode (no augmentation).

        `batches`: normalised image batches, e.g. `InputPipeline.inference_batches` (or a dataset).
        `on_batch(images in the batch)` after each (a progress bar's advance). Under a strategy of
        several replicas (MirroredStrategy's devices, MultiWorkerMirroredStrategy's workers) each
        replica embeds its share of every batch and the shares are gathered back in pool order,
        so every worker returns the whole pool's outputs (`_shared_predict`).
        """
        step = self._predict_step if self.strategy.num_replicas_in_sync == 1 else self._shared_predict
        embeddings, probs = [], []
        for images in batches:
            emb, p = step(images)
            embeddings.append(emb.numpy())
            probs.append(p.numpy())
            if on_batch is not None:
                on_batch(len(embeddings[-1]))
        return {"embedding": np.concatenate(embeddings), "probs": np.concatenate(probs)}

    def predict_mc(
        self,
        batches: Iterable[tf.Tensor],
        *,
        samples: int,
        seed: int,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """float32 [samples, n, c]: probabilities with dropout on (MC dropout, for BALD).

        Batch norm stays in inference mode (its layers are frozen meanwhile, which Keras runs
        with the moving statistics); the dropout masks come from `seed`, and the dropout seed
        generators are put back afterwards, so training after this is unchanged.
        """
        generators = _seed_generators(self.model)
        saved = [g.state.numpy() for g in generators]
        norms = [layer for layer in self.model._flatten_layers(include_self=False)
                 if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]  # fmt: skip
        for i, generator in enumerate(generators):
            generator.state.assign(np.array([seed + i, 0], np.int64))
        for layer in norms:
            layer.trainable = False
        try:
            parts = []
            for images in batches:
                parts.append(np.stack([self._mc_step(images).numpy() for _ in range(samples)]))
                if on_batch is not None:
                    on_batch(len(parts[-1][0]))
        finally:
            for layer in norms:
                layer.trainable = True
            for generator, state in zip(generators, saved, strict=True):
                generator.state.assign(state)
        return np.concatenate(parts, axis=1)

    def _mc_fn(self, images):
        logits = self.model(images, training=True)["logits"]
        return tf.nn.softmax(tf.cast(logits, tf.float32))

    def _shared_predict(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """One batch over the replicas: replica r takes rows [r·s, (r+1)·s) of the batch padded to
        a multiple of the replicas (s rows each); the gather concatenates in replica order, so
        the rows come back in the batch's order, padding dropped. Every worker reads the whole
        batch and computes only its share."""
        images = tf.convert_to_tensor(images)
        n = int(images.shape[0])
        replicas = self.strategy.num_replicas_in_sync
        share = -(-n // replicas)
        padding = [[0, share * replicas - n]] + [[0, 0]] * (images.shape.rank - 1)
        padded = tf.pad(images, padding)
        values = self.strategy.experimental_distribute_values_from_function(
            lambda ctx: padded[ctx.replica_id_in_sync_group * share :][:share]
        )
        emb, p = self._gathered_step(values)
        return emb[:n], p[:n]

    def _gathered_fn(self, values):
        emb, p = self.strategy.run(self._predict_fn, args=(values,))
        return self.strategy.gather(emb, axis=0), self.strategy.gather(p, axis=0)

    def _predict_fn(self, images):
        out = self.model(images, training=False)
        return tf.cast(out["embedding"], tf.float32), tf.nn.softmax(
            tf.cast(out["logits"], tf.float32)
        )


def _seed_generators(model: keras.Model) -> list[keras.random.SeedGenerator]:
    """The seed generators of the model's random layers (dropout), in layer order."""
    return [
        layer.seed_generator
        for layer in model._flatten_layers(include_self=False)
        if isinstance(getattr(layer, "seed_generator", None), keras.random.SeedGenerator)
    ]


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Builds layers under a Keras dtype policy without leaving it set for the rest of the process."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)

