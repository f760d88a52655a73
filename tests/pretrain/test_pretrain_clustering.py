import numpy as np
import pytest

from tfal.pretrain import clustering, normalized_mutual_info


def _blobs(rng, k=4, per=50, d=8):
    centers = rng.normal(0, 10, size=(k, d))
    x = np.concatenate([c + rng.normal(0, 0.5, size=(per, d)) for c in centers])
    return x.astype(np.float32), np.repeat(np.arange(k), per)


def test_kmeans_recovers_separated_blobs_and_assigns_to_the_nearest_centroid():
    x, y = _blobs(np.random.default_rng(0), k=2)
    assignment, _ = clustering.kmeans(x, 2, iterations=20, seed=1)
    assert normalized_mutual_info(assignment, y) == pytest.approx(1.0)
    x, _ = _blobs(np.random.default_rng(1), k=4)
    assignment, centroids = clustering.kmeans(x, 4, iterations=20, seed=1)
    distances = ((x[:, None, :] - centroids[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(assignment, distances.argmin(1))
    assert centroids.shape == (4, 8) and assignment.dtype == np.int64
    again, _ = clustering.kmeans(x, 4, iterations=20, seed=1)
    np.testing.assert_array_equal(assignment, again)


def test_empty_clusters_take_half_of_a_non_empty_one():
    # Hand-made: two groups, everything in cluster 0, clusters 1 and 2 empty.
    x = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], np.float32)
    assignment = np.zeros(6, np.int64)
    centroids = np.zeros((3, 2), np.float32)
    filled, new_centroids = clustering.fill_empty_clusters(
        x, assignment, centroids, np.random.default_rng(0)
    )
    sizes = np.bincount(filled, minlength=3)
    assert np.all(sizes > 0) and sizes.sum() == 6
    # Each new cluster is one side of a split: its centroid sits near the mean of what it split.
    assert new_centroids.shape == (3, 2) and not np.allclose(new_centroids[1], 0)
    assert np.all(assignment == 0)  # the input is not modified


def test_a_cluster_of_identical_points_cannot_be_split():
    x = np.ones((5, 3), np.float32)
    with pytest.raises(ValueError, match="cannot fill empty cluster 1"):
        clustering.fill_empty_clusters(
            x, np.zeros(5, np.int64), np.zeros((2, 3)), np.random.default_rng(0)
        )


def test_balanced_draws_make_every_cluster_equally_likely():
    assignment = np.array([0] * 90 + [1] * 10)
    draws = clustering.cluster_balanced_draws(assignment, 2, 20000, np.random.default_rng(0))
    share = np.mean(assignment[draws] == 1)
    assert share == pytest.approx(0.5, abs=0.02)  # a plain shuffle would give 0.1


def test_whitening_gives_unit_covariance_and_pca_keeps_top_components():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 6)) * np.array([10, 5, 1, 1, 0.1, 0.1])
    fmap = clustering.fit_feature_map(f, whiten=True)
    mapped = f @ fmap.matrix.T + fmap.offset
    np.testing.assert_allclose(np.cov(mapped, rowvar=False, bias=True), np.eye(6), atol=1e-4)
    pca = clustering.fit_feature_map(f, pca_dim=2)
    assert pca.matrix.shape == (2, 6)
    np.testing.assert_allclose(np.abs(pca.matrix[:, :2]), np.eye(2), atol=0.05)
    x = pca.apply(f)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-5)


def test_whitening_does_not_blow_up_a_dead_channel():
    rng = np.random.default_rng(0)
    f = np.concatenate([rng.normal(size=(500, 3)), np.full((500, 1), 0.3)], axis=1)
    f[:, 3] += rng.normal(scale=1e-9, size=500)  # float noise on a constant channel
    fmap = clustering.fit_feature_map(f, whiten=True)
    mapped = f @ fmap.matrix.T + fmap.offset
    variances = np.var(mapped, axis=0)
    np.testing.assert_allclose(variances[:3], 1.0, atol=1e-6)
    assert variances[3] < 1e-3  # not scaled up to unit variance


def test_no_pca_is_plain_l2_normalisation():
    f = np.array([[3.0, 4.0], [0.0, 2.0]])
    np.testing.assert_allclose(clustering.fit_feature_map(f).apply(f), [[0.6, 0.8], [0.0, 1.0]])


def test_bad_pca_dim_names_the_allowed_range():
    with pytest.raises(ValueError, match=r"pca_dim=9 must be in 1\.\.6"):
        clustering.fit_feature_map(np.zeros((10, 6)), pca_dim=9)
