"""SEMI's pseudo-labeled draws against real LP output (Algorithm 1 lines 6-7, section 4).

LP gives every labeled example the largest weight there is (1.0, eq. (10) and [15]'s code), so a
sampler that drew its pseudo-labeled part from the whole pool would draw L most often. These tests
feed `SemiSupervised.epoch_batches` what `tfal.lp.propagate` really returns on small Gaussian
blobs, and check a tiny campaign hands SEMI exactly LP's weights on exactly U = I minus L. The
references are the LP result's own arrays and set arithmetic on the labeled set, never the sampler.
"""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from tfal import campaign, lp
from tfal.loop import ActiveLearningLoop, SemiSupervised

NUM_CLASSES, PER_CLASS = 3, 100
LABELED = np.array([0, 1, 100, 101, 200, 201])


def _blobs_lp():
    """Real LP on three overlapping 8-d Gaussian blobs with two labels per class."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 1.0, (NUM_CLASSES, 8))
    features = np.concatenate([c + rng.normal(0.0, 0.8, (PER_CLASS, 8)) for c in centres])
    labels = np.repeat(np.arange(NUM_CLASSES), PER_CLASS)
    semi = SemiSupervised(k=10, batch_size=64, num_labeled=10, epoch_fraction=1.0)
    result = lp.propagate(features, LABELED, labels[LABELED], NUM_CLASSES, semi)
    unlabeled = np.setdiff1d(np.arange(len(features)), LABELED)
    return semi, labels, unlabeled, result


def _epoch(semi, labels, unlabeled, result, seed):
    return semi.epoch_batches(
        labeled_idx=LABELED,
        labels=labels[LABELED],
        unlabeled_idx=unlabeled,
        pseudo_labels=result.pseudo_labels,
        weights=result.weights,
        rng=np.random.default_rng(seed),
    )


def test_real_lp_weights_labeled_examples_highest_so_the_tests_below_can_tell():
    """The premise: LP's weights are 1.0 (the maximum) on L and vary on U."""
    *_, unlabeled, result = _blobs_lp()
    np.testing.assert_array_equal(result.weights[LABELED], 1.0)
    assert result.weights.max() == 1.0
    w = result.weights[unlabeled]
    assert w.min() >= 0 and w.std() / w.mean() > 0.3  # far from uniform


@pytest.mark.parametrize("replacement", [True, False])
def test_the_pseudo_labeled_part_never_draws_a_labeled_index(replacement):
    """Columns num_labeled.. of every batch against L (the labeled indices given to LP)."""
    semi, labels, unlabeled, result = _blobs_lp()
    semi = dataclasses.replace(semi, replacement=replacement)
    for seed in range(20):
        batches = _epoch(semi, labels, unlabeled, result, seed)
        head, tail = batches.indices[:, :10], batches.indices[:, 10:]
        assert np.isin(head, LABELED).all()
        assert not np.isin(tail, LABELED).any()
        # each pseudo-labeled example carries LP's pseudo-label, each labeled one its true label
        np.testing.assert_array_equal(batches.labels[:, 10:], result.pseudo_labels[tail])
        np.testing.assert_array_equal(batches.labels[:, :10], labels[head])


def test_with_replacement_draw_frequencies_match_lp_weights_over_u():
    """Counts of the pseudo-labeled draws over 150 epochs against N * w_i / sum_U w (chi-square
    and a 5-sigma binomial band per example); the uniform alternative is rejected."""
    semi, labels, unlabeled, result = _blobs_lp()
    counts = np.zeros(len(labels))
    for seed in range(150):
        tail = _epoch(semi, labels, unlabeled, result, 1000 + seed).indices[:, 10:]
        np.add.at(counts, tail.ravel(), 1)
    total = counts.sum()
    assert counts[LABELED].sum() == 0
    assert total == 150 * semi.steps_per_epoch(len(unlabeled)) * 54
    p = result.weights[unlabeled].astype(np.float64)
    p /= p.sum()
    observed, expected = counts[unlabeled], total * p
    band = 5 * np.sqrt(total * p * (1 - p)) + 1
    assert np.all(np.abs(observed - expected) <= band)
    assert _chi_square_p(observed, expected) > 1e-3
    uniform = np.full(len(unlabeled), total / len(unlabeled))
    assert _chi_square_p(observed, uniform) < 1e-12  # the test can tell weighted from uniform


