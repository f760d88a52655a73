"""SemiSupervised.epoch_batches at the paper's MNIST batch (64, 10 labeled): composition and draws."""

import numpy as np
import pytest

from tfal.loop import SemiSupervised


def _epoch(replacement, seed=0):
    n, rng = 3000, np.random.default_rng(seed)
    labeled = np.sort(rng.choice(n, 10, replace=False))
    unlabeled = np.setdiff1d(np.arange(n), labeled)
    pseudo = rng.integers(0, 10, n)
    weights = np.zeros(n)
    weights[unlabeled] = rng.random(len(unlabeled)) ** 3  # skewed certainty weights
    weights[unlabeled[:500]] = 0.0  # examples LP gives no weight are never drawn
    semi = SemiSupervised(batch_size=64, num_labeled=10, replacement=replacement)
    batches = _draw(semi, labeled, unlabeled, pseudo, weights, seed + 1)
    return semi, labeled, unlabeled, pseudo, weights, batches


def _draw(semi, labeled, unlabeled, pseudo, weights, seed):
    """One epoch's batches; L's labels are 0..9 in the order of `labeled`."""
    return semi.epoch_batches(
        labeled_idx=labeled,
        labels=np.arange(10),
        unlabeled_idx=unlabeled,
        pseudo_labels=pseudo,
        weights=weights,
        rng=np.random.default_rng(seed),
    )


@pytest.mark.parametrize("replacement", [True, False])
def test_every_batch_has_exactly_ten_labeled_and_no_labeled_index_among_the_pseudo_labeled(
    replacement,
):
    semi, labeled, unlabeled, pseudo, _, batches = _epoch(replacement)
    assert batches.indices.shape == (semi.steps_per_epoch(len(unlabeled)), 64)
    assert batches.num_steps == round(0.5 * len(unlabeled)) // 54
    head, tail = batches.indices[:, :10], batches.indices[:, 10:]
    assert np.isin(head, labeled).all()
    assert not np.isin(tail, labeled).any()
    np.testing.assert_array_equal(batches.labels[:, 10:], pseudo[tail])
    label_of = dict(zip(labeled.tolist(), range(10), strict=True))
    assert [label_of[i] for i in head.ravel()] == batches.labels[:, :10].ravel().tolist()


def test_with_replacement_draw_frequencies_follow_the_weights():
    counts = np.zeros(3000)
    # one fixed weighting, many epochs drawn from it
    semi, labeled, unlabeled, pseudo, weights, _ = _epoch(True)
    for seed in range(40):
        b = _draw(semi, labeled, unlabeled, pseudo, weights, 100 + seed)
        np.add.at(counts, b.indices[:, 10:].ravel(), 1)
    expected = weights / weights.sum() * counts.sum()
    assert counts[weights == 0].sum() == 0
    # Ten bins of examples sorted by weight, each holding a tenth of the total weight: each bin's
    # draws within 5% of its share (~55,000 draws per bin, Poisson noise ~0.4%).
    order = np.argsort(weights)
    mass = np.cumsum(weights[order]) / weights.sum()
    for b in range(10):
        members = order[(mass > b / 10) & (mass <= (b + 1) / 10)]
        assert abs(counts[members].sum() / expected[members].sum() - 1) < 0.05
    # and far from uniform over the positive-weight examples
    positive = weights > 0
    uniform = np.full(positive.sum(), counts.sum() / positive.sum())
    assert np.abs(counts[positive] - uniform).sum() / counts.sum() > 0.3


def test_without_replacement_each_example_once_before_any_repeats():
    *_, weights, batches = _epoch(False)
    tail = batches.indices[:, 10:].ravel()
    assert len(np.unique(tail)) == len(tail) <= np.count_nonzero(weights)
    # heavier examples are drawn first more often: the mean weight drawn beats the pool's mean
    assert weights[tail].mean() > 1.2 * weights[weights > 0].mean()
