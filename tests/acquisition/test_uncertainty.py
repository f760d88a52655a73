"""Uncertainty, margin, least confidence and CEAL on hand-made probabilities."""

import numpy as np
import pytest

from tfal import acquisition

PROBS = np.array(
    [
        [0.90, 0.05, 0.05],  # 0: confident
        [1 / 3, 1 / 3, 1 / 3],  # 1: uniform, the largest entropy
        [0.45, 0.45, 0.10],  # 2: top-2 tied, margin 0
        [0.40, 0.35, 0.25],  # 3: the smallest top probability after row 1
        [1.00, 0.00, 0.00],  # 4: one-hot, entropy 0
        [0.02, 0.97, 0.01],  # 5: confident, class 1
    ]
)


def test_entropy_values():
    h = acquisition.entropy(PROBS)
    assert h[1] == pytest.approx(np.log(3))
    assert h[4] == 0.0
    assert h[0] == pytest.approx(-(0.9 * np.log(0.9) + 0.1 * np.log(0.05)))


def test_uncertainty_picks_the_uniform_row_first():
    assert acquisition.uncertainty(2, labeled_idx=[], probs=PROBS).tolist() == [1, 3]


def test_uncertainty_skips_labeled_rows():
    assert acquisition.uncertainty(1, labeled_idx=[1], probs=PROBS).tolist() == [3]


def test_margin_picks_the_tied_top_two():
    # Row 1 (uniform) also has margin 0; the tie goes to the lower index.
    assert acquisition.margin(2, labeled_idx=[], probs=PROBS).tolist() == [1, 2]
    assert acquisition.margin(1, labeled_idx=[1], probs=PROBS).tolist() == [2]


def test_least_confidence_picks_the_smallest_max():
    assert acquisition.least_confidence(2, labeled_idx=[], probs=PROBS).tolist() == [1, 3]


def test_ties_go_to_the_lowest_index():
    probs = np.full((5, 2), 0.5)
    for name in ("uncertainty", "margin", "least_confidence", "ceal"):
        assert acquisition.select(name, 3, labeled_idx=[1], probs=probs).tolist() == [0, 2, 3]


def test_ceal_acquires_like_uncertainty():
    assert acquisition.ceal(3, labeled_idx=[0], probs=PROBS, cycle=4).tolist() == [1, 3, 2]


def test_ceal_pseudo_labels_only_confident_unlabeled_rows():
    # Normalised entropies: row 0 ≈ 0.359, row 4 = 0, row 5 ≈ 0.140; the rest far above.
    idx, labels = acquisition.ceal_pseudo_labels(PROBS, [], cycle=0, threshold=0.2)
    assert idx.tolist() == [4, 5] and labels.tolist() == [0, 1]
    assert idx.dtype == np.int64 and labels.dtype == np.int64
    idx, _ = acquisition.ceal_pseudo_labels(PROBS, [4], cycle=0, threshold=0.2)
    assert idx.tolist() == [5]
    idx, _ = acquisition.ceal_pseudo_labels(PROBS, [], cycle=0, threshold=0.2, exclude_idx=[5])
    assert idx.tolist() == [4]


def test_ceal_threshold_decays_with_the_cycle():
    kwargs = {"threshold": 0.2, "decay": 0.05}
    assert acquisition.ceal_pseudo_labels(PROBS, [], cycle=1, **kwargs)[0].tolist() == [4, 5]
    # At cycle 2 the threshold is 0.1, below row 5's 0.140; at cycle 5 it is negative.
    assert acquisition.ceal_pseudo_labels(PROBS, [], cycle=2, **kwargs)[0].tolist() == [4]
    idx, labels = acquisition.ceal_pseudo_labels(PROBS, [], cycle=5, **kwargs)
    assert idx.size == 0 and labels.size == 0


def test_ceal_pseudo_labels_default_threshold_and_bad_cycle():
    idx, _ = acquisition.ceal_pseudo_labels(PROBS, [], cycle=0)
    assert idx.tolist() == [4]
    with pytest.raises(ValueError, match="cycle must be an integer >= 0"):
        acquisition.ceal_pseudo_labels(PROBS, [], cycle=-1)