def _chi_square_p(observed, expected):
    """Chi-square p-value, cells with fewer than 5 expected draws pooled into one."""
    small = expected < 5
    obs, exp = observed[~small], expected[~small]
    if small.any():
        obs, exp = np.append(obs, observed[small].sum()), np.append(exp, expected[small].sum())
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


# ---- in the loop ----------------------------------------------------------------------------
POOL_SIZE, SIDE = 150, 12


def _npz(path, seed=0) -> str:
    """Three classes of 12 x 12 grey images (a bright bar whose row gives the class) as an npz."""
    rng = np.random.default_rng(seed)

    def images(y):
        x = rng.integers(0, 160, (len(y), SIDE, SIDE, 1))
        for i, (c, shift) in enumerate(zip(y, rng.integers(-1, 2, len(y)), strict=True)):
            top = 2 + 3 * c + shift  # classes overlap a little: LP is unsure of some examples
            x[i, top : top + 3, 2:10, 0] += 80
        return x.astype(np.uint8)

    y_pool = np.repeat(np.arange(3), POOL_SIZE // 3)
    y_test = np.repeat(np.arange(3), 10)
    np.savez(path, x_pool=images(y_pool), y_pool=y_pool, x_test=images(y_test), y_test=y_test)
    return str(path)


@pytest.mark.slow
def test_the_loop_hands_semi_lp_s_weights_and_the_complement_of_l(tmp_path, repo_root, monkeypatch):
    """Every SEMI epoch of a 2-cycle campaign: the weights and pseudo-labels handed to
    epoch_batches are the arrays LP returned just before, the unlabeled set is range(n) minus the
    labeled set LP was given, and that labeled set and its labels are the campaign's L (L0, then
    L0 plus the acquired batch) with the npz's true labels."""
    propagated, handed = [], []
    propagate, epoch_batches = lp.propagate, SemiSupervised.epoch_batches

    def spy_propagate(features, labeled_idx, labels, num_classes, config, **kwargs):
        result = propagate(features, labeled_idx, labels, num_classes, config, **kwargs)
        propagated.append((np.array(labeled_idx), np.array(labels), result))
        return result

    def spy_epoch_batches(self, **kwargs):
        handed.append({k: np.array(v) for k, v in kwargs.items() if k != "rng"})
        return epoch_batches(self, **kwargs)

    monkeypatch.setattr(lp, "propagate", spy_propagate)
    monkeypatch.setattr(SemiSupervised, "epoch_batches", spy_epoch_batches)
    path = _npz(tmp_path / "pool.npz")
    campaign.parse_gin(
        [
            str(repo_root / "gin_configs/testing/tiny.gin"),
            str(repo_root / "gin_configs/setting/semi.gin"),
        ],
        [
            "ActiveLearningLoop.dataset = @tfal.data.npz_dataset()",
            f"npz_dataset.path = '{path}'",
            "ActiveLearningLoop.num_cycles = 2",
            "ActiveLearningLoop.sup_epochs = 2",
            "small_cnn.widths = (4, 8, 8)",
            "SemiSupervised.epochs = 2",
        ],
    )
    state = ActiveLearningLoop(str(tmp_path / "run")).run()
    y_pool = np.load(path)["y_pool"]
    assert len(propagated) == len(handed) == 4  # 2 cycles x 2 epochs
    labeled_sets = [state.labeled_idx[:3]] * 2 + [state.labeled_idx[:13]] * 2  # L0, L0 + b
    for (lp_labeled, lp_labels, result), given, labeled in zip(
        propagated, handed, labeled_sets, strict=True
    ):
        np.testing.assert_array_equal(lp_labeled, labeled)
        np.testing.assert_array_equal(lp_labels, y_pool[labeled])
        np.testing.assert_array_equal(given["labeled_idx"], labeled)
        np.testing.assert_array_equal(given["labels"], y_pool[labeled])
        complement = np.setdiff1d(np.arange(POOL_SIZE), labeled)
        np.testing.assert_array_equal(np.sort(given["unlabeled_idx"]), complement)
        np.testing.assert_array_equal(given["weights"], result.weights)
        np.testing.assert_array_equal(given["pseudo_labels"], result.pseudo_labels)
        assert np.ptp(result.weights[complement]) > 0  # LP's weights on U are not uniform
