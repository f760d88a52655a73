"""The clustering half of DeepCluster [5]: features -> k-means pseudo-labels -> balanced draws.

PRE (Algorithm 1, line 2; section 4) clusters phi_theta(X) by k-means every epoch and learns to
predict the assignments y_hat with the cross-entropy J(X, I, y_hat, theta) of eq. (2). This module
is the numpy/faiss part of that epoch, free of TensorFlow so it is testable in milliseconds:

* `fit_feature_map` / `FeatureMap.apply`: optional PCA (+ whitening), then L2 normalisation ([5], 3.4).
* `kmeans`: faiss k-means and the final nearest-centroid assignment.
* `fill_empty_clusters`: [5]'s 3.3 trick against trivial solutions: an empty cluster takes a
  perturbed copy of the centroid of a random non-empty one and the two split its points.
* `cluster_balanced_draws`: [5]'s 3.3 sampling "uniformly over the classes, or pseudo-labels", so a
  few huge clusters cannot dominate the epoch.
"""

from __future__ import annotations

import dataclasses

import faiss
import numpy as np

from tfal.lp.features import principal_axes

# [5]'s code clusters every point (faiss otherwise subsamples to 256 points per centroid).
_MAX_POINTS_PER_CENTROID = 10_000_000
_WHITEN_FLOOR = 1e-9  # eigenvalue floor of the whitening, relative to the largest eigenvalue


@dataclasses.dataclass(frozen=True)
class FeatureMap:
    """The affine part of the preprocessing, x = A f + b, before the L2 normalisation.

    Attributes:
      matrix: float64 [d_out, d], A.
      offset: float64 [d_out], b.
    """

    matrix: np.ndarray
    offset: np.ndarray

    def apply(self, features: np.ndarray) -> np.ndarray:
        """float [n, d] -> float32 [n, d_out] unit rows (an all-zero row stays zero)."""
        x = np.asarray(features, np.float64) @ self.matrix.T + self.offset
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def fit_feature_map(
    features: np.ndarray, *, pca_dim: int | None = None, whiten: bool = False
) -> FeatureMap:
    """The identity (the authors' choice), or PCA to `pca_dim`, optionally whitened ([5]).

    Args:
      features: float [n, d] embeddings of the whole pool.
      pca_dim: keep the top `pca_dim` principal components (centred, as any PCA), None for no
        PCA. [5] keeps 256 of 4,096; `pca_dim=d` only centres (and rotates, which k-means ignores).
      whiten: scale the components to unit variance as [5] (eigen power -1/2); with pca_dim None
        it whitens all d. The paper's authors switched PCA-whitening off ("did not help").
    """
    f = np.asarray(features, np.float64)
    if f.ndim != 2:
        raise ValueError(f"features must be [n, d], got shape {f.shape}")
    d = f.shape[1]
    if pca_dim is not None and not 1 <= pca_dim <= d:
        raise ValueError(f"pca_dim={pca_dim} must be in 1..{d} (the embedding dimension)")
    if pca_dim is None and not whiten:
        return FeatureMap(np.eye(d), np.zeros(d))
    mean, eigenvalues, eigenvectors = principal_axes(f, pca_dim)
    matrix = eigenvectors.T
    if whiten:
        # A floor relative to the top variance: a dead channel's float noise is not blown up to
        # unit variance (which would let it steer k-means).
        floor = _WHITEN_FLOOR * max(float(eigenvalues[0]), 1e-30)
        matrix = matrix / np.sqrt(np.maximum(eigenvalues, 0.0) + floor)[:, None]
    return FeatureMap(matrix, -matrix @ mean)


