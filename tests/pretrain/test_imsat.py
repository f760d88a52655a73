"""IMSAT's label-free clusters and the L0 tfal picks from them (`initial_selection = 'imsat'`):
the objective against hand-computed entropies, the VAT radii against a brute-force search, and
clusters that find blobs no label names."""

import logging

import gin
import numpy as np
import pytest

from tfal.loop import initial
from tfal.pretrain import imsat


def test_information_is_mu_times_marginal_entropy_minus_conditional_entropy():
    k, mu = 4, 3.0
    uniform = np.zeros((6, 1, k))  # every image unsure: H(Y) = H(Y|X) = log k
    confident = np.full((8, 1, k), -50.0)
    confident[np.arange(8), 0, np.arange(8) % k] = 50.0  # sure and balanced: H(Y|X) = 0
    collapsed = np.full((8, 1, k), -50.0)
    collapsed[:, 0, 0] = 50.0  # sure, one cluster: both 0
    got = imsat.information(np.concatenate([uniform, uniform[:, :, :]], 0), mu)
    np.testing.assert_allclose(got, [(mu - 1) * np.log(k)], rtol=1e-6)
    np.testing.assert_allclose(imsat.information(confident, mu), [mu * np.log(k)], rtol=1e-6)
    np.testing.assert_allclose(imsat.information(collapsed, mu), [0.0], atol=1e-6)
    both = imsat.information(np.concatenate([confident, collapsed], axis=1), mu)
    assert both.shape == (2,) and np.argmax(both) == 0  # the head kept is the balanced one


@pytest.mark.parametrize("dim", [16, 200])
def test_neighbour_distance_is_the_brute_force_kth_distance(dim):
    """Exact below 65 dimensions; above, candidates from 64 principal components re-measured in
    full: on data of low intrinsic dimension (as images are) the k-th distance is exact."""
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((300, 12))
    x = (latent @ rng.standard_normal((12, dim)) + 0.01 * rng.standard_normal((300, dim)))
    x = x.astype(np.float32)
    d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)
    np.fill_diagonal(d, np.inf)
    expected = np.sort(d, axis=1)[:, 9]
    np.testing.assert_allclose(imsat.neighbour_distance(x, 10), expected, rtol=1e-4)


def test_inputs_are_pixels_in_unit_range_shrunk_only_when_too_many():
    images = np.arange(2 * 8 * 8 * 3, dtype=np.int64).reshape(2, 8, 8, 3) % 256
    images = images.astype(np.uint8)
    same = imsat.input_vectors(images, max_inputs=192)
    np.testing.assert_allclose(same, images.reshape(2, -1) / 255.0, rtol=1e-6)
    shrunk = imsat.input_vectors(images, max_inputs=48)  # 8x8x3 -> 4x4x3
    assert shrunk.shape == (2, 48) and 0.0 <= shrunk.min() and shrunk.max() <= 1.0


def _blob_images(sizes, seed=0, side=4):
    """uint8 images [n, side, side, 1]: each blob a different bright pixel pattern plus noise."""
    rng = np.random.default_rng(seed)
    patterns = rng.permutation(side * side)[: len(sizes)]
    images, labels = [], []
    for blob, size in enumerate(sizes):
        x = rng.uniform(0, 40, (size, side * side))
        x[:, patterns[blob]] = 255
        x[:, (patterns[blob] + 5) % (side * side)] = 200
        images.append(x)
        labels += [blob] * size
    images = np.concatenate(images).reshape(-1, side, side, 1).astype(np.uint8)
    return images, np.array(labels)


def _small_imsat():
    gin.bind_parameter("IMSAT.hidden", (32,))
    gin.bind_parameter("IMSAT.epochs", 30)
    gin.bind_parameter("IMSAT.batch_size", 60)
    gin.bind_parameter("IMSAT.learning_rate", 1e-2)


