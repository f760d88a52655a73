"""L0, the first labels (`ActiveLearningLoop.initial_selection`), chosen before any training.

- 'balanced': the paper's protocol (section 6.1), `labels_per_class` random images of every class,
  drawn from the true labels: a simulated oracle only.
- 'random': uniform over the pool, what a user without labels gets from a plain draw.
- 'typiclust': label-free, TypiClust on spectral features of the pixels
  (`tfal.acquisition.typicality`); on MNIST it covers 9.4 of 10 digits with 10 labels, a uniform
  draw 7.0 (5 seeds, results/cold_start.md).
- 'probcover': label-free, ProbCover's greedy coverage of pure δ-balls on the same features
  (`tfal.acquisition.coverage`); 6.2 of 10 digits (5 seeds): pure balls cover only dense regions.
- 'imsat': label-free, the clusters of an IMSAT network trained on the pool without labels
  (`tfal.pretrain.imsat`), the most typical image of each (of `labels_per_class` k-means parts
  of each with more than one label per class); 10 of 10 digits on 5 of 5 seeds, and through
  whole campaigns 97.03 ± 0.21 % at 10 labels (the balanced L0: 96.50 ± 0.28).
- 'auto' (default): 'balanced' for an oracle that holds true labels (the benchmarks' tables),
  'imsat', the measured winner, for one that does not (a user's pool).
"""

from __future__ import annotations

import numpy as np

from tfal.acquisition.coverage import probcover
from tfal.acquisition.typicality import (
    kmeans_clusters,
    picks_from_clusters,
    spectral_features,
    typiclust,
)
from tfal.lp import features as lp_features
from tfal.lp import knn
from tfal.oracles.protocol import Oracle, uniform_initial_set

SELECTIONS = ("auto", "balanced", "random", "typiclust", "probcover", "imsat")
LABEL_FREE = {"typiclust": typiclust, "probcover": probcover}


def resolve(selection: str, oracle: Oracle) -> str:
    """The selection 'auto' stands for with this oracle; 'balanced' is refused without labels."""
    has_labels = oracle.true_labels_for_diagnostics() is not None
    if selection == "auto":
        return "balanced" if has_labels else "imsat"
    if selection == "balanced" and not has_labels:
        raise ValueError(
            "initial_selection='balanced' draws L0 from the true labels, and this oracle has none; "
            "allowed: 'auto', 'random', 'typiclust', 'probcover', 'imsat'"
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
    if selection == "imsat":
        return imsat_selection(images, num_classes, labels_per_class, seed)
    features = spectral_features(images, seed=seed)
    picks = LABEL_FREE[selection](
        size, labeled_idx=np.zeros(0, np.int64), features=features, seed=seed, **_clusters(selection, num_classes)
    )
    return np.sort(picks).astype(np.int64)


def imsat_selection(
    images: np.ndarray, num_classes: int, labels_per_class: int, seed: int, neighbours: int = 20
) -> np.ndarray:
    """Sorted pool indices: IMSAT's `num_classes` clusters of the pool, each cut into
    `labels_per_class` k-means parts, and TypiClust's rounds over those parts; typicality on the
    trunk's features (64 principal components, rows normalised: the probe's measured view)."""
    from tfal.pretrain.imsat import IMSAT  # deferred: imports TensorFlow

    clustering = IMSAT().cluster(images, num_classes, seed)
    return cluster_picks(
        clustering.features, clustering.assignment, num_classes, labels_per_class, seed, neighbours
    )


def cluster_picks(
    features: np.ndarray,
    assignment: np.ndarray,
    num_classes: int,
    labels_per_class: int,
    seed: int,
    neighbours: int = 20,
) -> np.ndarray:
    """Sorted pool indices: each cluster of `assignment` cut into `labels_per_class` k-means parts
    and TypiClust's rounds over the parts, typicality on `features` (64 principal components, rows
    normalised)."""
    h = features
    if h.shape[1] > 64:
        h = lp_features.principal_components(h, 64)
    x = np.ascontiguousarray(knn.l2_normalize(np.asarray(h, np.float32)))
    parts = split_clusters(x, assignment, labels_per_class, seed)
    size = min(labels_per_class * num_classes, len(features))
    free = np.ones(len(features), bool)
    picks = picks_from_clusters(x, parts, free, size, neighbours)
    return np.sort(picks).astype(np.int64)


def split_clusters(x: np.ndarray, assignment: np.ndarray, parts: int, seed: int) -> np.ndarray:
    """Each cluster cut into `parts` k-means parts (a cluster of at most `parts` points stays
    whole): cluster c's parts are c*parts .. c*parts + parts - 1. With more than one label per
    class, the labels of a cluster then come from its different modes, not its densest corner."""
    out = assignment.astype(np.int64) * parts
    if parts > 1:
        for c in np.unique(assignment):
            members = np.flatnonzero(assignment == c)
            if members.size > parts:
                out[members] += kmeans_clusters(x[members], parts, seed, 5)
    return out


def redraw(left: np.ndarray, *, size: int, rng: np.random.Generator) -> np.ndarray:
    """A new L0 when people skipped the whole of the last one (cycle 0 needs a label): `size`
    uniform picks, sorted, from `left`, the pool indices nobody answered."""
    if not left.size:
        raise ValueError("every pool image was skipped: nothing is left to label")
    return np.sort(rng.choice(left, min(left.size, size), replace=False)).astype(np.int64)
