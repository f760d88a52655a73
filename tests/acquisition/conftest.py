"""Shared fixtures for the acquisition tests: a small pool with features, probabilities, labels."""

import numpy as np
import pytest


@pytest.fixture
def pool():
    """60 examples in 3 Gaussian blobs (d = 5), softmax-like probabilities over 4 classes."""
    rng = np.random.default_rng(7)
    centres = rng.normal(scale=5.0, size=(3, 5))
    features = (centres[np.arange(60) % 3] + rng.normal(size=(60, 5))).astype(np.float32)
    probs = rng.dirichlet(np.full(4, 0.7), size=60).astype(np.float32)
    labeled_idx = np.array([0, 1, 2, 10, 11, 12], dtype=np.int64)
    return {"features": features, "probs": probs, "labeled_idx": labeled_idx}
