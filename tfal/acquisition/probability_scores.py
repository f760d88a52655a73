"""Uncertainty acquisition: entropy (eqs. (5)-(6)), margin and least confidence.

Given the classifier's probabilities p_i = f_θ(x_i), uncertainty sampling acquires the b unlabeled
examples whose prediction is least certain. The paper's *Uncertainty* uses the entropy
H(p) = -Σ_k p_k log p_k (eq. (5)) and acquires argmax_{i ∈ U} H(p_i) (eq. (6)); since the score of
one example does not depend on the others, the greedy loop (eq. (3)) is a top-b. Margin (smallest
gap between the two largest probabilities) and least confidence (smallest max p_k) are the two other
classic measures, offered for comparison. Ties go to the lowest index.
"""

from __future__ import annotations

import types
from collections.abc import Callable

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


def probability_strategy(name: str, score_fn: Callable, largest: bool, *, doc: str) -> Callable:
    """A top-b strategy on a score of the classifier's probabilities, registered with gin as
    `@tfal.acquisition.<name>`; `doc` says what it acquires.

    The strategy has the keyword interface of every strategy (`tfal.acquisition`):
    `(budget, *, labeled_idx, features=None, probs=None, graph=None, seed=0, cycle=0)`; probs
    [n, c] is required, features and graph are only checked to agree on n, seed and cycle are
    not used (deterministic, the same in every cycle). It returns int64 [b] pool indices, the
    best score first; ties go to the lowest index.
    """

    def strategy(
        budget: int,
        *,
        labeled_idx: np.ndarray,
        features: np.ndarray | None = None,
        probs: np.ndarray | None = None,
        graph: sp.spmatrix | None = None,
        seed: int = 0,
        cycle: int = 0,
    ) -> np.ndarray:
        del seed, cycle
        probs = validation.check_probs(validation.require(probs, name="probs", strategy=name))
        pool_size = validation.infer_pool_size(features=features, probs=probs, graph=graph)
        pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=pool_size)
        return ranking.best_unlabeled(score_fn(probs), pool.unlabeled_mask, budget, largest=largest)

    strategy.__name__ = strategy.__qualname__ = name
    strategy.__doc__ = doc
    return gin.configurable(name, module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)(
        strategy
    )


def _margin(probs: np.ndarray) -> np.ndarray:
    top2 = np.partition(probs, probs.shape[1] - 2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def _top_probability(probs: np.ndarray) -> np.ndarray:
    return probs.max(axis=1)


# name -> (the score of each example's probabilities, whether the largest are acquired first)
SCORES = types.MappingProxyType(
    {
        "uncertainty": (entropy, True),
        "ceal": (entropy, True),
        "margin": (_margin, False),
        "least_confidence": (_top_probability, False),
    }
)


def acquisition_scores(name: str, probs: np.ndarray) -> np.ndarray | None:
    """The score the probability strategy `name` ranks by, signed so that the first acquired
    scores highest (for rank correlations between strategies); None for other strategies."""
    if name not in SCORES:
        return None
    score_fn, largest = SCORES[name]
    scores = score_fn(probs)
    return scores if largest else -scores


uncertainty = probability_strategy(
    "uncertainty",
    *SCORES["uncertainty"],
    doc="Acquires the b unlabeled examples of largest entropy H(p) (eqs. (5)-(6)), most uncertain first.",
)
margin = probability_strategy(
    "margin",
    *SCORES["margin"],
    doc="Acquires the b unlabeled examples of smallest gap between their two top probabilities.",
)
least_confidence = probability_strategy(
    "least_confidence",
    *SCORES["least_confidence"],
    doc="Acquires the b unlabeled examples of smallest top probability max_k p_k.",
)