def kmeans(
    features: np.ndarray, num_clusters: int, *, iterations: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """faiss k-means (Lloyd, L2) and each point's nearest centroid.

    faiss already re-seeds clusters that empty out between its iterations; the final assignment can
    still leave some empty, which `fill_empty_clusters` handles.

    Args:
      features: float32 [n, d].
      num_clusters: k, at most n.
      iterations: Lloyd iterations ([5]: 20).
      seed: faiss seed of the initial centroids (derive it from the campaign seed and epoch).

    Returns:
      assignment int64 [n] in 0..k-1 and centroids float32 [k, d].
    """
    n, d = features.shape
    if not 1 <= num_clusters <= n:
        raise ValueError(f"num_clusters={num_clusters} must be in 1..{n} (the number of points)")
    km = faiss.Kmeans(
        d,
        num_clusters,
        niter=iterations,
        seed=int(seed) % (2**31 - 1),
        max_points_per_centroid=_MAX_POINTS_PER_CENTROID,
        min_points_per_centroid=1,
        verbose=False,
    )
    km.train(np.ascontiguousarray(features, dtype=np.float32))
    _, nearest = km.index.search(np.ascontiguousarray(features, dtype=np.float32), 1)
    return nearest[:, 0].astype(np.int64), np.array(km.centroids, dtype=np.float32)


def fill_empty_clusters(
    features: np.ndarray,
    assignment: np.ndarray,
    centroids: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Gives every empty cluster half of a randomly chosen non-empty one ([5], section 3.3).

    For each empty cluster e: draw a cluster j with probability proportional to |j| - 1 (as faiss),
    recentre c_j on its members' mean, set c_e = c_j + delta and c_j = c_j - delta for a small random
    delta, and move each member of j to the nearer of the two. The boundary is the hyperplane through
    the mean orthogonal to delta, so both halves are non-empty unless all members coincide; such a
    cluster is skipped.

    Args:
      features: float [n, d], the features that were clustered.
      assignment: int [n] cluster of each point, values in 0..k-1.
      centroids: float [k, d].
      rng: draws j and delta.

    Returns:
      (assignment int64 [n], centroids float32 [k, d]) with no empty cluster.

    Raises:
      ValueError: fewer distinct points than clusters, so some cluster must stay empty.
    """
    assignment = np.array(assignment, dtype=np.int64)
    centroids = np.array(centroids, dtype=np.float32)
    k = len(centroids)
    if assignment.min(initial=0) < 0 or assignment.max(initial=0) >= k:
        raise ValueError(f"assignment values must be in 0..{k - 1}")
    unsplittable: set[int] = set()
    for empty in np.flatnonzero(np.bincount(assignment, minlength=k) == 0):
        while True:
            sizes = np.bincount(assignment, minlength=k).astype(np.float64) - 1.0
            sizes[sizes < 0] = 0.0
            sizes[list(unsplittable)] = 0.0
            if sizes.sum() == 0:
                raise ValueError(
                    f"cannot fill empty cluster {empty}: no cluster has two distinct points "
                    f"(fewer distinct feature vectors than num_clusters={k})"
                )
            donor = int(rng.choice(k, p=sizes / sizes.sum()))
            if _split(features, assignment, centroids, donor, empty, rng):
                break
            unsplittable.add(donor)
    return assignment, centroids


def _split(features, assignment, centroids, donor: int, empty: int, rng) -> bool:
    """Splits cluster `donor` into `donor` and `empty` in place; False if its points all coincide."""
    members = np.flatnonzero(assignment == donor)
    x = np.asarray(features[members], dtype=np.float64)
    mean = x.mean(axis=0)
    delta = rng.standard_normal(x.shape[1])
    side = (x - mean) @ delta > 0  # nearer to mean + delta than to mean - delta
    if side.all() or not side.any():
        return False
    scale = 1e-3 * max(float(np.linalg.norm(x - mean, axis=1).max()), 1e-12) / np.linalg.norm(delta)
    centroids[empty] = mean + scale * delta
    centroids[donor] = mean - scale * delta
    assignment[members[side]] = empty
    return True


def cluster_balanced_draws(
    assignment: np.ndarray, num_clusters: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """`size` pool indices drawn with replacement so that every non-empty cluster is equally likely.

    Each example has probability 1 / (|its cluster| * number of non-empty clusters), [5]'s uniform
    sampling over pseudo-labels.

    Args:
      assignment: int [n] cluster of each example.
      num_clusters: k.
      size: how many draws (one epoch: n, rounded down to whole batches).

    Returns:
      int64 [size] indices into the pool.
    """
    counts = np.bincount(assignment, minlength=num_clusters)
    p = 1.0 / counts[assignment]
    return rng.choice(len(assignment), size=size, replace=True, p=p / p.sum()).astype(np.int64)


def random_head(
    dim: int, num_clusters: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """[5]'s fresh classifier: weights N(0, 0.01) float32 [dim, k], zero bias [k]."""
    return rng.normal(0.0, 0.01, size=(dim, num_clusters)).astype(np.float32), np.zeros(
        num_clusters, np.float32
    )
