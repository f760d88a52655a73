"""Greedy k-center (eq. (4)) against hand-made cases and a brute-force reference."""

import numpy as np
import pytest

from tfal import acquisition
from tfal.acquisition import k_center


def _brute_force_k_center(features, labeled_idx, budget):
    """Eq. (4) recomputed from scratch at each pick with the full distance matrix."""
    dist = np.linalg.norm(features[:, None, :] - features[None, :, :], axis=-1)
    centres = list(labeled_idx)
    picks = []
    for _ in range(budget):
        nearest = dist[:, centres].min(axis=1)
        nearest[centres] = -1.0
        picks.append(int(np.argmax(nearest)))
        centres.append(picks[-1])
    return picks


def test_points_on_a_line_with_the_middle_labeled_pick_the_two_ends():
    features = np.arange(11, dtype=np.float64)[:, None]
    assert sorted(acquisition.coreset(2, labeled_idx=[5], features=features).tolist()) == [0, 10]


def test_next_pick_is_farthest_from_labeled_and_picked():
    # Line 0..10 with 0 labeled: 10 first, then the midpoint 5, then the quarter points.
    features = np.arange(11, dtype=np.float64)[:, None]
    selected = acquisition.coreset(4, labeled_idx=[0], features=features)
    assert selected.tolist() == [10, 5, 2, 7]  # 2 vs 3 and 7 vs 8: ties go to the lowest index


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_brute_force_on_random_data(dtype):
    rng = np.random.default_rng(3)
    features = rng.normal(loc=20.0, size=(200, 8))  # off-centre: the expansion must cope
    labeled = rng.choice(200, size=12, replace=False)
    selected = acquisition.coreset(25, labeled_idx=labeled, features=features, dtype=dtype)
    assert selected.tolist() == _brute_force_k_center(features, labeled, 25)


def test_unknown_dtype():
    with pytest.raises(
        ValueError, match="dtype='float16': expected a str one of 'float32', 'float64'"
    ):
        acquisition.coreset(1, labeled_idx=[0], features=np.eye(3), dtype="float16")


def test_input_features_are_not_modified():
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    before = features.copy()
    acquisition.coreset(2, labeled_idx=[0], features=features)
    np.testing.assert_array_equal(features, before)


def test_block_computation_matches_full_matrix():
    rng = np.random.default_rng(4)
    points, centres = rng.normal(size=(37, 6)), rng.normal(size=(9, 6))
    expected = ((points[:, None] - centres[None]) ** 2).sum(-1).min(1)
    for block_elements in (1, 10, 100, 10_000):
        got = k_center.min_sq_distances(points, centres, block_elements=block_elements)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_duplicates_of_labeled_points_are_still_pickable_and_labeled_never_are():
    # Every unlabeled point coincides with a labeled one: all distances are 0.
    features = np.zeros((6, 2))
    selected = acquisition.coreset(3, labeled_idx=[0, 1, 2], features=features)
    assert selected.tolist() == [3, 4, 5]


def test_empty_labeled_set_starts_at_a_seeded_random_centre():
    features = np.arange(20, dtype=np.float64)[:, None]
    first = {
        int(acquisition.coreset(1, labeled_idx=[], features=features, seed=s)[0]) for s in range(8)
    }
    assert len(first) > 1
    # After the random first centre the farthest end of the line follows.
    a = acquisition.coreset(2, labeled_idx=[], features=features, seed=1)
    assert a[1] == (0 if a[0] >= 10 else 19)
