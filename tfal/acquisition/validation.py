"""Checks on what acquisition receives and on what it returns.

Acquisition picks a batch S of b indices from the unlabeled set U (paper section 3, eq. (3)). Every
strategy shares the same preconditions (a well-formed pool, labeled set and budget) and the same
postconditions (|S| = b, S ⊂ U, no repeats); they live here, once, so that each strategy module holds
only its algorithm and so that the loop can assert the postconditions every cycle with
`check_selection`, as google/active-learning does.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import scipy.sparse as sp

# The arguments the loop supplies on every call; gin must not bind them (data, not configuration).
RUNTIME_ARGUMENTS = ("budget", "labeled_idx", "features", "probs", "graph", "seed", "cycle")
# How many offending values an error message shows.
_SHOW = 5
# Softmax rows in float32 sum to one within ~1e-6; this only catches logits or unnormalised scores.
_ROW_SUM_ATOL = 1e-3


@dataclasses.dataclass(frozen=True)
class Pool:
    """The validated view of a pool that a strategy works on.

    Attributes:
        size: n, the number of examples in the pool.
        labeled_idx: int64 [|L|], the labeled indices, sorted.
        unlabeled_mask: bool [n], True on U (a fresh array each call: strategies may modify it).
    """

    size: int
    labeled_idx: np.ndarray
    unlabeled_mask: np.ndarray

    @property
    def num_unlabeled(self) -> int:
        return self.size - self.labeled_idx.size


def _head(values: np.ndarray) -> str:
    values = np.asarray(values).ravel()
    shown = ", ".join(str(v) for v in values[:_SHOW].tolist())
    return f"[{shown}{', ...' if values.size > _SHOW else ''}]"


def require(value, *, name: str, strategy: str):
    """Returns `value`, raising ValueError if a strategy's required input is missing (None)."""
    if value is None:
        raise ValueError(f"strategy {strategy!r} needs {name}, got None")
    return value


def check_budget(budget: int) -> int:
    """Returns `budget` as an int, raising ValueError unless it is an integer >= 0."""
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral) or budget < 0:
        raise ValueError(f"budget must be an integer >= 0, got {budget!r}")
    return int(budget)


def check_probs(probs: np.ndarray) -> np.ndarray:
    """Returns `probs` as float64 [n, c] after checking it holds probability rows.

    Args:
        probs: float [n, c], c >= 2, each row non-negative, finite and summing to one.
    """
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"probs must be a 2-D [n, c] array with c >= 2, got shape {probs.shape}")
    if not np.issubdtype(probs.dtype, np.floating):
        raise ValueError(f"probs must be a float array, got dtype {probs.dtype}")
    probs = probs.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(probs).all(axis=1))
    if bad.size:
        raise ValueError(f"probs has non-finite values in rows {_head(bad)}")
    bad = np.flatnonzero((probs < 0).any(axis=1))
    if bad.size:
        raise ValueError(f"probs has negative values in rows {_head(bad)}")
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_SUM_ATOL)
    if bad.size:
        raise ValueError(
            f"probs rows must sum to 1 (softmax outputs, not logits); rows {_head(bad)} sum to "
            f"{_head(sums[bad])}"
        )
    return probs


def check_features(features: np.ndarray) -> np.ndarray:
    """Returns `features` as a float [n, d] array after checking it is finite.

    Args:
        features: float [n, d], d >= 1. float32 and float64 are kept as they are.
    """
    features = np.asarray(features)
    if features.ndim != 2 or features.shape[1] < 1:
        raise ValueError(f"features must be a 2-D [n, d] array, got shape {features.shape}")
    if not np.issubdtype(features.dtype, np.floating):
        raise ValueError(f"features must be a float array, got dtype {features.dtype}")
    bad = np.flatnonzero(~np.isfinite(features).all(axis=1))
    if bad.size:
        raise ValueError(f"features has non-finite values in rows {_head(bad)}")
    return features


