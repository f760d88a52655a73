"""The affinity matrix W of label propagation and its normalisation 𝒲 = D^-1/2 W D^-1/2 (sec. 3).

W is a kNN graph on L2-normalised embeddings with weights [u·v]_+^γ ([15], γ = 3). Choices:

* Self-neighbours are removed by identity: k + 1 neighbours are searched and the entry whose id
  is the row itself is dropped. [15]'s code drops the first column instead, which is wrong when
  exact duplicates tie with the point itself; a row without a self entry (its duplicates filled
  the k + 1 slots) drops its last column, so every row keeps k neighbours.
* ``symmetrize="sum"`` (default) is W + Wᵀ, what [15]'s code does: the union of the directed kNN
  edges, mutual edges counted twice. ``"mutual"`` keeps only the edges found in both directions,
  the reciprocal kNN graph that the paper's text (sec. 4) names, with weight s_ij. 𝒲 is invariant
  to a global scale, so the factor 2 between the two on mutual edges does not matter.
* ``clip_negative=True`` follows the paper's [·]_+; False keeps the sign of the cube like the
  reference code (then degrees can be <= 0, see `normalize_graph`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tfal.lp import knn

SYMMETRIZE_NAMES = ("sum", "mutual")


def knn_graph(
    features: np.ndarray,
    *,
    k: int = 50,
    gamma: float = 3.0,
    symmetrize: str = "sum",
    clip_negative: bool = True,
    index: str = "auto",
    nprobe: int | None = None,
    nlist: int | None = None,
    seed: int = 0,
) -> sp.csr_matrix:
    """The symmetric kNN affinity matrix W (module docstring).

    Args:
        features: float [n, d], any float dtype; L2-normalised here (zero rows stay zero).
        k: neighbours per example, self excluded; 1 <= k < n.
        gamma: exponent γ on the similarities, > 0.
        symmetrize: "sum" (W + Wᵀ, [15]'s code) or "mutual" (reciprocal kNN, the paper's text).
        clip_negative: clip negative similarities to 0 before the power (the paper's [·]_+).
        index: "auto", "exact", "ivf", "hnsw" or "gpu" (see `tfal.lp.knn`).
        nprobe: IVF lists scanned per query; None picks `knn.default_nprobe`.
        nlist: IVF lists; None picks `knn.default_nlist`.
        seed: seeds the approximate indexes.

    Returns:
        float32 csr_matrix [n, n], symmetric, zero diagonal, no stored zeros.
    """
    x = check_features(features)
    check_graph_options(n=x.shape[0], k=k, gamma=gamma, symmetrize=symmetrize, index=index)
    found = knn.search(x, k + 1, index=index, nprobe=nprobe, nlist=nlist, seed=seed)
    return graph_from_neighbours(
        found, k=k, gamma=gamma, symmetrize=symmetrize, clip_negative=clip_negative
    )


def check_features(features: np.ndarray) -> np.ndarray:
    """Checks a float [n, d] finite array and returns it L2-normalised as float32."""
    return knn.l2_normalize(validate_features(features))


def validate_features(features: np.ndarray) -> np.ndarray:
    """Raises ValueError unless features is a finite float [n >= 2, d >= 1] array; no copy."""
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(f"features must be a float array [n >= 2, d >= 1], got {features.shape}")
    if not np.issubdtype(features.dtype, np.floating):
        raise ValueError(f"features must have a float dtype, got {features.dtype}")
    if not np.all(np.isfinite(features)):
        raise ValueError("features contain NaN or inf")
    return features


def check_graph_options(*, n: int, k: int, gamma: float, symmetrize: str, index: str) -> None:
    """Raises ValueError naming the first bad graph option."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n:
        raise ValueError(f"k must be an integer in [1, n) with n={n}, got {k!r}")
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if symmetrize not in SYMMETRIZE_NAMES:
        raise ValueError(f"symmetrize must be one of {SYMMETRIZE_NAMES}, got {symmetrize!r}")
    knn.resolve_index(index, n)


def drop_self(found: knn.Neighbours) -> tuple[np.ndarray, np.ndarray]:
    """Removes each row's own entry by id (not by position) from a (k + 1)-neighbour search.

    Returns:
        (similarities float32 [n, k], ids int64 [n, k]); a row without a self entry (exact
        duplicates took every slot) loses its last column instead.
    """
    sims, ids = found.similarities, found.ids
    n, width = ids.shape
    drop = ids == np.arange(n)[:, None]
    no_self = ~drop.any(axis=1)
    drop[no_self, width - 1] = True
    keep = ~drop
    return sims[keep].reshape(n, width - 1), ids[keep].reshape(n, width - 1)


def graph_from_neighbours(
    found: knn.Neighbours, *, k: int, gamma: float, symmetrize: str, clip_negative: bool
) -> sp.csr_matrix:
    """W from a (k + 1)-neighbour search result (see `knn_graph`)."""
    sims, ids = drop_self(found)
    n = ids.shape[0]
    if sims.shape[1] != k:
        raise ValueError(f"expected k + 1 = {k + 1} neighbours per row, got {sims.shape[1] + 1}")
    found_mask = ids >= 0  # -1: fewer than k + 1 points in the probed IVF lists
    sims = np.where(found_mask, sims, np.float32(0.0))
    if clip_negative:
        weights = np.maximum(sims, np.float32(0.0)) ** np.float32(gamma)
    else:  # the reference's sign-keeping cube, generalised to any γ
        weights = np.sign(sims) * np.abs(sims) ** np.float32(gamma)
    valid = found_mask & (weights != 0)  # a zero weight is no edge
    counts = valid.sum(axis=1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    directed = sp.csr_matrix((weights[valid].astype(np.float32), ids[valid], indptr), shape=(n, n))
    return symmetrize_graph(directed, symmetrize)


def symmetrize_graph(directed: sp.csr_matrix, symmetrize: str) -> sp.csr_matrix:
    """ "sum": W + Wᵀ; "mutual": the edges present in both W and Wᵀ, weight (w_ij + w_ji) / 2."""
    if symmetrize not in SYMMETRIZE_NAMES:
        raise ValueError(f"symmetrize must be one of {SYMMETRIZE_NAMES}, got {symmetrize!r}")
    w = directed + directed.T.tocsr()
    if symmetrize == "mutual":
        pattern = directed.copy()
        pattern.data[:] = 1.0
        w = w.multiply(pattern.multiply(pattern.T)) * 0.5  # 1 where both i->j and j->i exist
    w = sp.csr_matrix(w, dtype=np.float32)
    w.eliminate_zeros()
    return w


def normalize_graph(w: sp.spmatrix) -> sp.csr_matrix:
    """𝒲 = D^-1/2 W D^-1/2 with D = diag(W 1) (sec. 3).

    Isolated nodes (degree 0) get a zero row and column instead of inf/NaN; so do nodes of
    negative degree, possible only with clip_negative=False, where D^-1/2 is undefined.

    Args:
        w: sparse [n, n] symmetric affinity (e.g. from `knn_graph`).

    Returns:
        csr_matrix [n, n] of w's float dtype (float32 for `knn_graph` output).
    """
    if not sp.issparse(w) or w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"w must be a square scipy sparse matrix, got {type(w).__name__}")
    w = sp.csr_matrix(w, copy=True)
    if not np.issubdtype(w.dtype, np.floating):
        w = w.astype(np.float64)
    degree = np.asarray(w.sum(axis=1), dtype=np.float64).ravel()
    scale = np.zeros_like(degree)
    positive = degree > 0
    scale[positive] = 1.0 / np.sqrt(degree[positive])
    rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
    w.data *= (scale[rows] * scale[w.indices]).astype(w.dtype)
    w.eliminate_zeros()
    return w
