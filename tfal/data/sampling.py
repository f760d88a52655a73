"""Mini-batch composition in numpy: which pool indices and labels each training step sees.

SUP (Algorithm 1, line 4) cycles through the labeled set. SEMI (line 7, section 4) fills every
mini-batch with a fixed number of labeled examples drawn uniformly from L and the rest drawn from U
with probability eta[w] (the l1-normalised certainty weights of eq. 10), with replacement as the
paper says (or without, as the authors' code does). All randomness comes from the given Generator,
so a campaign is reproducible and resumable.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Batches:
    """Index and label plan of `num_steps` mini-batches: both int [num_steps, batch_size]."""

    indices: np.ndarray
    labels: np.ndarray

    @property
    def num_steps(self) -> int:
        return int(self.indices.shape[0])


def supervised_steps_per_epoch(num_examples: int, batch_size: int) -> int:
    """One epoch is one pass over the examples (at least one step, as with tiny labeled sets)."""
    return max(1, num_examples // batch_size)


def supervised_batches(
    idx: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    num_steps: int,
    rng: np.random.Generator,
) -> Batches:
    """Consecutive random permutations of the labeled examples, cut into batches."""
    idx, labels = np.asarray(idx, np.int64), np.asarray(labels, np.int64)
    if len(idx) == 0:
        raise ValueError("supervised training needs at least one labeled example, got none")
    total = num_steps * batch_size
    perms = [rng.permutation(len(idx)) for _ in range(math.ceil(total / len(idx)))]
    order = np.concatenate(perms)[:total]
    return Batches(
        idx[order].reshape(num_steps, batch_size), labels[order].reshape(num_steps, batch_size)
    )


def semi_steps_per_epoch(
    num_unlabeled: int, *, batch_size: int, num_labeled: int, fraction: float = 0.5
) -> int:
    """Steps until `fraction` * |U| pseudo-labeled examples are drawn (section 6.1: |U|/2).

    Full batches only, as the authors' loader (drop_last): on MNIST 29,995 / 54 -> 555 steps.
    """
    per_batch = batch_size - num_labeled
    return max(1, round(fraction * num_unlabeled) // per_batch)


def semi_batches(
    *,
    labeled_idx: np.ndarray,
    labeled_labels: np.ndarray,
    unlabeled_idx: np.ndarray,
    pseudo_labels: np.ndarray,
    weights: np.ndarray,
    batch_size: int,
    num_labeled: int,
    num_steps: int,
    rng: np.random.Generator,
    replacement: bool = True,
) -> Batches:
    """Mixed mini-batches: `num_labeled` from L, `batch_size - num_labeled` drawn by weight from U.

    Args:
      labeled_idx, labeled_labels: int [|L|] pool indices and true labels.
      unlabeled_idx, pseudo_labels, weights: [|U|] pool indices, LP pseudo-labels and certainty
        weights, aligned with each other.
      replacement: True draws from eta[w] with replacement (paper, section 4); False draws the
        epoch's pseudo-labeled examples without replacement with p proportional to w (authors' code).
    """
    if not 0 < num_labeled < batch_size:
        raise ValueError(
            f"num_labeled={num_labeled} must be in 1..batch_size-1 (batch_size={batch_size})"
        )
    weights = np.asarray(weights, np.float64)
    if len(weights) != len(unlabeled_idx) or len(pseudo_labels) != len(unlabeled_idx):
        raise ValueError(
            f"weights ({len(weights)}) and pseudo_labels ({len(pseudo_labels)}) must align with "
            f"unlabeled_idx ({len(unlabeled_idx)})"
        )
    if np.any(~np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite and non-negative")
    sup = supervised_batches(
        labeled_idx, labeled_labels, batch_size=num_labeled, num_steps=num_steps, rng=rng
    )
    num_pseudo = batch_size - num_labeled
    draws = _weighted_draws(weights, num_steps * num_pseudo, rng, replacement).reshape(
        num_steps, num_pseudo
    )
    unlabeled_idx = np.asarray(unlabeled_idx, np.int64)
    indices = np.concatenate([sup.indices, unlabeled_idx[draws]], axis=1)
    labels = np.concatenate([sup.labels, np.asarray(pseudo_labels, np.int64)[draws]], axis=1)
    return Batches(indices, labels)


def _weighted_draws(
    weights: np.ndarray, count: int, rng: np.random.Generator, replacement: bool
) -> np.ndarray:
    """Positions into `weights` drawn with p = eta[w]; uniform when every weight is zero."""
    total = weights.sum()
    p = weights / total if total > 0 else np.full(len(weights), 1.0 / len(weights))
    if replacement:
        return rng.choice(len(weights), size=count, replace=True, p=p)
    # Without replacement as far as the positive-weight examples allow, then again from the start.
    support = int(np.count_nonzero(p))
    chunks, left = [], count
    while left > 0:
        take = min(left, support)
        chunks.append(rng.choice(len(weights), size=take, replace=False, p=p))
        left -= take
    return np.concatenate(chunks)


def augmentation_params(
    num: int, *, max_shift: int, flip: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-example translation offsets int32 [num, 2] in [0, 2*max_shift] and flips bool [num]."""
    shifts = rng.integers(0, 2 * max_shift + 1, size=(num, 2), dtype=np.int32)
    flips = rng.random(num) < 0.5 if flip else np.zeros(num, dtype=bool)
    return shifts, flips
