"""Random acquisition: b examples drawn uniformly without replacement from U (paper 6.1 (a))."""

from __future__ import annotations

import gin
import numpy as np
import scipy.sparse as sp

from tfal.acquisition import validation


@gin.configurable(
    "random",
    module="tfal.acquisition",
    denylist=(*validation.RUNTIME_ARGUMENTS, "pool_size"),
)
def random(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    pool_size: int | None = None,
    seed: int = 0,
    cycle: int = 0,
) -> np.ndarray:
    """Acquires b unlabeled examples uniformly at random, without replacement.

    The pool size n is read from whichever of features, probs, graph and pool_size is given (they
    must agree); their values are not used.

    Args:
        budget: b, how many to acquire.
        labeled_idx: integer [|L|], the labeled set L.
        features: float [n, d]; optional, only its length is used.
        probs: float [n, c]; optional, only its length is used.
        graph: sparse [n, n]; optional, only its size is used.
        pool_size: n, for when none of the arrays is at hand.
        seed: seeds `np.random.default_rng`; the loop derives it from (run seed, cycle).
        cycle: not used (the seed already differs per cycle).

    Returns:
        int64 [b] pool indices in draw order.
    """
    del cycle
    n = validation.infer_pool_size(features=features, probs=probs, graph=graph, pool_size=pool_size)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=n)
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(pool.unlabeled_mask)
    return rng.choice(candidates, size=budget, replace=False).astype(np.int64)
