"""Settings of SEMI (Algorithm 1 lines 5-8, section 6.1): LP every epoch, then weighted training."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import numpy as np

from tfal.config_types import (
    MAX_BATCH,
    BatchSize,
    Epochs,
    EpochsOrNone,
    Fraction,
    Range,
    configurable,
)
from tfal.data import sampling
from tfal.lp.config import LPConfig

# (with PRE, with SEMI) -> the paper's name of the setting (section 6.1, Baselines)
SETTINGS = {
    (False, False): "baseline",
    (True, False): "pre",
    (False, True): "semi",
    (True, True): "pre_semi",
}


@configurable(module="tfal.loop")
@dataclasses.dataclass(frozen=True)
class SemiSupervised(LPConfig):
    """Hyper-parameters of the semi-supervised phase of each cycle: LP's options (`LPConfig`:
    `SemiSupervised.k`, `.alpha`, `.whiten`, ... are gin parameters as they were) and these.

    Attributes:
      epochs: SEMI epochs per cycle; LP runs before each.
      sup_epochs: SUP epochs before SEMI, overriding ActiveLearningLoop.sup_epochs when SEMI is on;
        None keeps it (Algorithm 1 line 4), 0 skips SUP so the first LP runs on theta_0's features,
        as the authors' code does.
      batch_size, num_labeled: mini-batch size and its labeled part (128/50; MNIST 64/10).
      epoch_fraction: an epoch ends when this fraction of |U| pseudo-labels is drawn (6.1: 1/2).
      replacement: draw pseudo-labeled examples with replacement (paper) or without (authors' code).
      pixel_epochs: the first this many LPs of each cycle run on the pool's pixels instead of the
        network's embedding (tfal's, beyond the paper; 0: the paper). On a pool of a few thousand
        images a network trained from θ0 on a few labels embeds worse than the raw pixels, so its
        first pseudo-labels come from the pixels' graph, as classical graph SSL's do, and the later
        ones from what the network learned from them (results/small_pool).
      warm_epochs: None (the paper, Algorithm 1 line 4): every cycle re-trains from theta_0. A
        number (tfal's): every cycle after the first starts from the previous cycle's final model
        and runs this many SEMI epochs: it refines a trained network on b more labels, which takes
        a fraction of what training from theta_0 takes (README, Results).
    """

    epochs: Epochs = 200
    sup_epochs: EpochsOrNone | None = None
    batch_size: Annotated[int, Range(2, MAX_BATCH)] = 128
    num_labeled: BatchSize = 50
    epoch_fraction: Fraction = 0.5
    replacement: bool = True
    pixel_epochs: EpochsOrNone = 0
    warm_epochs: Epochs | None = None

    def __post_init__(self):
        if self.pixel_epochs > self.epochs:
            raise ValueError(
                f"SemiSupervised.pixel_epochs={self.pixel_epochs} must be at most "
                f"epochs={self.epochs} (the LPs of a cycle that run on pixels)"
            )
        if self.num_labeled >= self.batch_size:
            raise ValueError(
                f"SemiSupervised.num_labeled={self.num_labeled} must be smaller than "
                f"batch_size={self.batch_size} (the rest of each batch is pseudo-labeled)"
            )

    def warm(self, cycle: int) -> bool:
        """Whether cycle j starts from cycle j - 1's final model instead of theta_0."""
        return self.warm_epochs is not None and cycle > 0

    def epochs_of(self, cycle: int) -> int:
        """SEMI epochs of cycle j: `warm_epochs` for a warm-started cycle, else `epochs`."""
        return self.warm_epochs if self.warm(cycle) else self.epochs

    def on_pixels(self, epoch: int) -> bool:
        """Whether LP before SEMI epoch `epoch` (0-based) of a cycle runs on the pool's pixels."""
        return epoch < self.pixel_epochs

    def sup_epochs_or(self, default: int) -> int:
        """SUP's epochs with SEMI on: `sup_epochs` when set, else the campaign's `default`."""
        return default if self.sup_epochs is None else self.sup_epochs

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
