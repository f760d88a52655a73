"""Eq. (13)'s weighted accuracy and Table 3's measurements against hand computations."""

import numpy as np
import pytest

from tfal.analysis import compare, rank_correlations, weighted_accuracy
from tfal.analysis.agreement import Propagated


def test_weighted_accuracy_is_the_normalised_weight_of_agreeing_positions():
    z = np.array([0, 1, 2, 2])
    z2 = np.array([0, 1, 1, 0])
    w = np.array([1.0, 3.0, 4.0, 2.0])
    assert weighted_accuracy(z, z2, w) == pytest.approx((1 + 3) / 10)
    assert weighted_accuracy(z, z2, 5 * w) == pytest.approx(0.4)  # eta[w]: scale-free
    assert weighted_accuracy(z, z, w) == 1.0
    assert np.isnan(weighted_accuracy(z, z2, np.zeros(4)))
    with pytest.raises(ValueError, match="non-negative"):
        weighted_accuracy(z, z2, -w)
    with pytest.raises(ValueError, match="1-D of one length"):
        weighted_accuracy(z, z2[:3], w)


def test_compare_measures_on_the_examples_unlabeled_under_both():
    truth = np.array([0, 0, 1, 1, 2, 2, 0, 1])
    labeled = np.array([0, 2])
    a = Propagated(
        selected=np.array([4]),
        pseudo_labels=np.array([0, 0, 1, 1, 2, 2, 1, 1]),
        weights=np.array([1, 0.8, 1, 0.6, 1, 0.5, 0.2, 0.4]),
    )
    ref = Propagated(
        selected=np.array([5]),
        pseudo_labels=np.array([0, 0, 1, 0, 2, 2, 0, 1]),
        weights=np.array([1, 0.6, 1, 0.2, 0.9, 1, 0.4, 0.8]),
    )
    row = compare("a", a, "ref", ref, labeled_idx=labeled, true_labels=truth)
    # U = {1, 3, 6, 7}; mean weights w = [0.7, 0.4, 0.3, 0.6]; agree on 1 and 7.
    assert row.num_unlabeled == 4
    assert row.agree_percent == pytest.approx(50.0)
    assert row.weighted_agreement == pytest.approx(100 * (0.7 + 0.6) / 2.0)
    assert row.accuracy == pytest.approx(100 * (0.7 + 0.4 + 0.6) / 2.0)  # a wrong on 6
    assert row.reference_accuracy == pytest.approx(100 * (0.7 + 0.3 + 0.6) / 2.0)  # ref wrong on 3
    assert row.accuracy_agree == pytest.approx(100.0)
    assert row.accuracy_disagree == pytest.approx(100 * 0.4 / 0.7)  # right on 3, wrong on 6
    assert row.weight_agree == pytest.approx(0.65) and row.weight_disagree == pytest.approx(0.35)


def test_rank_correlation_of_scores():
    x = np.arange(50.0)
    rho = rank_correlations({"a": x, "b": x**3, "c": -x})
    assert rho[("a", "b")] == pytest.approx(1.0) and rho[("a", "c")] == pytest.approx(-1.0)
    assert set(rho) == {("a", "b"), ("a", "c"), ("b", "c")}