@pytest.mark.slow
def test_clusters_find_the_blobs_and_l0_takes_one_per_blob_without_labels():
    """Four blobs of unequal size: IMSAT's kept head separates them (purity ≥ 0.95), L0 with one
    label per class is one image of each blob, two per class two of each, and a seed repeats
    its L0 exactly."""
    _small_imsat()
    images, labels = _blob_images([90, 70, 60, 50])
    clustering = imsat.IMSAT().cluster(images, 4, seed=1)
    purity = sum(
        np.bincount(labels[clustering.assignment == c]).max()
        for c in np.unique(clustering.assignment)
    ) / len(labels)
    assert purity >= 0.95 and len(np.unique(clustering.assignment)) == 4
    assert clustering.features.shape == (len(images), 32)
    one = initial.imsat_selection(images, 4, 1, seed=1)
    assert sorted(labels[one]) == [0, 1, 2, 3]
    two = initial.imsat_selection(images, 4, 2, seed=1)
    assert np.all(np.diff(two) > 0) and sorted(labels[two]) == [0, 0, 1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(initial.imsat_selection(images, 4, 1, seed=1), one)


def test_imsat_is_a_label_free_selection_and_refuses_a_pool_too_small():
    assert "imsat" in initial.SELECTIONS
    with pytest.raises(ValueError, match="IMSAT needs at least 20 images for 10 clusters, got 12"):
        imsat.IMSAT().cluster(np.zeros((12, 2, 2, 1), np.uint8), 10, seed=0)


def test_a_cluster_is_split_into_its_modes_for_more_labels_per_class():
    rng = np.random.default_rng(0)
    modes = [rng.normal(m, 0.05, (20, 3)) for m in ([0, 0, 5], [0, 5, 0], [5, 0, 0])]
    x = np.concatenate(modes).astype(np.float32)
    assignment = np.array([0] * 40 + [1] * 20)  # cluster 0 holds the first two modes
    parts = initial.split_clusters(x, assignment, 2, seed=0)
    assert set(parts[:20]) | set(parts[20:40]) == {0, 1} and parts[0] != parts[20]
    assert len(set(parts[:20])) == len(set(parts[20:40])) == 1
    assert set(parts[40:]) <= {2, 3}
    np.testing.assert_array_equal(initial.split_clusters(x, assignment, 1, seed=0), assignment)


def test_nmi_matches_the_entropies_computed_by_hand():
    """Two labelings of 4 items: a = [0,0,1,1], b = [0,1,1,1]. Joint (1/4, 1/4, 0, 1/2);
    I = 1/4·ln(1/4 / (1/2·1/4)) + 1/4·ln(1/4 / (1/2·3/4)) + 1/2·ln(1/2 / (1/2·3/4)),
    NMI = 2I / (H(a) + H(b)). Relabelled clusters agree fully."""
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    mi = 0.25 * np.log(2.0) + 0.25 * np.log(2 / 3) + 0.5 * np.log(4 / 3)
    ha, hb = np.log(2.0), -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))
    assert imsat.nmi(a, b) == pytest.approx(2 * mi / (ha + hb))
    assert imsat.nmi(a, 7 - a) == pytest.approx(1.0)
    assert imsat.nmi(np.array([0, 1, 0, 1]), a) == pytest.approx(0.0, abs=1e-12)


def test_agreement_singles_out_the_head_that_merged_two_clusters():
    """Three heads that split 4 groups the same way (relabelled) and one that merges two groups:
    each head's mean NMI with the others is lowest for the merging head, and the three that
    agree score the same."""
    groups = np.repeat(np.arange(4), 25)
    heads = np.stack([groups, (groups + 1) % 4, 3 - groups, np.minimum(groups, 2)], axis=1)
    agreement = imsat.head_agreement(heads)
    merged = imsat.nmi(groups, np.minimum(groups, 2))
    np.testing.assert_allclose(agreement, [(2 + merged) / 3] * 3 + [merged], rtol=1e-9)
    assert np.argmin(agreement) == 3
    np.testing.assert_array_equal(imsat.head_agreement(groups[:, None]), [1.0])


def test_head_rule_and_min_steps_are_checked_settings():
    with pytest.raises(ValueError, match="head_rule"):
        imsat.IMSAT(head_rule="best")
    with pytest.raises(ValueError, match="min_steps"):
        imsat.IMSAT(min_steps=-1)


@pytest.mark.slow
def test_min_steps_adds_epochs_and_the_kept_head_follows_the_rule(caplog):
    """A 120-image pool, batches of 60: 2 epochs are 4 steps; min_steps = 10 runs 5 epochs (the
    log says so). The kept head is the argmax of the rule's score, and `heads` holds every
    sub-head's assignment with the kept one's equal to `assignment`."""
    _small_imsat()
    gin.bind_parameter("IMSAT.epochs", 2)
    gin.bind_parameter("IMSAT.heads", 3)
    images, _ = _blob_images([40, 40, 40])
    for rule in imsat.HEAD_RULES:
        gin.bind_parameter("IMSAT.head_rule", rule)
        gin.bind_parameter("IMSAT.min_steps", 10)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            c = imsat.IMSAT().cluster(images, 3, seed=0)
        assert "L0 IMSAT: 5 epochs" in caplog.text
        score = c.objective if rule == "objective" else c.agreement
        assert c.head == int(np.argmax(score)) and c.heads.shape == (120, 3)
        np.testing.assert_array_equal(c.heads[:, c.head], c.assignment)
        np.testing.assert_allclose(c.agreement, imsat.head_agreement(c.heads))

