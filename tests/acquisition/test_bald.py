"""BALD against closed-form mutual information, and picks of the most disagreeing passes."""

import numpy as np
import pytest

from tfal import acquisition


def test_mutual_information_in_closed_form():
    # example 0: two confident passes that disagree -> I = H(mean) - mean H = log 2 - 0
    # example 1: two passes both at (1/2, 1/2) -> I = log 2 - log 2 = 0 (uncertain, no disagreement)
    # example 2: two identical confident passes -> 0
    mc = np.array(
        [
            [[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]],
            [[0.0, 1.0], [0.5, 0.5], [0.9, 0.1]],
        ]
    )
    np.testing.assert_allclose(
        acquisition.mutual_information(mc), [np.log(2), 0.0, 0.0], atol=1e-12
    )
    # a general case against the definition written out
    p = np.array([[[0.7, 0.2, 0.1]], [[0.2, 0.5, 0.3]], [[0.1, 0.1, 0.8]]])
    mean = p.mean(axis=0)[0]
    h = lambda q: -np.sum(q * np.log(q))  # noqa: E731
    want = h(mean) - np.mean([h(p[t, 0]) for t in range(3)])
    np.testing.assert_allclose(acquisition.mutual_information(p), [want], rtol=1e-12)


def test_bald_picks_the_largest_disagreement_among_the_unlabeled():
    rng = np.random.default_rng(0)
    mc = rng.dirichlet(np.ones(4), size=(10, 50))
    scores = acquisition.mutual_information(mc)
    labeled = [int(np.argmax(scores))]
    picked = acquisition.bald(5, labeled_idx=labeled, mc_probs=mc)
    order = [i for i in np.argsort(-scores, kind="stable") if i not in labeled]
    assert picked.tolist() == order[:5]
    assert acquisition.select("bald", 5, labeled_idx=labeled, mc_probs=mc).tolist() == order[:5]
    with pytest.raises(ValueError, match="strategy 'bald' needs mc_probs"):
        acquisition.bald(1, labeled_idx=[], probs=mc[0])
