"""Settings of SEMI (Algorithm 1 lines 5-8, section 6.1): LP every epoch, then weighted training."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import numpy as np

from tfal.config_types import (
    MAX_BATCH,
    BatchSize,
    Epochs,
    EpochsOrNone,
    Fraction,
    Iterations,
    Neighbours,
    OneOf,
    OpenFraction,
    Positive,
    Range,
    Tolerance,
    configurable,
)
from tfal.data import sampling
from tfal.lp import diffusion, graph, knn


@configurable(module="tfal.loop")
@dataclasses.dataclass(frozen=True)
class SemiSupervised:
    """Hyper-parameters of the semi-supervised phase of each cycle.

    Attributes:
      epochs: SEMI epochs per cycle; LP runs before each.
      sup_epochs: SUP epochs before SEMI, overriding ActiveLearningLoop.sup_epochs when SEMI is on;
        None keeps it (Algorithm 1 line 4), 0 skips SUP so the first LP runs on theta_0's features,
        as the authors' code does.
      batch_size, num_labeled: mini-batch size and its labeled part (128/50; MNIST 64/10).
      epoch_fraction: an epoch ends when this fraction of |U| pseudo-labels is drawn (6.1: 1/2).
      replacement: draw pseudo-labeled examples with replacement (paper) or without (authors' code).
      k, alpha, gamma, symmetrize, clip_negative, max_iter, tol, index, class_balance_y: LP options,
        passed to `tfal.lp.propagate` (k=50, alpha=0.99, gamma=3 as in 6.1; 20 CG iterations at
        tolerance 1e-6 as in [15]).
      whiten: PCA-whiten the embeddings before LP's kNN graph (`tfal.lp.pca_whiten`), tfal's
        improvement beyond the paper for few labels; off in the faithful configs.
      cg_backend: kernel of LP's sparse products, "auto" (TensorFlow's for large graphs), "scipy"
        or "tensorflow" (`tfal.lp.diffusion`).
    """

    epochs: Epochs = 200
    sup_epochs: EpochsOrNone | None = None
    batch_size: Annotated[int, Range(2, MAX_BATCH)] = 128
    num_labeled: BatchSize = 50
    epoch_fraction: Fraction = 0.5
    replacement: bool = True
    k: Neighbours = 50
    alpha: OpenFraction = 0.99
    gamma: Positive = 3.0
    symmetrize: Annotated[str, OneOf(graph.SYMMETRIZE_NAMES)] = "sum"
    clip_negative: bool = True
    max_iter: Iterations = 20
    tol: Tolerance = 1e-6
    index: Annotated[str, OneOf(knn.INDEX_NAMES)] = "auto"
    class_balance_y: bool = True
    whiten: bool = False
    cg_backend: Annotated[str, OneOf(diffusion.BACKEND_NAMES)] = "auto"

    def __post_init__(self):
        if self.num_labeled >= self.batch_size:
            raise ValueError(
                f"SemiSupervised.num_labeled={self.num_labeled} must be smaller than "
                f"batch_size={self.batch_size} (the rest of each batch is pseudo-labeled)"
            )

    def steps_per_epoch(self, num_unlabeled: int) -> int:
        """Optimizer steps of one SEMI epoch (|U|/2 pseudo-labels drawn, section 6.1)."""
        return sampling.semi_steps_per_epoch(
            num_unlabeled,
            batch_size=self.batch_size,
            num_labeled=self.num_labeled,
            fraction=self.epoch_fraction,
        )

    def epoch_batches(
        self,
        *,
        labeled_idx: np.ndarray,
        labels: np.ndarray,
        unlabeled_idx: np.ndarray,
        pseudo_labels: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> sampling.Batches:
        """One epoch's mixed mini-batches; pseudo_labels and weights are [n], indexed by pool index."""
        return sampling.semi_batches(
            labeled_idx=labeled_idx,
            labeled_labels=labels,
            unlabeled_idx=unlabeled_idx,
            pseudo_labels=pseudo_labels[unlabeled_idx],
            weights=weights[unlabeled_idx],
            batch_size=self.batch_size,
            num_labeled=self.num_labeled,
            num_steps=self.steps_per_epoch(len(unlabeled_idx)),
            rng=rng,
            replacement=self.replacement,
        )

    def graph_options(self) -> dict[str, Any]:
        """The options of LP's kNN graph (`tfal.lp.affinity_graph`), for jLP's acquisition."""
        graph_keys = ("k", "gamma", "symmetrize", "clip_negative", "index", "whiten")
        return {key: value for key, value in self.lp_options().items() if key in graph_keys}

    def lp_options(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "symmetrize": self.symmetrize,
            "clip_negative": self.clip_negative,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "index": self.index,
            "class_balance_y": self.class_balance_y,
            "whiten": self.whiten,
            "cg_backend": self.cg_backend,
        }
