"""The kNN affinity W and its normalisation (sec. 3): self-loops, duplicates, symmetry, isolation."""

import numpy as np
import pytest
import scipy.sparse as sp

from tfal import lp
from tfal.lp import graph, knn


def _positive_features(n=150, d=8, seed=0):
    """Features in the positive orthant: every similarity > 0, so no kNN edge has weight 0."""
    return np.abs(np.random.default_rng(seed).standard_normal((n, d))) + 0.05


def _assert_symmetric_no_self_loops(w):
    assert sp.isspmatrix_csr(w) and w.dtype == np.float32
    assert abs(w - w.T).max() == 0
    assert not w.diagonal().any()
    assert np.isfinite(w.data).all()


def test_sum_graph_is_symmetric_with_k_neighbours_and_cubed_similarities():
    x = _positive_features()
    k = 6
    w = lp.knn_graph(x, k=k)
    _assert_symmetric_no_self_loops(w)
    assert (np.diff(w.indptr) >= k).all()
    # every edge weight is s^3 (one direction) or 2 s^3 (both directions)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    rows, cols = w.nonzero()
    cubes = np.sum(xn[rows] * xn[cols], axis=1) ** 3
    ratio = np.asarray(w[rows, cols]).ravel() / cubes
    assert np.all(np.isclose(ratio, 1.0, rtol=1e-4) | np.isclose(ratio, 2.0, rtol=1e-4))


def test_exact_duplicates_keep_k_neighbours_and_no_self_loops():
    base = _positive_features(n=40, seed=1)
    # point 0 repeated 12 times (more than k + 1 = 6 copies: some copies never see themselves)
    x = np.concatenate([base, np.repeat(base[:1], 12, axis=0), base[5:15]])
    k = 5
    found = knn.search(knn.l2_normalize(x), k + 1, index="exact")
    sims, ids = graph.drop_self(found)
    assert ids.shape == (x.shape[0], k)
    assert not (ids == np.arange(x.shape[0])[:, None]).any()
    w = lp.knn_graph(x, k=k)
    _assert_symmetric_no_self_loops(w)
    assert (np.diff(w.indptr) >= k).all()


def test_drop_self_removes_by_identity_not_position():
    ids = np.array([[3, 0, 1], [1, 2, 0], [2, 3, 1], [0, 1, 2]])  # row 3 has no self entry
    sims = np.array([[1, 1, 0.5], [1, 0.9, 0.8], [1, 0.7, 0.6], [1, 1, 0.9]], dtype=np.float32)
    kept_sims, kept_ids = graph.drop_self(knn.Neighbours(sims, ids, "exact"))
    np.testing.assert_array_equal(kept_ids, [[3, 1], [2, 0], [3, 1], [0, 1]])
    np.testing.assert_array_equal(kept_sims[0], [1, 0.5])


def test_mutual_edges_are_a_subset_of_sum_edges():
    x = np.random.default_rng(2).standard_normal((200, 6))
    w_sum = lp.knn_graph(x, k=7, symmetrize="sum")
    w_mutual = lp.knn_graph(x, k=7, symmetrize="mutual")
    _assert_symmetric_no_self_loops(w_sum)
    _assert_symmetric_no_self_loops(w_mutual)
    sum_edges = set(zip(*w_sum.nonzero(), strict=True))
    mutual_edges = set(zip(*w_mutual.nonzero(), strict=True))
    assert mutual_edges < sum_edges  # strictly: some kNN relations are not reciprocal
    # a mutual edge carries s^3 once, the sum graph 2 s^3 on the same edge
    rows, cols = w_mutual.nonzero()
    np.testing.assert_allclose(
        np.asarray(w_sum[rows, cols]).ravel(),
        2 * np.asarray(w_mutual[rows, cols]).ravel(),
        rtol=1e-5,
    )


def test_clip_negative_false_keeps_the_sign_of_the_cube():
    x = np.random.default_rng(3).standard_normal((60, 3))
    w_signed = lp.knn_graph(x, k=40, clip_negative=False)
    w_clipped = lp.knn_graph(x, k=40)
    assert (w_signed.data < 0).any()
    assert (w_clipped.data > 0).all()


def test_zero_feature_row_is_an_isolated_node_and_normalisation_has_no_nan():
    x = _positive_features(n=50, seed=4)
    x[7] = 0.0
    w = lp.knn_graph(x, k=5)
    assert w[7].nnz == 0 and w[:, 7].nnz == 0
    wn = lp.normalize_graph(w)
    assert np.isfinite(wn.data).all()
    assert wn[7].nnz == 0
    degree = np.asarray(w.sum(axis=1)).ravel()
    dense = np.zeros_like(w.toarray(), dtype=np.float64)
    keep = degree > 0
    scale = np.zeros_like(degree)
    scale[keep] = degree[keep] ** -0.5
    dense = scale[:, None] * w.toarray() * scale[None, :]
    np.testing.assert_allclose(wn.toarray(), dense, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"k": 50}, "k must be.*n=50.*50"),
        ({"k": 0}, "k must be.*0"),
        ({"symmetrize": "union"}, "symmetrize.*'union'"),
        ({"index": "annoy"}, "index.*'annoy'"),
        ({"gamma": 0.0}, "gamma.*0.0"),
    ],
)
def test_bad_graph_options_raise(options, match):
    with pytest.raises(ValueError, match=match):
        lp.knn_graph(_positive_features(n=50), **{"k": 5, **options})


def test_bad_features_raise():
    with pytest.raises(ValueError, match="float dtype"):
        lp.knn_graph(np.ones((10, 3), dtype=np.int64), k=2)
    bad = _positive_features(n=10)
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        lp.knn_graph(bad, k=2)
