"""PRE: unsupervised pre-training by DeepCluster [5] (Algorithm 1, line 2; sections 3 and 4).

Starting from the random initialisation, every epoch alternates the two halves of [5]:
  1. cluster: extract phi_theta(X) of the whole pool in inference mode, optionally PCA(-whiten),
     L2-normalise, k-means, fix empty clusters -> pseudo-labels y_hat;
  2. learn: re-initialise the k-way head and train backbone + head for one epoch (n examples drawn
     uniformly over clusters) on J(X, I, y_hat, theta) of eq. (2).
The result theta_0 initialises the model at every cycle (line 4). Section 6.1: "We use k-means as
the clustering algorithm and follow the settings of [5]. The model is trained for 250 epochs."

Files live in RUN_DIR/checkpoints/pretrain/ (see `tfal.pretrain.checkpoints`). Every random draw of
epoch e comes from (seed, e), so a PRE resumed from its epoch checkpoint repeats what an
uninterrupted one would have done.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from typing import Annotated

import numpy as np
import tensorflow as tf

from tfal import run_dir as run_dir_layout
from tfal import seeds
from tfal.config_types import (
    MAX_BATCH,
    BatchSize,
    BelowOne,
    Epochs,
    Iterations,
    LearningRate,
    OneOf,
    Range,
    WeightDecay,
    configurable,
)
from tfal.data import sampling
from tfal.data.pipeline import InputPipeline
from tfal.monitoring import console
from tfal.monitoring.results import ResultsWriter
from tfal.pretrain import checkpoints, clustering
from tfal.pretrain.augment import StrokeJitter
from tfal.pretrain.cluster_head import SCHEDULES, ClusterHeadTrainer
from tfal.pretrain.metrics import normalized_mutual_info
from tfal.training.trainer import Trainer

_KMEANS, _PLAN, _AUGMENT, _HEAD, _EMPTY, _JITTER = range(6)  # per-epoch components


@configurable(module="tfal.pretrain")
class DeepCluster:
    """DeepCluster [5] as the paper's PRE.

    Defaults follow [5] where the paper says "follow the settings of [5]", and the authors' code
    where [5] does not fit small images; `whiten=False, reinitialize_head=False,
    balanced_sampling=False, kmeans_iterations=10` give the authors' variant (README, "Where the paper is silent").

    Args:
      epochs: PRE epochs; 250 as the paper says (6.1). The authors' code defaults to 400.
      num_clusters: k; None gives 5 x the number of classes, as the authors' code. [5] uses 10,000
        for 1.3 M ImageNet images (over-segmenting 1,000 classes by 10x); on 10-class sets of
        50-70 k images, 5x still over-segments the classes while leaving ~1,000 images per cluster
        for a stable k-means and a learnable head. Only the class count is used, never labels.
      pca_dim: PCA output dimension before k-means, None for no PCA. The authors cluster the
        L2-normalised embedding directly (their PCA is commented out); [5] keeps 256 of 4,096.
      whiten: whiten the (PCA) components before the L2 normalisation as [5] (on by default);
        the authors switched it off ("did not help"). Measured on MNIST with the small CNN: the
        global-average-pooled embedding has one direction holding ~70% of its variance; without
        whitening its k-means clusters carry as much information about the amount of ink as about
        the digit, and PRE amplifies the former (per-epoch NMI with the classes 0.39 -> 0.21 in
        10 epochs; with whitening it rises, see tests/pretrain/test_pretrain_learns.py).
      batch_size: PRE mini-batch (128).
      learning_rate: SGD rate, 0.02 (the authors' runs; [5]'s code defaults to 0.05).
      momentum, weight_decay: SGD momentum and coupled L2 of [5] (0.9, 1e-5).
      schedule: "constant" as [5], or "cosine" over all PRE steps (tfal.training.schedules).
      kmeans_iterations: Lloyd iterations per epoch ([5]: 20; the authors: 10).
      reassign_empty: give each empty cluster half of a random non-empty one ([5], 3.3).
      reinitialize_head: draw a fresh head every epoch ([5]: cluster ids change meaning between
        epochs); the authors' code keeps one classifier throughout.
      balanced_sampling: draw the epoch uniformly over clusters ([5], 3.3); False shuffles the
        pool once per epoch, as the authors' code.
      checkpoint_every: write the epoch checkpoint every this many epochs (and after the last).
      extract_batch_size: inference batch size of the per-epoch feature extraction.
      reuse_path: an existing theta0.npz (another campaign on the same data and model) to use
        instead of training; its shapes are checked and it is copied into the run directory.
      stroke_jitter: an extra PRE-only augmentation on top of the pipeline's translations
        (`tfal.pretrain.augment.StrokeJitter`, for digits), or None as [5] and the authors.
    """

    def __init__(
        self,
        *,
        epochs: Epochs = 250,
        num_clusters: Annotated[int, Range(2, 1_000_000)] | None = None,
        pca_dim: Annotated[int, Range(1, MAX_BATCH)] | None = None,
        whiten: bool = True,
        batch_size: BatchSize = 128,
        learning_rate: LearningRate = 0.02,
        momentum: BelowOne = 0.9,
        weight_decay: WeightDecay = 1e-5,
        schedule: Annotated[str, OneOf(SCHEDULES)] = "constant",
        kmeans_iterations: Iterations = 20,
        reassign_empty: bool = True,
        reinitialize_head: bool = True,
        balanced_sampling: bool = True,
        checkpoint_every: Epochs = 1,
        extract_batch_size: BatchSize = 1000,
        reuse_path: str | None = None,
        stroke_jitter: StrokeJitter | None = None,
    ):
        if reuse_path is not None and not os.path.isfile(reuse_path):
            raise ValueError(f"DeepCluster.reuse_path={reuse_path!r} is not a file")
        self.epochs = epochs
        self.num_clusters = num_clusters
        self.pca_dim = pca_dim
        self.whiten = whiten
        self.batch_size = batch_size
        self.sgd = dict(
            learning_rate=learning_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            schedule=schedule,
        )
        self.kmeans_iterations = kmeans_iterations
        self.reassign_empty = reassign_empty
        self.reinitialize_head = reinitialize_head
        self.balanced_sampling = balanced_sampling
        self.checkpoint_every = checkpoint_every
        self.extract_batch_size = extract_batch_size
        self.reuse_path = reuse_path
        self.stroke_jitter = stroke_jitter

    def run(
        self,
        trainer: Trainer,
        pipeline: InputPipeline,
        *,
        run_dir: str,
        results: ResultsWriter,
        seed: int,
        diagnostic_labels: np.ndarray | None = None,
        on_epoch: Callable[[dict], None] | None = None,
    ) -> list[np.ndarray]:
        """theta_0 <- PRE(X): trains (or resumes, or reuses) and returns weights for `trainer.model`.

        Args:
          trainer: its model is pre-trained in place; it is left holding theta_0.
          pipeline: the pool's input pipeline (PRE reads all of X, never a label).
          run_dir: the campaign's run directory.
          results: gets one {"stage": "pretrain", "epoch": e, ...} row per epoch.
          seed: the campaign seed; epoch e draws from (seed, e).
          diagnostic_labels: int [n] true pool labels for the oracle NMI diagnostic, or None.
          on_epoch: called with each epoch's results row (e.g. for TensorBoard).

        Returns:
          theta_0 as `trainer.model.get_weights()`.
        """
        directory = run_dir_layout.pretrain_dir(run_dir)
        theta_path = os.path.join(directory, checkpoints.THETA0)
        expected = trainer.model.get_weights()
        if os.path.exists(theta_path):
            theta = checkpoints.load_theta0(theta_path, expected)
            if theta.source or theta.epochs == self.epochs:
                logging.info("PRE: reusing theta_0 of %d epochs from %s", theta.epochs, theta_path)
                trainer.model.set_weights(theta.weights)
                return theta.weights
            if theta.epochs > self.epochs:
                raise ValueError(
                    f"{theta_path} holds theta_0 of {theta.epochs} PRE epochs, more than "
                    f"DeepCluster.epochs={self.epochs}; use a new run directory"
                )
            if not checkpoints.has_epoch_checkpoint(directory):
                raise ValueError(
                    f"cannot extend {theta_path} from {theta.epochs} to {self.epochs} PRE epochs: "
                    f"no epoch checkpoint in {directory}"
                )
            logging.info("PRE: extending theta_0 from %d to %d epochs", theta.epochs, self.epochs)
        elif self.reuse_path is not None:
            return self._reuse(trainer, theta_path, expected)
        k = self.num_clusters or 5 * int(trainer.model.output["logits"].shape[-1])
        ctx = self._context(trainer, pipeline, k, seed=seed, diagnostic_labels=diagnostic_labels)
        self._train(ctx, directory, results=results, on_epoch=on_epoch)
        weights = trainer.model.get_weights()
        checkpoints.save_theta0(theta_path, weights, epochs=self.epochs, num_clusters=k)
        logging.info("PRE: saved theta_0 (%d epochs) to %s", self.epochs, theta_path)
        return weights

    def _reuse(
        self, trainer: Trainer, theta_path: str, expected: list[np.ndarray]
    ) -> list[np.ndarray]:
        theta = checkpoints.load_theta0(self.reuse_path, expected)
        checkpoints.save_theta0(
            theta_path,
            theta.weights,
            epochs=theta.epochs,
            num_clusters=theta.num_clusters,
            source=os.path.abspath(self.reuse_path),
        )
        logging.info("PRE: reusing theta_0 of %d epochs from %s", theta.epochs, self.reuse_path)
        trainer.model.set_weights(theta.weights)
        return theta.weights

    def _context(self, trainer, pipeline, k: int, *, seed: int, diagnostic_labels) -> _EpochContext:
        n = _pool_size(pipeline)
        steps = n // self.batch_size
        if steps < 1 or k > n:
            raise ValueError(
                f"PRE needs a pool of at least batch_size={self.batch_size} and num_clusters={k} "
                f"examples, got {n}"
            )
        head = ClusterHeadTrainer(trainer, k, total_steps=self.epochs * steps, **self.sgd)
        assignment = tf.Variable(np.zeros(n, np.int64), trainable=False, name="assignment")
        return _EpochContext(trainer, pipeline, head, k, steps, seed, diagnostic_labels, assignment)

    def _train(
        self, ctx: _EpochContext, directory: str, *, results: ResultsWriter, on_epoch
    ) -> None:
        """Runs epochs from the latest checkpoint (or the random initialisation) to `self.epochs`."""
        start, previous = self._restore(ctx, directory)
        for epoch in range(start, self.epochs):
            row, previous = self._epoch(ctx, epoch, previous)
            results.write(row)
            console.line(
                f"PRE epoch {epoch + 1}/{self.epochs}: loss {row['loss']:.4f}, "
                f"NMI(prev) {_fmt(row.get('nmi_prev'))}, NMI(labels) {_fmt(row.get('nmi'))}, "
                f"{row['empty_clusters']} empty clusters, {row['seconds']:.1f}s"
            )
            if (epoch + 1) % self.checkpoint_every == 0 or epoch + 1 == self.epochs:
                ctx.assignment.assign(previous)
                _epoch_checkpoints(ctx, directory).save(epoch + 1)
            if on_epoch is not None:
                on_epoch(row)

    def _restore(self, ctx: _EpochContext, directory: str) -> tuple[int, np.ndarray | None]:
        """Loads the latest epoch checkpoint (-> next epoch, last assignment) or starts afresh."""
        epochs_done = _epoch_checkpoints(ctx, directory).restore()
        if epochs_done is None:
            ctx.trainer.model.set_weights(ctx.trainer.initial_weights)
            ctx.head.reset_head(
                *clustering.random_head(
                    ctx.head.head_weights()[0].shape[0], ctx.k, _rng(ctx.seed, 0, _HEAD)
                )
            )
            return 0, None
        if epochs_done > self.epochs:
            raise ValueError(
                f"{directory} has a checkpoint after {epochs_done} PRE epochs, more than "
                f"DeepCluster.epochs={self.epochs}"
            )
        logging.info("PRE: resuming after epoch %d from %s", epochs_done, directory)
        return epochs_done, ctx.assignment.numpy()

    def _epoch(
        self, ctx: _EpochContext, epoch: int, previous: np.ndarray | None
    ) -> tuple[dict, np.ndarray]:
        """One DeepCluster epoch: cluster the pool, then learn its pseudo-labels. Returns (row, assignment)."""
        start = time.perf_counter()
        extract = f"PRE epoch {epoch + 1}/{self.epochs} extract"
        with console.stage(extract, _pool_size(ctx.pipeline), "image") as advance:
            features = ctx.trainer.predict(
                ctx.pipeline.inference_batches(self.extract_batch_size), on_batch=advance
            )["embedding"]
        extracted = time.perf_counter()
        assignment, empty = self._cluster(features, ctx, epoch)
        clustered = time.perf_counter()
        size = ctx.steps * self.batch_size
        if self.balanced_sampling:
            plan = clustering.cluster_balanced_draws(
                assignment, ctx.k, size, _rng(ctx.seed, epoch, _PLAN)
            )
        else:
            plan = _rng(ctx.seed, epoch, _PLAN).permutation(len(assignment))[:size]
        plan = plan.reshape(ctx.steps, self.batch_size)
        if self.reinitialize_head and epoch > 0:  # epoch 0's head was drawn by _restore
            ctx.head.reset_head(
                *clustering.random_head(features.shape[1], ctx.k, _rng(ctx.seed, epoch, _HEAD))
            )
        dataset = ctx.pipeline.train_dataset(
            sampling.Batches(plan, assignment[plan]), _rng(ctx.seed, epoch, _AUGMENT)
        )
        if self.stroke_jitter is not None:
            dataset = self.stroke_jitter.wrap(
                dataset, ctx.steps, self.batch_size, _rng(ctx.seed, epoch, _JITTER)
            )
        desc = f"PRE epoch {epoch + 1}/{self.epochs}"
        with console.training(desc, ctx.steps) as progress:
            loss = ctx.head.train(dataset, ctx.steps, desc=desc, callbacks=[progress])
        end = time.perf_counter()
        row = {
            "stage": "pretrain",
            "epoch": epoch,
            "loss": loss,
            "num_clusters": ctx.k,
            "empty_clusters": empty,
            "largest_cluster": int(np.bincount(assignment).max()),
            "steps": ctx.steps,
            "learning_rate": ctx.head.learning_rate(),
            "seconds": end - start,
            "extract_seconds": extracted - start,
            "cluster_seconds": clustered - extracted,
            "train_seconds": end - clustered,
        }
        if previous is not None:
            row["nmi_prev"] = normalized_mutual_info(previous, assignment)
        if ctx.diagnostic_labels is not None:  # an oracle diagnostic: never used for training
            row["nmi"] = normalized_mutual_info(ctx.diagnostic_labels, assignment)
        return row, assignment

    def _cluster(
        self, features: np.ndarray, ctx: _EpochContext, epoch: int
    ) -> tuple[np.ndarray, int]:
        """Pseudo-labels int64 [n] of the pool and how many clusters k-means left empty."""
        x = clustering.fit_feature_map(features, pca_dim=self.pca_dim, whiten=self.whiten).apply(
            features
        )
        kmeans_seed = int(_rng(ctx.seed, epoch, _KMEANS).integers(2**31 - 1))
        assignment, centroids = clustering.kmeans(
            x, ctx.k, iterations=self.kmeans_iterations, seed=kmeans_seed
        )
        empty = int(np.sum(np.bincount(assignment, minlength=ctx.k) == 0))
        if self.reassign_empty and empty:
            assignment, _ = clustering.fill_empty_clusters(
                x, assignment, centroids, _rng(ctx.seed, epoch, _EMPTY)
            )
        return assignment, empty


@dataclasses.dataclass(frozen=True)
class _EpochContext:
    """What stays fixed across the epochs of one PRE run."""

    trainer: Trainer
    pipeline: InputPipeline
    head: ClusterHeadTrainer
    k: int
    steps: int
    seed: int
    diagnostic_labels: np.ndarray | None
    assignment: tf.Variable  # the last epoch's pseudo-labels, checkpointed with the model


def _epoch_checkpoints(ctx: _EpochContext, directory: str) -> checkpoints.CheckpointDirectory:
    """PRE's epoch checkpoints: the model (dropout RNG states too: exact resume), the cluster head
    with its optimizer and step, and the last assignment."""
    return checkpoints.epoch_checkpoints(
        directory,
        {
            **ctx.trainer.model_objects(),
            **ctx.head.checkpoint_objects(),
            "assignment": ctx.assignment,
        },
    )


def _rng(seed: int, epoch: int, component: int) -> np.random.Generator:
    """The generator of one random component of one epoch: resuming at epoch e redraws the same."""
    return seeds.pretrain_rng(seed, epoch, component)


def _pool_size(pipeline: InputPipeline) -> int:
    """n, the pool size, from the (unbatched) inference dataset's cardinality: nothing is read."""
    n = int(pipeline.inference_dataset(1).cardinality())
    if n < 0:
        raise ValueError("the pipeline's inference dataset has no known size")
    return n


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
