"""ProbCover (Yehuda et al., NeurIPS 2022): greedy maximum coverage of δ-balls, the coverage
counterpart of TypiClust for the low-budget regime.

Each example covers the examples within distance δ of it (its δ-ball). Labeled examples cover their
balls already; each pick is the example whose ball covers the most still uncovered examples. δ is
the largest radius whose balls stay `purity` pure with respect to a k-means clustering of the
features into `clusters` groups (the paper's rule, with its α = 0.95). Balls hold at most
`neighbours` nearest neighbours, so memory stays `n * neighbours` on a large pool.

Measured on MNIST's pool for L0 (results/cold_start.md, 5 seeds): on spectral features 10 picks
covered 6.2 of the 10 digits, TypiClust 9.4 and a uniform draw 7.0: with 10 balls a pure δ covers
only the densest regions. Shipped as a selection and a strategy, not as a default.
"""

from __future__ import annotations

from typing import Annotated

import faiss
import numpy as np
import scipy.sparse as sp

from tfal.acquisition import validation
from tfal.acquisition.typicality import kmeans_clusters
from tfal.config_types import Range, configurable


def _neighbours(x: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and ids of each row's `count` nearest rows, itself first."""
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    dist, ids = index.search(x, count)
    return np.sqrt(np.maximum(dist, 0.0)), ids


def purest_delta(dist: np.ndarray, ids: np.ndarray, assignment: np.ndarray, purity: float) -> float:
    """The largest δ (among the neighbour distances' 2 %-98 % quantiles) whose balls are pure
    (every member in the centre's cluster) for at least `purity` of the examples; the smallest
    quantile if none is."""
    same = assignment[ids] == assignment[:, None]
    candidates = np.quantile(dist[:, 1:], np.linspace(0.02, 0.98, 49))
    pure = [np.mean(np.all(same | (dist > delta), axis=1)) for delta in candidates]
    passing = [delta for delta, p in zip(candidates, pure, strict=True) if p >= purity]
    return float(max(passing) if passing else candidates[0])


def ball_graph(dist: np.ndarray, ids: np.ndarray, delta: float) -> sp.csr_matrix:
    """n x n 0/1 matrix: row i marks the examples in i's δ-ball (i included)."""
    n = dist.shape[0]
    inside = dist <= delta
    rows = np.repeat(np.arange(n), dist.shape[1])[inside.ravel()]
    return sp.csr_matrix(
        (np.ones(rows.size, np.float32), (rows, ids.ravel()[inside.ravel()])), shape=(n, n)
    )


def greedy_cover(balls: sp.csr_matrix, labeled_idx: np.ndarray, budget: int) -> np.ndarray:
    """Greedy max coverage: each pick covers the most uncovered examples (first on ties)."""
    covered = np.zeros(balls.shape[0], bool)
    for i in labeled_idx:
        covered[balls[i].indices] = True
    free = np.ones(balls.shape[0], bool)
    free[labeled_idx] = False
    picks: list[int] = []
    for _ in range(budget):
        gain = balls @ (~covered).astype(np.float32)
        gain[~free] = -1.0
        pick = int(np.argmax(gain))
        picks.append(pick)
        free[pick] = False
        covered[balls[pick].indices] = True
    return np.asarray(picks, dtype=np.int64)


@configurable("probcover", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def probcover(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
    purity: Annotated[float, Range(0.0, 1.0)] = 0.95,
    clusters: Annotated[int | None, Range(2, 100_000)] = None,
    neighbours: Annotated[int, Range(2, 10_000)] = 100,
    restarts: Annotated[int, Range(1, 100)] = 5,
) -> np.ndarray:
    """Acquires b examples by ProbCover on the features (module docstring).

    Args:
      purity: the share of examples whose δ-ball must stay inside their k-means cluster (the
        paper's α).
      clusters: k-means clusters for δ's purity: None is the number of classes (the
        probabilities' width), or |L| + b without probabilities.
      neighbours: the most examples a δ-ball holds (memory is `n * neighbours`).
      restarts: k-means runs, the best one kept.

    Returns:
        int64 [b] pool indices in pick order.
    """
    del cycle, graph
    features = validation.check_features(
        validation.require(features, name="features", strategy="probcover")
    )
    n = validation.infer_pool_size(features=features, probs=probs)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=n)
    x = np.ascontiguousarray(features, dtype=np.float32)
    if clusters is None:
        clusters = probs.shape[1] if probs is not None else pool.labeled_idx.size + budget
    dist, ids = _neighbours(x, min(neighbours, n))
    delta = purest_delta(dist, ids, kmeans_clusters(x, min(clusters, n), seed, restarts), purity)
    return greedy_cover(ball_graph(dist, ids, delta), pool.labeled_idx, budget)
