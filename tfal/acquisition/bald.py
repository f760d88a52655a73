"""BALD: Bayesian active learning by disagreement, with MC dropout (Gal et al., ICML 2017).

The mutual information between an example's label and the network's weights,

    I(y; w | x) = H(mean_t p_t) - mean_t H(p_t),

estimated from T stochastic forward passes p_1..p_T with dropout on (batch norm in inference
mode): large when the passes disagree with each other while each is confident, not merely when the
average prediction is uncertain (entropy). The score of one example does not depend on the others,
so the greedy loop (eq. (3)) is a top-b; ties go to the lowest index. Not in the paper; offered
beside margin and least confidence.
"""

from __future__ import annotations

import numpy as np

from tfal.acquisition import ranking, validation
from tfal.acquisition.probability_scores import entropy
from tfal.config_types import configurable


def mutual_information(mc_probs: np.ndarray) -> np.ndarray:
    """float64 [n]: H(mean_t p_t) - mean_t H(p_t) for MC probabilities `mc_probs` [T, n, c]."""
    mc = np.asarray(mc_probs, dtype=np.float64)
    if mc.ndim != 3 or mc.shape[0] < 1:
        raise ValueError(f"mc_probs must be [T, n, c] with T >= 1, got shape {mc.shape}")
    for sample in mc:
        validation.check_probs(sample)
    mean_entropy = np.mean([entropy(sample) for sample in mc], axis=0)
    return np.maximum(entropy(mc.mean(axis=0)) - mean_entropy, 0.0)


@configurable(
    "bald",
    module="tfal.acquisition",
    denylist=("budget", "labeled_idx", "mc_probs", "seed", "cycle"),
)
def bald(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    mc_probs: np.ndarray | None = None,
    seed: int = 0,
    cycle: int = 0,
    **unused,
) -> np.ndarray:
    """Acquires the b unlabeled examples of largest mutual information (MC dropout).

    Args:
        budget: b, how many to acquire.
        labeled_idx: integer [|L|], the labeled set L.
        mc_probs: float [T, n, c], T dropout samples of the pool's probabilities; the loop passes
            `ActiveLearningLoop.mc_dropout_samples` of them.
        seed: not used (BALD is deterministic).
        cycle: not used.
        **unused: the loop's other inputs.

    Returns:
        int64 [b] pool indices, largest score first.
    """
    del seed, cycle, unused
    mc = validation.require(mc_probs, name="mc_probs", strategy="bald")
    scores = mutual_information(mc)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=len(scores))
    return ranking.best_unlabeled(scores, pool.unlabeled_mask, budget, largest=True)
