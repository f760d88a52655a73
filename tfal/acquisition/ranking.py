"""Ranking the unlabeled examples by a score: the batch form of greedy acquisition (eq. (3)).

When the score of one example does not depend on what else was acquired (entropy, eq. (6); margin;
least confidence), the greedy loop of eq. (3) reduces to taking the b best scores at once.
"""

from __future__ import annotations

import numpy as np


def best_unlabeled(
    scores: np.ndarray, unlabeled_mask: np.ndarray, budget: int, *, largest: bool
) -> np.ndarray:
    """Returns the `budget` unlabeled indices of best score, best first.

    Ties go to the lowest index (stable sort), so the result is deterministic.

    Args:
        scores: float [n], finite.
        unlabeled_mask: bool [n], True where an example may be picked.
        budget: b <= unlabeled_mask.sum().
        largest: pick the largest scores if True, the smallest if False.

    Returns:
        int64 [b] pool indices.
    """
    candidates = np.flatnonzero(unlabeled_mask)
    keys = scores[candidates]
    order = np.argsort(-keys if largest else keys, kind="stable")
    return candidates[order[:budget]].astype(np.int64)
