"""CoreSet: greedy k-center acquisition in feature space (eq. (4); Sener & Savarese [30]).

Each pick is the unlabeled example farthest from its nearest labeled-or-already-picked example,
a(X, L, U) = argmax_{i ∈ U} min_{k ∈ L} ||φ(x_i) - φ(x_k)|| (eq. (4)), applied greedily with the pick
joining L before the next one (eq. (3)).

Cost, for a pool of n examples of dimension d, |L| labeled and budget b:
- the distance from every unlabeled example to its nearest labeled one is computed block by block
  (O(n |L| d) time, memory bounded by a fixed block, never an n × |L| or n × n matrix);
- after each pick the vector of nearest distances is updated with the distances to that single
  new centre, one matrix-vector product (O(n d)), so the whole selection is O((|L| + b) n d) time
  and O(n d) memory. This is what the authors' code does; recomputing distances to every centre at
  each pick would cost O(b (|L| + b) n d).
Squared distances are used throughout (same argmax), via ||a||² - 2 a·c + ||c||², after
subtracting the features' mean (distances do not change; the cancellation error of the expansion
shrinks). The per-pick update reads the whole n × d matrix, so it is bound by memory bandwidth:
`dtype="float32"` (default) holds the features in float32, about 3x faster per product than
float64 at n = 50,000, d = 128 (see bench/acquisition.py). Its distances carry a relative error of
about 1e-6, so when two candidates are that close to a tie the pick can differ from an exact
float64 computation (the covering radius, the k-center objective, is the same to that precision).
`dtype="float64"` is exact to double precision, for reproducing reference selections.
"""

from __future__ import annotations

import types
from typing import Annotated

import numpy as np
import scipy.sparse as sp

from tfal.acquisition import validation
from tfal.config_types import OneOf, configurable

_DTYPES = types.MappingProxyType({"float32": np.float32, "float64": np.float64})
# Elements (rows × labeled) in one block of the initial distance computation: 32 MiB in float64.
_BLOCK_ELEMENTS = 1 << 22
# Marks labeled and picked examples in the distance vector: below any real squared distance.
_EXCLUDED = -1.0


def min_sq_distances(
    points: np.ndarray, centres: np.ndarray, *, block_elements: int = _BLOCK_ELEMENTS
) -> np.ndarray:
    """Returns each point's squared Euclidean distance to its nearest centre, block by block.

    Args:
        points: float [m, d].
        centres: float [k, d], k >= 1, same dtype as points (the products run in that dtype).
        block_elements: at most this many point-centre distances are held at once.

    Returns:
        float64 [m], non-negative.
    """
    centre_sq = np.einsum("ij,ij->i", centres, centres, dtype=np.float64)
    rows = max(1, block_elements // max(1, centres.shape[0]))
    out = np.empty(points.shape[0], dtype=np.float64)
    for start in range(0, points.shape[0], rows):
        block = points[start : start + rows]
        d2 = (block @ centres.T).astype(np.float64, copy=False)
        d2 *= -2.0
        d2 += np.einsum("ij,ij->i", block, block, dtype=np.float64)[:, None]
        d2 += centre_sq[None, :]
        out[start : start + rows] = d2.min(axis=1)
    return np.maximum(out, 0.0, out=out)


def _k_center_greedy(
    x: np.ndarray, pool: validation.Pool, budget: int, rng: np.random.Generator
) -> np.ndarray:
    sq = np.einsum("ij,ij->i", x, x, dtype=np.float64)
    nearest = np.full(pool.size, _EXCLUDED)
    unlabeled = np.flatnonzero(pool.unlabeled_mask)
    if pool.labeled_idx.size:
        nearest[unlabeled] = min_sq_distances(x[unlabeled], x[pool.labeled_idx])
    else:
        nearest[unlabeled] = np.inf
    picks = np.empty(budget, dtype=np.int64)
    for t in range(budget):
        if pool.labeled_idx.size == 0 and t == 0:
            # No centre yet: every example is infinitely far; start at a random one (as [30]).
            pick = int(rng.choice(unlabeled))
        else:
            pick = int(np.argmax(nearest))  # first maximum: ties go to the lowest index
        picks[t] = pick
        # einsum's own single-threaded loop, not BLAS: this product is memory-bound, and a
        # multi-threaded BLAS gemv on a busy machine was measured up to 7x slower.
        d2 = np.einsum("ij,j->i", x, x[pick]).astype(np.float64, copy=False)
        d2 *= -2.0
        d2 += sq
        d2 += sq[pick]
        np.maximum(d2, 0.0, out=d2)
        np.minimum(nearest, d2, out=nearest)  # excluded entries stay at _EXCLUDED
        nearest[pick] = _EXCLUDED
    return picks


@configurable("coreset", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def coreset(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
    dtype: Annotated[str, OneOf(tuple(_DTYPES))] = "float32",
) -> np.ndarray:
    """Acquires b examples by greedy k-center on the features (eq. (4)).

    Deterministic when L is not empty (ties go to the lowest index). With L empty the first
    centre is drawn uniformly with `seed`.

    Args:
        budget: b, how many to acquire.
        labeled_idx: integer [|L|], the labeled set L.
        features: float [n, d], the embedding φ_θ(x_i) of every pool example, used as given
            (Euclidean distance, no normalisation); required.
        probs: float [n, c]; not used (only checked to agree on n).
        graph: not used.
        seed: used only to pick the first centre when L is empty.
        cycle: not used.
        dtype: "float32" (fast) or "float64" (exact ties); see the module docstring.

    Returns:
        int64 [b] pool indices in pick order.
    """
    del cycle
    features = validation.check_features(
        validation.require(features, name="features", strategy="coreset")
    )
    n = validation.infer_pool_size(features=features, probs=probs, graph=graph)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=n)
    float_type = _DTYPES[dtype]
    x = np.array(features, dtype=float_type, order="C")  # a copy: the caller's array is untouched
    x -= x.mean(axis=0, dtype=np.float64).astype(float_type)
    return _k_center_greedy(x, pool, budget, np.random.default_rng(seed))
