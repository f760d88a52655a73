"""tfal.lp.pca_whiten and propagate(whiten=True): the LP feature normalisation beyond the paper."""

import numpy as np
import pytest

from tfal import lp


def _correlated(n=4000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    rotation = np.linalg.qr(rng.standard_normal((d, d)))[0]
    mixing = rotation * np.array([3.0, 2.0, 1.0, 0.7, 0.5, 0.3])  # variances 9 ... 0.09
    return rng.standard_normal((n, d)) @ mixing.T + 5.0


def test_whitened_features_are_centred_with_identity_covariance():
    white = lp.pca_whiten(_correlated())
    assert white.dtype == np.float32 and white.shape == (4000, 6)
    np.testing.assert_allclose(white.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(np.cov(white.T, bias=True), np.eye(6), atol=2e-3)


def test_dim_keeps_the_leading_principal_directions():
    x = _correlated()
    full, top = lp.pca_whiten(x), lp.pca_whiten(x, dim=2)
    assert top.shape == (4000, 2)
    # the same directions up to sign
    np.testing.assert_allclose(np.abs(top), np.abs(full[:, :2]), atol=1e-3)


def test_dead_units_and_constant_features_give_finite_output():
    x = _correlated()
    x[:, 3] = 0.0  # a dead ReLU unit
    white = lp.pca_whiten(x)
    assert np.all(np.isfinite(white))
    # the dead direction is floored, not scaled up to unit variance
    assert np.sort(white.var(axis=0))[0] < 1e-3
    np.testing.assert_array_equal(lp.pca_whiten(np.ones((10, 4))), np.zeros((10, 4)))


@pytest.mark.parametrize("kwargs", [{"dim": 0}, {"dim": 7}, {"eps": 0.0}])
def test_bad_options_are_named(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        lp.pca_whiten(_correlated(n=50), **kwargs)


def test_whitening_recovers_classes_hidden_under_a_dominant_shared_direction():
    """Raw cosine kNN is ruled by a large nuisance direction and an offset all examples share
    (like ReLU embeddings); whitened, the small class direction counts as much as the others."""
    rng = np.random.default_rng(1)
    n = 2000
    truth = np.repeat(np.arange(2), n // 2)
    x = np.stack(
        [
            20.0 * rng.standard_normal(n),  # nuisance, independent of the class
            0.5 * (2 * truth - 1) + 0.15 * rng.standard_normal(n),  # the class
            0.15 * rng.standard_normal(n),
        ],
        axis=1,
    )
    x += 30.0  # shared offset
    labeled = np.array([0, n - 1])
    unlabeled = np.arange(1, n - 1)
    accuracy = {}
    for whiten in (False, True):
        result = lp.propagate(x, labeled, truth[labeled], 2, k=10, whiten=whiten)
        accuracy[whiten] = np.mean(result.pseudo_labels[unlabeled] == truth[unlabeled])
    assert accuracy[True] > 0.95
    assert accuracy[False] < 0.75


def test_whiten_dim_builds_the_graph_on_the_leading_whitened_directions():
    """LPConfig.whiten_dim: the graph of LP equals the graph on pca_whiten(x, dim) features."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((120, 16)).astype(np.float32) * np.linspace(5, 0.1, 16)
    labeled, labels = np.array([0, 1, 2]), np.array([0, 1, 2])
    kept = lp.propagate(x, labeled, labels, 3, k=8, whiten=True, whiten_dim=4)
    by_hand = lp.propagate(lp.pca_whiten(x, dim=4), labeled, labels, 3, k=8)
    assert (kept.graph != by_hand.graph).nnz == 0
    every = lp.propagate(x, labeled, labels, 3, k=8, whiten=True)
    assert (every.graph != kept.graph).nnz > 0  # all 16 directions give another graph
    assert (lp.affinity_graph(x, k=8, whiten=True, whiten_dim=4) != kept.graph).nnz == 0
    with pytest.raises(ValueError, match="whiten_dim=0"):
        lp.propagate(x, labeled, labels, 3, whiten=True, whiten_dim=0)
