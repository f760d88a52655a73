"""L0, the first labels (`ActiveLearningLoop.initial_selection`), chosen before any training.

- 'balanced': the paper's protocol (section 6.1), `labels_per_class` random images of every class,
  drawn from the true labels: a simulated oracle only.
- 'random': uniform over the pool, what a user without labels gets from a plain draw.
- 'typiclust': label-free, TypiClust on spectral features of the pixels
  (`tfal.acquisition.typicality`); on MNIST it covers 9.4 of 10 digits with 10 labels, a uniform
  draw 7.0 (5 seeds, results/cold_start.md).
- 'probcover': label-free, ProbCover's greedy coverage of pure δ-balls on the same features
  (`tfal.acquisition.coverage`); 6.2 of 10 digits (5 seeds): pure balls cover only dense regions.
- 'auto' (default): 'balanced' for an oracle that holds true labels (the benchmarks' tables),
  'typiclust' for one that does not (a user's pool).
"""

from __future__ import annotations

import numpy as np

from tfal.acquisition.coverage import probcover
from tfal.acquisition.typicality import spectral_features, typiclust
from tfal.oracles.protocol import Oracle, uniform_initial_set

SELECTIONS = ("auto", "balanced", "random", "typiclust", "probcover")
LABEL_FREE = {"typiclust": typiclust, "probcover": probcover}


def resolve(selection: str, oracle: Oracle) -> str:
    """The selection 'auto' stands for with this oracle; 'balanced' is refused without labels."""
    has_labels = oracle.true_labels_for_diagnostics() is not None
    if selection == "auto":
        return "balanced" if has_labels else "typiclust"
    if selection == "balanced" and not has_labels:
        raise ValueError(
            "initial_selection='balanced' draws L0 from the true labels, and this oracle has none; "
            "allowed: 'auto', 'random', 'typiclust', 'probcover'"
        )
    return selection


def _clusters(selection: str, num_classes: int) -> dict:
    """ProbCover's δ is pure w.r.t. as many clusters as classes (its paper's rule)."""
    return {"clusters": num_classes} if selection == "probcover" else {}


def choose(
    selection: str,
    *,
    oracle: Oracle,
    images: np.ndarray,
    num_classes: int,
    labels_per_class: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sorted int64 pool indices of L0, `labels_per_class * num_classes` of them."""
    if selection == "balanced":
        return oracle.initial_labeled_set(labels_per_class, rng)
    size = labels_per_class * num_classes
    if selection == "random":
        return uniform_initial_set(len(images), num_classes, labels_per_class, rng)
    seed = int(rng.integers(2**31))
    features = spectral_features(images, seed=seed)
    picks = LABEL_FREE[selection](
        size, labeled_idx=np.zeros(0, np.int64), features=features, seed=seed, **_clusters(selection, num_classes)
    )
    return np.sort(picks).astype(np.int64)


def redraw(left: np.ndarray, *, size: int, rng: np.random.Generator) -> np.ndarray:
    """A new L0 when people skipped the whole of the last one (cycle 0 needs a label): `size`
    uniform picks, sorted, from `left`, the pool indices nobody answered."""
    if not left.size:
        raise ValueError("every pool image was skipped: nothing is left to label")
    return np.sort(rng.choice(left, min(left.size, size), replace=False)).astype(np.int64)
