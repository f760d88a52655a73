import numpy as np
import pytest

from tfal.data import sampling


def test_supervised_batches_cycle_through_every_labeled_example():
    idx, labels = np.array([5, 9, 13, 21]), np.array([0, 1, 2, 3])
    b = sampling.supervised_batches(
        idx, labels, batch_size=2, num_steps=6, rng=np.random.default_rng(0)
    )
    assert b.indices.shape == (6, 2)
    # each consecutive 4 draws are a permutation of the labeled set, labels aligned
    for chunk in b.indices.reshape(3, 4):
        assert sorted(chunk) == [5, 9, 13, 21]
    lookup = dict(zip(idx, labels, strict=False))
    assert all(lookup[i] == y for i, y in zip(b.indices.ravel(), b.labels.ravel(), strict=False))


def test_semi_epoch_length_is_half_the_unlabeled_set():
    # MNIST: 59,990 unlabeled, 54 pseudo-labeled per batch of 64 -> 555 steps (authors' epoch)
    assert sampling.semi_steps_per_epoch(59_990, batch_size=64, num_labeled=10) == 555


def _semi(weights, steps=2000, replacement=True, seed=0):
    n_u = len(weights)
    return sampling.semi_batches(
        labeled_idx=np.array([100, 101]),
        labeled_labels=np.array([7, 8]),
        unlabeled_idx=np.arange(n_u),
        pseudo_labels=np.arange(n_u) % 3,
        weights=np.asarray(weights, float),
        batch_size=8,
        num_labeled=2,
        num_steps=steps,
        rng=np.random.default_rng(seed),
        replacement=replacement,
    )


def test_semi_batch_composition_is_exact():
    b = _semi(np.ones(10), steps=50)
    assert b.indices.shape == (50, 8)
    assert np.isin(b.indices[:, :2], [100, 101]).all()
    assert (b.indices[:, 2:] < 10).all()
    assert (b.labels[:, 2:] == b.indices[:, 2:] % 3).all()  # pseudo-labels stay aligned
    assert (b.labels[:, :2] == np.where(b.indices[:, :2] == 100, 7, 8)).all()


def test_semi_draws_follow_the_weights():
    weights = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    b = _semi(weights, steps=4000)
    counts = np.bincount(b.indices[:, 2:].ravel(), minlength=5)
    expected = weights / weights.sum() * counts.sum()
    assert counts[0] == 0
    chi2 = (((counts[1:] - expected[1:]) ** 2) / expected[1:]).sum()
    assert chi2 < 16.3  # chi-square, 3 dof, p = 0.001


def test_semi_draws_reject_uniform_when_weights_are_skewed():
    weights = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    counts = np.bincount(_semi(weights, steps=1000).indices[:, 2:].ravel(), minlength=5)
    assert counts[4] > 3 * counts[0]


def test_without_replacement_draws_each_positive_weight_once_before_repeating():
    b = _semi(np.array([1.0, 2.0, 0.0, 1.0, 1.0, 1.0]), steps=1, replacement=False)
    drawn = b.indices[0, 2:]  # 6 draws, 5 examples with positive weight
    assert set(drawn[:5]) == {0, 1, 3, 4, 5}
    assert 2 not in drawn


def test_all_zero_weights_fall_back_to_uniform_draws():
    b = _semi(np.zeros(4), steps=200)
    assert set(np.unique(b.indices[:, 2:])) == {0, 1, 2, 3}


def test_bad_semi_arguments_name_the_value():
    with pytest.raises(ValueError, match="num_labeled=8"):
        sampling.semi_batches(
            labeled_idx=np.array([1]),
            labeled_labels=np.array([0]),
            unlabeled_idx=np.arange(3),
            pseudo_labels=np.zeros(3),
            weights=np.ones(3),
            batch_size=8,
            num_labeled=8,
            num_steps=1,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match="non-negative"):
        _semi(np.array([1.0, -1.0]))
