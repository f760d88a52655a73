"""Input checks and the batch invariants that the loop asserts every cycle."""

import numpy as np
import pytest

from tfal import acquisition


def test_check_selection_accepts_a_valid_batch():
    acquisition.check_selection(np.array([3, 1]), labeled_idx=[0, 2], pool_size=5, budget=2)


@pytest.mark.parametrize(
    ("selected", "message"),
    [
        (np.array([3, 3]), "repeated"),
        (np.array([3, 2]), "labeled"),
        (np.array([3]), "budget is 2"),
        (np.array([3, 4, 1]), "budget is 2"),
        (np.array([3, 5]), "outside"),
        (np.array([3, -1]), "outside"),
        (np.array([3.0, 1.0]), "integer"),
        (np.array([[3, 1]]), "1-D"),
    ],
)
def test_check_selection_rejects(selected, message):
    with pytest.raises(ValueError, match=message):
        acquisition.check_selection(selected, labeled_idx=[0, 2], pool_size=5, budget=2)


def test_unknown_strategy_names_it_and_the_allowed_ones():
    with pytest.raises(ValueError, match=r"'entropy'.*coreset.*jlp.*uncertainty"):
        acquisition.select("entropy", 1, labeled_idx=[], pool_size=3)


def test_unknown_option_is_an_error():
    with pytest.raises(ValueError, match="batch_size_per_solve"):
        acquisition.select("random", 1, labeled_idx=[], pool_size=3, batch_size_per_solve=2)


def test_budget_above_unlabeled_says_both_numbers():
    with pytest.raises(ValueError, match=r"budget 4 exceeds the number of unlabeled examples 3"):
        acquisition.select("random", 4, labeled_idx=[0, 1], pool_size=5)


@pytest.mark.parametrize(
    ("labeled_idx", "message"),
    [([0, 5], r"outside \[0, 5\): \[5\]"), ([1, 1], r"repeated indices: \[1\]"), ([[1]], "1-D")],
)
def test_bad_labeled_idx_is_named(labeled_idx, message):
    with pytest.raises(ValueError, match=message):
        acquisition.select("random", 1, labeled_idx=labeled_idx, pool_size=5)


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        (np.array([[0.5, 0.5], [np.nan, 1.0]]), r"non-finite values in rows \[1\]"),
        (np.array([[0.5, 0.5], [1.5, -0.5]]), r"negative values in rows \[1\]"),
        (np.array([[2.0, 3.0], [0.5, 0.5]]), "sum to 1"),
        (np.array([0.5, 0.5]), "2-D"),
        (np.array([[1.0], [1.0]]), "c >= 2"),
    ],
)
def test_bad_probs_are_rejected(probs, message):
    with pytest.raises(ValueError, match=message):
        acquisition.uncertainty(1, labeled_idx=[], probs=probs)


def test_bad_features_are_rejected():
    features = np.zeros((4, 2))
    features[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"non-finite values in rows \[2\]"):
        acquisition.coreset(1, labeled_idx=[0], features=features)


def test_missing_input_is_named():
    with pytest.raises(ValueError, match="'uncertainty' needs probs"):
        acquisition.select("uncertainty", 1, labeled_idx=[], features=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="cannot tell the pool size"):
        acquisition.select("random", 1, labeled_idx=[])


def test_inputs_must_agree_on_pool_size():
    with pytest.raises(ValueError, match="disagree on the pool size"):
        acquisition.uncertainty(
            1, labeled_idx=[], probs=np.full((3, 2), 0.5), features=np.zeros((4, 2))
        )


@pytest.mark.parametrize("budget", [-1, 1.5, True])
def test_bad_budget(budget):
    with pytest.raises(ValueError, match="budget must be an integer"):
        acquisition.select("random", budget, labeled_idx=[], pool_size=3)


def test_zero_budget_gives_an_empty_batch():
    selected = acquisition.select("coreset", 0, labeled_idx=[0], features=np.eye(3))
    assert selected.dtype == np.int64 and selected.shape == (0,)
