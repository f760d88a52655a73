"""Dense numpy references for LP's graph, written without tfal (the LP and jLP tests compare)."""

import numpy as np


def cosine_neighbours(x, k, *, min_margin=1e-5):
    """(cosine similarities [n, n] with the diagonal at -inf, each row's neighbours by falling
    similarity, self excluded); asserts a k-th / (k+1)-th similarity gap above `min_margin`, so a
    float32 search finds the same k."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    s = unit @ unit.T
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    ranked = np.take_along_axis(s, order, axis=1)
    margin = (ranked[:, k - 1] - ranked[:, k]).min()
    assert margin > min_margin, f"near-tie between k-th and (k+1)-th neighbour: {margin:.1e}"
    return s, order