def check_graph(graph: sp.spmatrix) -> sp.csr_matrix:
    """Returns `graph` as CSR after checking it is a square sparse matrix with finite entries."""
    if not sp.issparse(graph):
        raise ValueError(f"graph must be a scipy sparse [n, n] matrix, got {type(graph).__name__}")
    if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
        raise ValueError(f"graph must be square [n, n], got shape {graph.shape}")
    graph = sp.csr_matrix(graph)
    if not np.isfinite(graph.data).all():
        raise ValueError("graph has non-finite entries")
    return graph


def check_indices(indices: np.ndarray, *, pool_size: int, what: str) -> np.ndarray:
    """Returns `indices` as sorted int64 after checking they are unique and within [0, pool_size).

    Args:
        indices: integer [m] global pool indices (any order; m may be 0).
        pool_size: n.
        what: the argument's name, for the error message.
    """
    indices = np.asarray(indices)
    if indices.size == 0:
        return np.zeros(0, dtype=np.int64)
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"{what} must be a 1-D integer array, got shape {indices.shape} dtype {indices.dtype}"
        )
    indices = indices.astype(np.int64)
    bad = indices[(indices < 0) | (indices >= pool_size)]
    if bad.size:
        raise ValueError(f"{what} has indices outside [0, {pool_size}): {_head(bad)}")
    indices = np.sort(indices)
    repeated = np.unique(indices[1:][indices[1:] == indices[:-1]])
    if repeated.size:
        raise ValueError(f"{what} has repeated indices: {_head(repeated)}")
    return indices


def infer_pool_size(
    *,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    pool_size: int | None = None,
) -> int:
    """Returns n, the one pool size that all given inputs agree on.

    Raises:
        ValueError: if none is given, or two of them disagree.
    """
    sizes = {
        name: int(np.shape(value)[0])
        for name, value in (("features", features), ("probs", probs), ("graph", graph))
        if value is not None
    }
    if pool_size is not None:
        if isinstance(pool_size, bool) or not isinstance(pool_size, numbers.Integral):
            raise ValueError(f"pool_size must be an integer, got {pool_size!r}")
        sizes["pool_size"] = int(pool_size)
    if not sizes:
        raise ValueError("cannot tell the pool size: pass features, probs, graph or pool_size")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"inputs disagree on the pool size n: {sizes}")
    return next(iter(sizes.values()))


def make_pool(budget: int, *, labeled_idx: np.ndarray, pool_size: int) -> Pool:
    """Validates the labeled set and the budget against a pool of `pool_size` examples.

    Raises:
        ValueError: on a bad labeled_idx or budget, or budget > |U|.
    """
    budget = check_budget(budget)
    labeled = check_indices(labeled_idx, pool_size=pool_size, what="labeled_idx")
    mask = np.ones(pool_size, dtype=bool)
    mask[labeled] = False
    pool = Pool(size=pool_size, labeled_idx=labeled, unlabeled_mask=mask)
    if budget > pool.num_unlabeled:
        raise ValueError(
            f"budget {budget} exceeds the number of unlabeled examples {pool.num_unlabeled} "
            f"(pool of {pool_size}, {labeled.size} labeled)"
        )
    return pool


def check_selection(
    selected: np.ndarray, *, labeled_idx: np.ndarray, pool_size: int, budget: int
) -> None:
    """Raises ValueError unless `selected` is a valid acquisition: b distinct unlabeled indices.

    Args:
        selected: integer [b], the acquired batch S.
        labeled_idx: integer [|L|], the labeled set L before this acquisition.
        pool_size: n.
        budget: b.
    """
    budget = check_budget(budget)
    selected = np.asarray(selected)
    if selected.ndim != 1 or (selected.size and not np.issubdtype(selected.dtype, np.integer)):
        raise ValueError(
            f"selection must be a 1-D integer array, got shape {selected.shape} "
            f"dtype {selected.dtype}"
        )
    if selected.size != budget:
        raise ValueError(f"selection has {selected.size} indices, the budget is {budget}")
    check_indices(selected, pool_size=pool_size, what="selection")
    labeled = check_indices(labeled_idx, pool_size=pool_size, what="labeled_idx")
    already = np.intersect1d(selected, labeled)
    if already.size:
        raise ValueError(f"selection contains labeled indices: {_head(already)}")
