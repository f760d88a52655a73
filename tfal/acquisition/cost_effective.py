"""CEAL (Wang et al. [35]): entropy acquisition plus confident pseudo-labels (eq. (7)).

CEAL acquires like *Uncertainty* (eq. (6)), and in addition it trains on the most certain unlabeled
examples L̂ := {i ∈ U : H(p_i) <= ε} (eq. (7)) with pseudo-label ŷ_i = argmax_k p_ik (eq. (1)). As in
the authors' code the entropy is normalised, H(p)/log c ∈ [0, 1], and the threshold decreases
linearly with the cycle: ε_j = threshold - decay · j. Pseudo-labels are recomputed once per cycle
and are not combined with label propagation (paper 6.1).
"""

from __future__ import annotations

import numbers
from typing import Annotated

import numpy as np

from tfal.acquisition import probability_scores, validation
from tfal.config_types import Probability, Range, configurable

ceal = probability_scores.probability_strategy(
    "ceal",
    *probability_scores.SCORES["ceal"],
    doc="Acquires like `uncertainty` (largest entropy, eq. (6)); the loop adds `ceal_pseudo_labels`.",
)


@configurable("ceal_pseudo_labels", module="tfal.acquisition", allowlist=("threshold", "decay"))
def ceal_pseudo_labels(
    probs: np.ndarray,
    labeled_idx: np.ndarray,
    *,
    cycle: int,
    threshold: Annotated[float, Range(-1.0, 1.0)] = 0.1,
    decay: Probability = 0.00033,
    exclude_idx: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-labels the confident unlabeled examples (eq. (7)) for CEAL training.

    Args:
        probs: float [n, c], c >= 2, classifier probabilities on the whole pool.
        labeled_idx: integer [|L|], the labeled set L (never pseudo-labeled).
        cycle: j >= 0, the current cycle; the threshold is `threshold - decay * cycle`.
        threshold: ε at cycle 0, on the normalised entropy H(p)/log c, in [-1, 1] (below 0: none).
        decay: how much ε drops per cycle: 0.00033 as the authors' code (Wang et al. [35] write
            0.0033). A threshold below 0 gives no pseudo-labels.
        exclude_idx: integer [m], also never pseudo-labeled (the batch just acquired, about to
            receive true labels).

    Returns:
        (idx, labels): int64 [k] sorted pool indices and int64 [k] their predicted classes.
    """
    if isinstance(cycle, bool) or not isinstance(cycle, numbers.Integral) or cycle < 0:
        raise ValueError(f"cycle must be an integer >= 0, got {cycle!r}")
    for name, value in (("threshold", threshold), ("decay", decay)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    probs = validation.check_probs(probs)
    n, num_classes = probs.shape
    candidates = np.ones(n, dtype=bool)
    candidates[validation.check_indices(labeled_idx, pool_size=n, what="labeled_idx")] = False
    if exclude_idx is not None:
        candidates[validation.check_indices(exclude_idx, pool_size=n, what="exclude_idx")] = False
    epsilon = threshold - decay * cycle
    normalised = probability_scores.entropy(probs) / np.log(num_classes)
    idx = np.flatnonzero(candidates & (normalised <= epsilon)).astype(np.int64)
    labels = probs[idx].argmax(axis=1).astype(np.int64)
    return idx, labels
