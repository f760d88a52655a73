"""LP against brute-force numpy references written here (sec. 3-4, eqs. (8)-(10), [15]).

Nothing expected below comes from tfal: the kNN graph is a dense argsort of cosine similarities,
W and 𝒲 = D^-1/2 W D^-1/2 are dense arrays, Z = (I − α𝒲)^-1 Y is `np.linalg.solve`. Each
reference first asserts that its data exercises the case (no near-ties among neighbours, a
labeled example whose own row argmaxes to another class), so a pass means the behaviour holds.
"""

import numpy as np
import pytest
from dense_reference import cosine_neighbours

from tfal import lp

NUM_CLASSES = 4
# exact search in float32: a k-th / (k+1)-th similarity gap above this decides the same neighbours
_MIN_KNN_MARGIN = 1e-5


def _blobs(n=120, d=8, seed=0, spread=0.7):
    """n points in 4 noisy Gaussian clusters (class i % 4), centres far from the origin."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % NUM_CLASSES
    centres = rng.standard_normal((NUM_CLASSES, d))
    return centres[truth] + spread * rng.standard_normal((n, d)), truth


def _centred(n=60, d=5, seed=3):
    """Isotropic Gaussian around 0: with a large k many neighbours have negative cosine."""
    return np.random.default_rng(seed).standard_normal((n, d))


def _reference_w(x, *, k, gamma, symmetrize, clip_negative=True):
    """Dense W: k nearest by cosine (self excluded), weights [s]_+^γ (or sign(s)|s|^γ),
    a zero weight is no edge; "sum" W + Wᵀ, "mutual" edges in both directions, (w_ij + w_ji)/2."""
    s, order = cosine_neighbours(x, k, min_margin=_MIN_KNN_MARGIN)
    np.fill_diagonal(s, 0.0)
    neighbour = np.zeros(s.shape, dtype=bool)
    neighbour[np.arange(len(x))[:, None], order[:, :k]] = True
    if clip_negative:
        weights = np.maximum(s, 0.0) ** gamma
    else:
        weights = np.sign(s) * np.abs(s) ** gamma
    directed = np.where(neighbour, weights, 0.0)
    if symmetrize == "sum":
        return directed + directed.T
    both = (directed != 0) & (directed.T != 0)
    return np.where(both, (directed + directed.T) / 2, 0.0)


def _reference_normalised(w):
    """D^-1/2 W D^-1/2, dense; a node of degree <= 0 gets a zero row and column."""
    degree = w.sum(axis=1)
    scale = np.where(degree > 0, 1.0 / np.sqrt(np.where(degree > 0, degree, 1.0)), 0.0)
    return scale[:, None] * w * scale[None, :]


def _assert_same_edges(actual, expected, *, rtol, atol):
    """Same stored pattern as expected's non-zeros, and the same weight on every edge."""
    coo = actual.tocoo()
    stored = np.zeros(actual.shape, dtype=bool)
    stored[coo.row, coo.col] = True
    wanted = expected != 0
    missing, extra = np.argwhere(wanted & ~stored), np.argwhere(stored & ~wanted)
    assert missing.size == 0 and extra.size == 0, (
        f"{len(missing)} edges missing (e.g. {missing[:3].tolist()}), "
        f"{len(extra)} extra (e.g. {extra[:3].tolist()})"
    )
    np.testing.assert_allclose(actual.toarray(), expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("symmetrize", ["sum", "mutual"])
@pytest.mark.parametrize("gamma", [1.0, 3.0, 4.0])
def test_knn_graph_and_its_normalisation_match_brute_force_edge_by_edge(gamma, symmetrize):
    """W of `knn_graph(index="exact")` and the 𝒲 that `propagate` returns equal the brute-force
    W (k = 7 cosine neighbours, [s]_+^γ, W + Wᵀ or mutual (w_ij + w_ji)/2) and D^-1/2 W D^-1/2."""
    x, truth = _blobs()
    options = {"k": 7, "gamma": gamma, "symmetrize": symmetrize, "index": "exact"}
    expected_w = _reference_w(x, k=7, gamma=gamma, symmetrize=symmetrize)
    _assert_same_edges(lp.knn_graph(x, **options), expected_w, rtol=1e-5, atol=1e-7)

    labeled = _unequal_labels(truth, [2, 2, 2, 2])
    result = lp.propagate(x, labeled, truth[labeled], NUM_CLASSES, **options)
    _assert_same_edges(result.graph, _reference_normalised(expected_w), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("symmetrize", ["sum", "mutual"])
@pytest.mark.parametrize("clip_negative", [True, False])
def test_negative_similarities_are_clipped_or_keep_their_sign(clip_negative, symmetrize):
    """With k = 40 of 59 many neighbours have cosine < 0: clipped ([·]_+, the paper) they are no
    edge; unclipped ([15]'s code) the weight is sign(s)|s|³. W against the brute force."""
    x = _centred()
    expected = _reference_w(x, k=40, gamma=3.0, symmetrize=symmetrize, clip_negative=clip_negative)
    assert (expected < 0).any() != clip_negative  # the case is exercised
    w = lp.knn_graph(
        x, k=40, gamma=3.0, symmetrize=symmetrize, clip_negative=clip_negative, index="exact"
    )
    _assert_same_edges(w, expected, rtol=1e-4, atol=1e-6)


def _reference_propagation(x, labeled, labels, *, k, gamma, alpha):
    """eqs. (8)-(10) with [15]'s 1/|L_c|, densely: (probs, pseudo-labels, weights, Z)."""
    n = len(x)
    wn = _reference_normalised(_reference_w(x, k=k, gamma=gamma, symmetrize="sum"))
    y = np.zeros((n, NUM_CLASSES))
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    y[labeled, labels] = 1.0 / counts[labels]
    z = np.linalg.solve(np.eye(n) - alpha * wn, y)
    positive = np.maximum(z, 0.0)
    probs = positive / positive.sum(axis=1, keepdims=True)
    pseudo = probs.argmax(axis=1)
    pseudo[labeled] = labels
    logs = np.log(probs, out=np.zeros_like(probs), where=probs > 0)
    certainty = 1.0 - (-(probs * logs).sum(axis=1)) / np.log(NUM_CLASSES)
    unlabeled = np.setdiff1d(np.arange(n), labeled)
    weights = certainty / certainty[unlabeled].max()
    weights[labeled] = 1.0
    return probs, pseudo, weights, z


def _unequal_labels(truth, per_class):
    """The first per_class[c] examples of each class c."""
    return np.concatenate([np.flatnonzero(truth == c)[:m] for c, m in enumerate(per_class)])


# CG run to convergence, so that propagate solves eq. (9) as exactly as float32 allows
_CONVERGED = {"max_iter": 1000, "tol": 1e-7, "index": "exact"}


def test_unequal_labels_per_class_match_the_dense_solution_of_eqs_8_to_10():
    """1/8/2/2 labels over 4 classes: probs, pseudo-labels and weights of `propagate` are the
    dense eqs. (8)-(10) with Y's columns divided by |L_c|, P = η[Z]₊, β(p) / max over U."""
    x, truth = _blobs()
    labeled = _unequal_labels(truth, [1, 8, 2, 2])
    labels = truth[labeled]
    probs, pseudo, weights, _ = _reference_propagation(x, labeled, labels, k=8, gamma=3, alpha=0.99)
    top2 = np.sort(probs, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-4  # 20x atol below: no argmax left to rounding
    result = lp.propagate(x, labeled, labels, NUM_CLASSES, k=8, **_CONVERGED)
    np.testing.assert_allclose(result.probs, probs, rtol=1e-5, atol=5e-6)
    np.testing.assert_array_equal(result.pseudo_labels, pseudo)
    np.testing.assert_allclose(result.weights, weights, rtol=1e-5, atol=5e-6)


def test_labeled_example_keeps_its_given_label_where_propagation_disagrees():
    """A labeled example inside another class's cluster (its own row of Z argmaxes to that class
    in the dense reference) keeps the label it was given, with weight exactly 1."""
    x, truth = _blobs()
    labeled = _unequal_labels(truth, [7, 1, 2, 2])
    misplaced = np.flatnonzero(truth == 1)[5]  # a point of cluster 1, labeled as class 0
    labeled = np.append(labeled, misplaced)
    labels = np.append(truth[labeled[:-1]], 0)
    probs, _, _, z = _reference_propagation(x, labeled, labels, k=8, gamma=3, alpha=0.99)
    assert z[misplaced].argmax() == 1  # LP's argmax disagrees with the given label
    result = lp.propagate(x, labeled, labels, NUM_CLASSES, k=8, **_CONVERGED)
    assert result.probs[misplaced].argmax() == 1  # probabilities are LP's own
    np.testing.assert_allclose(result.probs[misplaced], probs[misplaced], rtol=1e-5, atol=5e-6)
    assert result.pseudo_labels[misplaced] == 0
    assert result.weights[misplaced] == 1.0
    np.testing.assert_array_equal(result.pseudo_labels[labeled], labels)
    np.testing.assert_array_equal(result.weights[labeled], 1.0)
