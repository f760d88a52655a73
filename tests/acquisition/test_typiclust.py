"""TypiClust and the label-free L0 against references computed here, not by the code under test."""

import numpy as np
import pytest

from tfal.acquisition import spectral_features, typiclust
from tfal.acquisition.validation import check_selection
from tfal.loop import initial
from tfal.oracles.protocol import uniform_initial_set


def _blobs(sizes, seed=0, spread=0.3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 8)) * 10
    x = np.concatenate([c + spread * rng.normal(size=(s, 8)) for c, s in zip(centres, sizes, strict=True)])
    return x.astype(np.float32), np.repeat(np.arange(len(sizes)), sizes)


def _reference_most_typical(x, members, k=20):
    d = np.sqrt(((x[members, None] - x[None, members]) ** 2).sum(-1))
    d.sort(axis=1)
    return members[np.argmin(d[:, 1 : k + 1].mean(1))]


def test_one_pick_per_blob_and_it_is_the_most_typical_point():
    x, y = _blobs([60, 50, 40, 30, 25])
    picks = typiclust(5, labeled_idx=np.zeros(0, np.int64), features=x, seed=1)
    assert sorted(y[picks]) == [0, 1, 2, 3, 4]
    for p in picks:
        assert p == _reference_most_typical(x, np.flatnonzero(y == y[p]))


def test_labeled_blobs_are_skipped_and_selection_is_valid():
    x, y = _blobs([60, 50, 40, 30, 25])
    labeled = np.array([0, 60], np.int64)  # blobs 0 and 1 hold labels
    picks = typiclust(3, labeled_idx=labeled, features=x, seed=2)
    check_selection(picks, labeled_idx=labeled, pool_size=len(x), budget=3)
    assert sorted(y[picks]) == [2, 3, 4]


def test_spectral_features_are_unit_rows_that_keep_blobs_apart():
    x, y = _blobs([40, 40, 40], spread=0.5)
    images = np.clip((x[:, :4] - x[:, :4].min()) / np.ptp(x[:, :4]) * 255, 0, 255)
    images = images.astype(np.uint8).reshape(-1, 2, 2, 1)
    f = spectral_features(images, pca_dim=4, k=45, dim=3, seed=0)  # k > a blob: one connected graph
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    picks = typiclust(3, labeled_idx=np.zeros(0, np.int64), features=f, seed=0)
    assert sorted(y[picks]) == [0, 1, 2]


class _NoLabels:
    def true_labels_for_diagnostics(self):
        return None


def test_auto_is_label_free_without_labels_and_balanced_is_refused():
    assert initial.resolve("auto", _NoLabels()) == "imsat"
    with pytest.raises(ValueError, match="initial_selection='balanced'.*allowed"):
        initial.resolve("balanced", _NoLabels())


def test_random_selection_is_the_uniform_draw():
    images = np.zeros((50, 2, 2, 1), np.uint8)
    got = initial.choose("random", oracle=_NoLabels(), images=images, num_classes=5,
                         labels_per_class=2, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(got, uniform_initial_set(50, 5, 2, np.random.default_rng(3)))
