"""Normalised mutual information, DeepCluster's [5] measure of how clusterings agree (section 4.1).

[5] defines NMI(A; B) = I(A; B) / sqrt(H(A) H(B)) and reports it twice: against the true classes
(how much class information the clusters capture; an oracle diagnostic here) and between the
assignments of consecutive epochs (how stable the clustering has become).
"""

from __future__ import annotations

import numpy as np


def normalized_mutual_info(a: np.ndarray, b: np.ndarray) -> float:
    """I(a; b) / sqrt(H(a) H(b)) of two labelings of the same examples, in [0, 1].

    Invariant to renaming the labels of either side. Two constant labelings agree perfectly (1.0);
    a constant labeling against a varying one carries no information (0.0).

    Args:
      a, b: int [n] labels (any integer values) of the same n examples.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(
            f"a and b must be non-empty 1-d arrays of equal length, got {a.shape}, {b.shape}"
        )
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    joint = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.float64)
    np.add.at(joint, (ia, ib), 1.0)
    joint /= len(a)
    pa, pb = joint.sum(axis=1), joint.sum(axis=0)
    ha, hb = _entropy(pa), _entropy(pb)
    if ha == 0.0 and hb == 0.0:
        return 1.0
    if ha == 0.0 or hb == 0.0:
        return 0.0
    nz = joint > 0
    mi = float(np.sum(joint[nz] * np.log(joint[nz] / np.outer(pa, pb)[nz])))
    return float(np.clip(mi / np.sqrt(ha * hb), 0.0, 1.0))


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))
