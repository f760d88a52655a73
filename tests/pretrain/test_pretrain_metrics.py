import math

import numpy as np
import pytest

from tfal.pretrain import normalized_mutual_info


def test_nmi_matches_a_hand_computed_value():
    a = [0, 0, 1, 1]
    b = [0, 0, 0, 1]
    # p(a) = (1/2, 1/2), p(b) = (3/4, 1/4), joint: (0,0) 1/2, (1,0) 1/4, (1,1) 1/4.
    mi = (
        0.5 * math.log(0.5 / (0.5 * 0.75))
        + 0.25 * math.log(0.25 / (0.5 * 0.75))
        + 0.25 * math.log(0.25 / (0.5 * 0.25))
    )
    ha = math.log(2)
    hb = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert normalized_mutual_info(a, b) == pytest.approx(mi / math.sqrt(ha * hb), rel=1e-12)
    assert normalized_mutual_info(a, b) == pytest.approx(
        0.34559, abs=1e-5
    )  # 0.21576 / sqrt(0.69315 * 0.56234)


def test_nmi_ignores_label_names_and_is_symmetric():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 200)
    renamed = np.array([7, 3, 11, 0, 42])[a]
    assert normalized_mutual_info(a, renamed) == pytest.approx(1.0)
    b = rng.integers(0, 3, 200)
    assert normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info(b, a))
    assert normalized_mutual_info(a, b) < 0.05  # independent labelings


def test_nmi_of_constant_labelings():
    assert normalized_mutual_info([1, 1, 1], [4, 4, 4]) == 1.0
    assert normalized_mutual_info([1, 1, 1], [0, 1, 2]) == 0.0


def test_nmi_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="equal length"):
        normalized_mutual_info([0, 1], [0, 1, 2])
