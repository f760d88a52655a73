"""Label propagation: pseudo-labels and certainty weights for every example (sec. 3-4, [15]).

The LP step of Algorithm 1 (line 6): a kNN graph on the embeddings (`tfal.lp.graph`), the label
matrix Y = χ(L, y) of eq. (8) with [15]'s per-class normalisation 1/|L_c|, the diffusion
Z = (I − α𝒲)^-1 Y of eq. (9) (`tfal.lp.diffusion`), probabilities P = η[Z]₊ (eq. (9) and its
footnote 1: negative scores clipped, rows ℓ1-normalised), pseudo-labels ŷ_i = π(p_i) (eq. (1)) and
weights w_i = β(p_i) = 1 − H(p_i)/log c (eq. (10)). As in [15]'s code, the weights are divided by
their maximum over the unlabeled examples, and labeled examples keep their true label with weight 1.
Optional class weights are [15]'s inverse pseudo-label frequencies.

Edge cases are defined, never NaN: a class without labels has a zero column in Y and so zero
probability; an all-zero row of Z (an isolated node, or one only connected to unlabeled
components) gets the uniform distribution, weight 0 and the smallest class that has labels.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from tfal.lp import diffusion, knn
from tfal.lp import features as lp_features
from tfal.lp import graph as lp_graph
from tfal.lp.config import DEFAULT, LPConfig, with_options

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LPDiagnostics:
    """Cost and convergence of one `propagate` call.

    Attributes:
        cg_iterations: sparse products of the block CG (max CG iterations over classes).
        cg_residual: largest final relative CG residual over classes.
        knn_seconds, graph_seconds, cg_seconds, total_seconds: wall time per stage (knn and
            graph are 0 when a graph was passed in).
        index: the kNN index used ("exact", "ivf", "hnsw", "gpu"), or "given" for a passed-in graph.
        n: examples. k: neighbours per example.
        nlist, nprobe: IVF lists and lists probed per query (None unless index is "ivf").
    """

    cg_iterations: int
    cg_residual: float
    knn_seconds: float
    graph_seconds: float
    cg_seconds: float
    total_seconds: float
    index: str
    n: int
    k: int
    nlist: int | None = None
    nprobe: int | None = None


@dataclasses.dataclass(frozen=True)
class LPResult:
    """Output of `propagate`.

    Attributes:
        probs: float32 [n, c], rows sum to 1 (eq. (9) with footnote 1).
        pseudo_labels: int64 [n], argmax of probs (eq. (1)); labeled examples keep true labels.
        weights: float32 [n] in [0, 1], certainty β(p) (eq. (10)), optionally divided by its
            max over unlabeled examples; exactly 1 on labeled examples.
        class_weights: float32 [c] inverse pseudo-label frequency with mean 1 over the classes
            that occur (0 for a class no example has), or None when not asked for.
        graph: csr [n, n] float32, the normalised affinity 𝒲 in the caller's indexing; pass it
            back as `graph=` or to jLP to skip the kNN search.
        diagnostics: `LPDiagnostics`.
    """

    probs: np.ndarray
    pseudo_labels: np.ndarray
    weights: np.ndarray
    class_weights: np.ndarray | None
    graph: sp.csr_matrix
    diagnostics: LPDiagnostics


def propagate(
    features: np.ndarray,
    labeled_idx: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    config: LPConfig = DEFAULT,
    *,
    seed: int = 0,
    graph: sp.spmatrix | None = None,
    **options: Any,
) -> LPResult:
    """Pseudo-labels and weights for all n examples by label propagation (module docstring).

    Args:
        features: float [n, d] embeddings, any float dtype; L2-normalised here.
        labeled_idx: int [m] global indices of the labeled examples L, unique, in [0, n).
        labels: int [m] their labels, in [0, num_classes).
        num_classes: c >= 1.
        config: LP's options (`tfal.lp.LPConfig`; SEMI's settings are one).
        **options: LPConfig fields replacing config's, e.g. `k=10, whiten=True`.
        seed: seeds the approximate indexes.
        graph: optional precomputed normalised affinity 𝒲 [n, n] (e.g. a previous
            `LPResult.graph`); the kNN search and graph options are then not used.

    Returns:
        `LPResult`.
    """
    start = time.perf_counter()
    c = with_options(config, options)
    n = _num_examples(features)
    labeled_idx, labels = _check_labels(labeled_idx, labels, n=n, num_classes=num_classes)
    diffusion.check_options(alpha=c.alpha, max_iter=c.max_iter, tol=c.tol, backend=c.cg_backend)
    if graph is not None:
        built = _Graph(wn=_check_given_graph(graph, n))
    else:
        built = _build_graph(_graph_features(features, c), c, seed=seed, num_classes=num_classes)
    y = label_matrix(labeled_idx, labels, n=n, num_classes=num_classes, balance=c.class_balance_y)
    cg_start = time.perf_counter()
    z, info = _diffuse_in_order(
        built.wn,
        y,
        built.order,
        alpha=c.alpha,
        max_iter=c.max_iter,
        tol=c.tol,
        backend=c.cg_backend,
    )
    cg_seconds = time.perf_counter() - cg_start
    probs = probabilities(z)
    pseudo = _pseudo_labels(probs, labeled_idx, labels, np.unique(labels))
    diagnostics = LPDiagnostics(
        cg_iterations=info.iterations,
        cg_residual=info.max_residual,
        knn_seconds=built.knn_seconds,
        graph_seconds=built.graph_seconds,
        cg_seconds=cg_seconds,
        total_seconds=time.perf_counter() - start,
        index=built.index,
        n=n,
        k=c.k,
        nlist=built.nlist,
        nprobe=built.nprobe,
    )
    logger.debug("label propagation: %s", diagnostics)
    return LPResult(
        probs=probs,
        pseudo_labels=pseudo,
        weights=_weights(probs, labeled_idx, normalize=c.normalize_weights),
        class_weights=inverse_frequency_weights(pseudo, num_classes) if c.class_weights else None,
        graph=built.wn,
        diagnostics=diagnostics,
    )


def affinity_graph(
    features: np.ndarray, config: LPConfig = DEFAULT, *, seed: int = 0, **options: Any
) -> sp.csr_matrix:
    """𝒲 = D^-1/2 W D^-1/2 exactly as `propagate` builds it from the same features and options.

    What graph-based acquisition (jLP, eq. (11)-(12)) diffuses on, so that it sees LP's graph.
    Arguments as `propagate`'s (only the graph's options are used).

    Returns:
        float32 CSR [n, n].
    """
    c = with_options(config, options)
    # num_classes=0: no CG follows, so nothing to warm up
    return _build_graph(_graph_features(features, c), c, seed=seed, num_classes=0).wn


def _graph_features(features: np.ndarray, c: LPConfig) -> np.ndarray:
    """The features the kNN graph is built on: as given, or PCA-whitened (beyond the paper),
    on at most `whiten_dim` leading directions."""
    if not c.whiten:
        return features
    # the same errors as without whitening, without check_features' normalised copy
    x = lp_graph.validate_features(features)
    dim = None if c.whiten_dim is None else min(c.whiten_dim, x.shape[1])
    return lp_features.pca_whiten(x, dim=dim)


@dataclasses.dataclass(frozen=True)
class _Graph:
    """𝒲 with how it was obtained (`order`: a cache-friendly numbering, see `_diffuse_in_order`)."""

    wn: sp.csr_matrix
    order: np.ndarray | None = None
    index: str = "given"
    knn_seconds: float = 0.0
    graph_seconds: float = 0.0
    nlist: int | None = None
    nprobe: int | None = None


def _build_graph(features: np.ndarray, c: LPConfig, *, seed: int, num_classes: int) -> _Graph:
    """kNN search, W, 𝒲, timed separately.

    If CG will need TensorFlow, its import starts first and overlaps the search (a kNN graph
    symmetrised by "sum" has up to 2k entries per row, times num_classes columns of Y).
    """
    x = lp_graph.check_features(features)
    lp_graph.check_graph_options(
        n=x.shape[0], k=c.k, gamma=c.gamma, symmetrize=c.symmetrize, index=c.index
    )
    diffusion.warm_up(c.cg_backend, 2 * c.k * x.shape[0] * num_classes)
    knn_start = time.perf_counter()
    found = knn.search(x, c.k + 1, index=c.index, nprobe=c.nprobe, nlist=c.nlist, seed=seed)
    graph_start = time.perf_counter()
    w = lp_graph.graph_from_neighbours(
        found, k=c.k, gamma=c.gamma, symmetrize=c.symmetrize, clip_negative=c.clip_negative
    )
    wn = lp_graph.normalize_graph(w)
    return _Graph(
        wn=wn,
        order=found.order,
        index=found.index,
        knn_seconds=graph_start - knn_start,
        graph_seconds=time.perf_counter() - graph_start,
        nlist=found.nlist,
        nprobe=found.nprobe,
    )


def _num_examples(features: np.ndarray) -> int:
    shape = np.shape(features)
    if len(shape) != 2:
        raise ValueError(f"features must be a float array [n, d], got shape {shape}")
    return int(shape[0])


def _check_given_graph(wn: sp.spmatrix, n: int) -> sp.csr_matrix:
    if not sp.issparse(wn) or wn.shape != (n, n):
        raise ValueError(
            f"graph must be a scipy sparse matrix of shape ({n}, {n}), got "
            f"{type(wn).__name__} {getattr(wn, 'shape', None)}"
        )
    return sp.csr_matrix(wn)


def _check_labels(
    labeled_idx: np.ndarray, labels: np.ndarray, *, n: int, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Checks L and y; returns them as int64 arrays."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    idx, lab = np.asarray(labeled_idx), np.asarray(labels)
    for name, arr in (("labeled_idx", idx), ("labels", lab)):
        if arr.ndim != 1 or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"{name} must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    if idx.size == 0:
        raise ValueError("labeled_idx is empty: label propagation needs at least one label")
    if idx.shape != lab.shape:
        raise ValueError(f"labeled_idx and labels differ in length: {idx.size} vs {lab.size}")
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise ValueError(f"labeled_idx must be in [0, n={n}), got {bad[:5].tolist()}")
    values, counts = np.unique(idx, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"labeled_idx has duplicates: {values[counts > 1][:5].tolist()}")
    bad = lab[(lab < 0) | (lab >= num_classes)]
    if bad.size:
        raise ValueError(
            f"labels must be in [0, num_classes={num_classes}), got {bad[:5].tolist()}"
        )
    return idx.astype(np.int64), lab.astype(np.int64)


def label_matrix(
    labeled_idx: np.ndarray, labels: np.ndarray, *, n: int, num_classes: int, balance: bool
) -> np.ndarray:
    """Y = χ(L, y) of eq. (8), float32 [n, c]; with balance, column c divided by |L_c| ([15])."""
    y = np.zeros((n, num_classes), dtype=np.float32)
    value = np.ones(labels.size, dtype=np.float32)
    if balance:
        value /= np.bincount(labels, minlength=num_classes)[labels]
    y[labeled_idx, labels] = value
    return y


# Below this size the dense block fits in cache and renumbering the graph is not worth its cost.
_REORDER_MIN_BYTES = 8 << 20


def _diffuse_in_order(
    wn: sp.csr_matrix, y: np.ndarray, order: np.ndarray | None, **options
) -> tuple[np.ndarray, diffusion.DiffusionInfo]:
    """Block CG, on a copy of 𝒲 renumbered by `order` when there is one.

    Rows of the dense [n, c] block are read at the column indices of 𝒲; numbering similar
    examples consecutively (IVF cells) makes those reads nearly sequential, which pays off
    once the block no longer fits in the CPU cache (n·c·4 bytes > a few MiB).
    """
    if order is None or y.nbytes < _REORDER_MIN_BYTES:
        return diffusion.diffuse(wn, y, **options)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    renumbered = wn[order]  # rows in the new order
    renumbered.indices = inverse[renumbered.indices].astype(renumbered.indices.dtype)
    renumbered.has_sorted_indices = False
    z, info = diffusion.diffuse(renumbered, y[order], **options)
    return z[inverse], info


def probabilities(z: np.ndarray) -> np.ndarray:
    """P = η[max(Z, 0)] (eq. (9), footnote 1) as float32; an all-zero row becomes uniform."""
    p = np.maximum(np.asarray(z, dtype=np.float32), np.float32(0.0))
    total = p.sum(axis=1, keepdims=True)
    np.divide(p, total, out=p, where=total > 0)
    p[total[:, 0] <= 0] = np.float32(1.0 / p.shape[1])
    return p


def entropy_weights(probs: np.ndarray) -> np.ndarray:
    """β(p) = 1 − H(p)/log c per row (eq. (10)), in [0, 1]; 0 log 0 = 0; c = 1 gives 1.

    Args:
        probs: float [n, c], rows on the probability simplex.

    Returns:
        float [n] (float64 unless probs is float32).
    """
    p = np.asarray(probs)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"probs must be [n, c] with c >= 1, got shape {p.shape}")
    dtype = np.float32 if p.dtype == np.float32 else np.float64
    if p.shape[1] == 1:
        return np.ones(p.shape[0], dtype=dtype)
    p = p.astype(np.float64)
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    entropy = -(p * logs).sum(axis=1)
    return np.clip(1.0 - entropy / np.log(p.shape[1]), 0.0, 1.0).astype(dtype)


def _pseudo_labels(
    probs: np.ndarray, labeled_idx: np.ndarray, labels: np.ndarray, labeled_classes: np.ndarray
) -> np.ndarray:
    """π(p_i) (eq. (1)) over the classes that have labels; true labels on L.

    A class without labels has probability 0, so restricting the argmax to labeled classes
    changes nothing except on uniform rows, which get the smallest labeled class instead of
    class 0 (which may have no labels).
    """
    pseudo = labeled_classes[np.argmax(probs[:, labeled_classes], axis=1)].astype(np.int64)
    pseudo[labeled_idx] = labels
    return pseudo


def _weights(probs: np.ndarray, labeled_idx: np.ndarray, *, normalize: bool) -> np.ndarray:
    """β(p) (eq. (10)), divided by its max over unlabeled examples if asked; 1 on L."""
    weights = entropy_weights(probs).astype(np.float32)
    if normalize:
        unlabeled = np.ones(weights.size, dtype=bool)
        unlabeled[labeled_idx] = False
        top = weights[unlabeled].max(initial=0.0)
        if top > 0:
            weights /= top
    weights[labeled_idx] = 1.0
    return np.clip(weights, 0.0, 1.0)


def inverse_frequency_weights(pseudo_labels: np.ndarray, num_classes: int) -> np.ndarray:
    """[15]'s class weights: 1 / count of each (pseudo-)label, scaled to mean 1 over the
    classes that occur; a class no example has gets 0 (it never appears in a loss)."""
    counts = np.bincount(pseudo_labels, minlength=num_classes).astype(np.float64)
    weights = np.divide(1.0, counts, out=np.zeros(num_classes), where=counts > 0)
    weights /= weights[counts > 0].mean()
    return weights.astype(np.float32)
