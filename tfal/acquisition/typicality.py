"""TypiClust (Hacohen et al., ICML 2022): label the most typical point of the largest uncovered
clusters, the low-budget strategy, and the label-free features it runs on before any training.

With a handful of labels, uncertainty and coverage-of-outliers strategies pick atypical images;
TypiClust clusters the pool into |L| + b clusters and labels, in each of the b largest clusters
holding no label yet, the point of highest typicality (the inverse of its mean distance to its
`neighbours` nearest neighbours inside the cluster).

`spectral_features` is what tfal's label-free L0 clusters (`ActiveLearningLoop.initial_selection`):
the leading eigenvectors of the normalised kNN graph of the PCA-whitened pixels, rows normalised
(Ng, Jordan and Weiss). Measured on MNIST's 60,000-image pool, 8 seeds, 10 picks (results/cold_start.md):
TypiClust covers 9.1 of the 10 digits on these features, 5.0 on whitened pixels, 6.0 on the
initial network's embedding, 6.4 for a uniform draw.
"""

from __future__ import annotations

from typing import Annotated

import faiss
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from tfal.acquisition import validation
from tfal.config_types import Range, configurable
from tfal.lp import features as lp_features
from tfal.lp import graph as lp_graph
from tfal.lp import knn


def spectral_features(
    images: np.ndarray,
    *,
    pca_dim: int = 50,
    k: int = 10,
    dim: int = 20,
    seed: int = 0,
    max_inputs: int = 3072,
) -> np.ndarray:
    """float32 [n, dim]: label-free features of the images (module docstring); a few seconds at
    n = 60,000 here. Images of more than `max_inputs` values are shrunk first, and a pool on disk
    is read a chunk at a time (`lp.features.pixel_vectors`)."""
    x = lp_features.pixel_vectors(images, max_inputs)
    n = x.shape[0]
    if n <= max(k, dim + 1):
        raise ValueError(f"spectral features need more than {max(k, dim + 1)} images, got {n}")
    x = lp_features.pca_whiten(x, dim=min(pca_dim, x.shape[1]))
    w = lp_graph.knn_graph(x, k=k, gamma=1.0, seed=seed).astype(np.float64)
    start = np.random.default_rng(seed).standard_normal(n)
    values, vectors = sla.eigsh(
        lp_graph.normalize_graph(w), k=dim + 1, which="LA", tol=1e-4, v0=start
    )
    vectors = vectors[:, np.argsort(-values)][:, 1:]  # the first is the degree vector
    return knn.l2_normalize(vectors)


def kmeans_clusters(x: np.ndarray, count: int, seed: int, restarts: int) -> np.ndarray:
    """Each row's k-means cluster (the best of `restarts` runs: one run often merges blobs)."""
    km = faiss.Kmeans(x.shape[1], count, niter=50, seed=seed, nredo=restarts, verbose=False)
    km.train(x)
    return km.index.search(x, 1)[1].ravel()


def _most_typical(x: np.ndarray, members: np.ndarray, neighbours: int) -> int:
    kk = min(neighbours, members.size - 1)
    if kk < 1:
        return int(members[0])
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x[members])
    dist, _ = index.search(x[members], kk + 1)
    mean = np.sqrt(np.maximum(dist[:, 1:], 0.0)).mean(axis=1)
    return int(members[np.argmin(mean)])  # typicality 1 / mean: first maximum on ties


@configurable("typiclust", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def typiclust(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
    neighbours: Annotated[int, Range(1, 1000)] = 20,
    restarts: Annotated[int, Range(1, 100)] = 5,
) -> np.ndarray:
    """Acquires b examples by TypiClust on the features (module docstring).

    Clusters with fewer labels come first, then larger ones; a cluster gives one pick per round.

    Args:
      neighbours: nearest neighbours inside a cluster whose mean distance measures typicality.
      restarts: k-means runs, the best one kept (one run often merges blobs).

    Returns:
        int64 [b] pool indices in pick order.
    """
    del cycle, graph
    features = validation.check_features(
        validation.require(features, name="features", strategy="typiclust")
    )
    n = validation.infer_pool_size(features=features, probs=probs)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=n)
    x = np.ascontiguousarray(features, dtype=np.float32)
    assignment = kmeans_clusters(x, min(n, pool.labeled_idx.size + budget), seed, restarts)
    return picks_from_clusters(x, assignment, pool.unlabeled_mask, budget, neighbours)


def picks_from_clusters(
    x: np.ndarray, assignment: np.ndarray, free: np.ndarray, budget: int, neighbours: int
) -> np.ndarray:
    """TypiClust's rounds on given clusters: each round, the cluster with the fewest labels (then
    the largest) gives its most typical free point.

    Args:
      x: float32 [n, d], where typicality is measured.
      assignment: int [n], each point's cluster.
      free: bool [n], points that may be picked (the rest are labeled).
      budget: picks to make, at most free.sum().

    Returns:
        int64 [budget] pool indices in pick order.
    """
    count = int(assignment.max()) + 1
    labels_in = np.bincount(assignment[~free], minlength=count)
    free = free.copy()
    picks: list[int] = []
    while len(picks) < budget:
        sizes = np.bincount(assignment[free], minlength=count)
        order = np.lexsort((-sizes, labels_in))  # fewest labels, then largest
        cluster = next(int(c) for c in order if sizes[c] > 0)
        pick = _most_typical(x, np.flatnonzero(free & (assignment == cluster)), neighbours)
        picks.append(pick)
        free[pick] = False
        labels_in[cluster] += 1
    return np.asarray(picks, dtype=np.int64)
