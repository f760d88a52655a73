"""Uncertainty acquisition: entropy (eqs. (5)-(6)), margin and least confidence.

Given the classifier's probabilities p_i = f_θ(x_i), uncertainty sampling acquires the b unlabeled
examples whose prediction is least certain. The paper's *Uncertainty* uses the entropy
H(p) = -Σ_k p_k log p_k (eq. (5)) and acquires argmax_{i ∈ U} H(p_i) (eq. (6)); since the score of
one example does not depend on the others, the greedy loop (eq. (3)) is a top-b. Margin (smallest
gap between the two largest probabilities) and least confidence (smallest max p_k) are the two other
classic measures, offered for comparison. Ties go to the lowest index.
"""

from __future__ import annotations

import gin
import numpy as np
import scipy.sparse as sp
import scipy.special

from tfal.acquisition import ranking, validation


def entropy(probs: np.ndarray) -> np.ndarray:
    """Returns H(p) (eq. (5)) per row, in nats, with 0 log 0 = 0.

    Args:
        probs: float [n, c], rows of probabilities.

    Returns:
        float64 [n], values in [0, log c].
    """
    return scipy.special.entr(np.asarray(probs, dtype=np.float64)).sum(axis=1)


def _scored_selection(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    probs: np.ndarray | None,
    features: np.ndarray | None,
    graph: sp.spmatrix | None,
    strategy: str,
    score_fn,
    largest: bool,
) -> np.ndarray:
    probs = validation.check_probs(validation.require(probs, name="probs", strategy=strategy))
    pool_size = validation.infer_pool_size(features=features, probs=probs, graph=graph)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=pool_size)
    scores = score_fn(probs)
    return ranking.best_unlabeled(scores, pool.unlabeled_mask, budget, largest=largest)


@gin.configurable("uncertainty", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def uncertainty(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
) -> np.ndarray:
    """Acquires the b unlabeled examples of largest entropy H(p) (eq. (6)).

    Args:
        budget: b, how many to acquire.
        labeled_idx: integer [|L|], the labeled set L.
        features: float [n, d]; not used (only checked to agree on n).
        probs: float [n, c], classifier probabilities f_θ(x_i); required.
        graph: not used; accepted so that the loop calls every strategy alike.
        seed: not used (deterministic).
        cycle: not used.

    Returns:
        int64 [b] pool indices, most uncertain first.
    """
    del seed, cycle  # Deterministic, the same in every cycle.
    return _scored_selection(
        budget,
        labeled_idx=labeled_idx,
        probs=probs,
        features=features,
        graph=graph,
        strategy="uncertainty",
        score_fn=entropy,
        largest=True,
    )


def _margin(probs: np.ndarray) -> np.ndarray:
    top2 = np.partition(probs, probs.shape[1] - 2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


@gin.configurable("margin", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def margin(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
) -> np.ndarray:
    """Acquires the b unlabeled examples of smallest gap between their two top probabilities.

    Args: as `uncertainty`; probs is required.

    Returns:
        int64 [b] pool indices, smallest margin first.
    """
    del seed, cycle
    return _scored_selection(
        budget,
        labeled_idx=labeled_idx,
        probs=probs,
        features=features,
        graph=graph,
        strategy="margin",
        score_fn=_margin,
        largest=False,
    )


@gin.configurable(
    "least_confidence", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS
)
def least_confidence(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
) -> np.ndarray:
    """Acquires the b unlabeled examples of smallest top probability max_k p_k.

    Args: as `uncertainty`; probs is required.

    Returns:
        int64 [b] pool indices, least confident first.
    """
    del seed, cycle
    return _scored_selection(
        budget,
        labeled_idx=labeled_idx,
        probs=probs,
        features=features,
        graph=graph,
        strategy="least_confidence",
        score_fn=lambda p: p.max(axis=1),
        largest=False,
    )
