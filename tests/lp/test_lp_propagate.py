"""tfal.lp.propagate (eqs. (1), (8)-(10)): closed form, [15]'s reference, edge cases, validation."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg

from tfal import lp


@pytest.fixture(scope="module")
def blobs():
    """200 points in 4 noisy clusters, 2 labels per class."""
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(4), 50)
    centres = rng.standard_normal((4, 10))
    x = centres[truth] + 0.6 * rng.standard_normal((200, 10))
    labeled = np.concatenate([np.flatnonzero(truth == c)[:2] for c in range(4)])
    return x, truth, labeled


def _dense_probs(wn, labeled, labels, num_classes, alpha):
    y = np.zeros((wn.shape[0], num_classes))
    counts = np.bincount(labels, minlength=num_classes)
    y[labeled, labels] = 1.0 / counts[labels]
    z = np.linalg.solve(np.eye(wn.shape[0]) - alpha * wn.toarray().astype(np.float64), y)
    z = np.maximum(z, 0)
    return z / z.sum(axis=1, keepdims=True)


def test_converged_propagation_equals_the_dense_closed_form(blobs):
    x, truth, labeled = blobs
    result = lp.propagate(x, labeled, truth[labeled], 4, k=8, alpha=0.95, max_iter=2000, tol=1e-9)
    expected = _dense_probs(result.graph, labeled, truth[labeled], 4, alpha=0.95)
    np.testing.assert_allclose(result.probs, expected, rtol=1e-4, atol=1e-6)
    unlabeled = np.setdiff1d(np.arange(200), labeled)
    np.testing.assert_array_equal(
        result.pseudo_labels[unlabeled], expected[unlabeled].argmax(axis=1)
    )
    # the graph handed back is D^-1/2 W D^-1/2 of knn_graph's W
    w = lp.knn_graph(x, k=8)
    d = np.asarray(w.sum(axis=1)).ravel() ** -0.5
    np.testing.assert_allclose(result.graph.toarray(), d[:, None] * w.toarray() * d, rtol=1e-5)


def test_default_propagation_matches_the_reference_per_class_scipy_cg(blobs):
    """[15]'s way (20 CG iterations per class, rtol 1e-6) gives the same probabilities."""
    x, truth, labeled = blobs
    result = lp.propagate(x, labeled, truth[labeled], 4, k=8)
    a = sp.eye(200) - 0.99 * result.graph.astype(np.float64)
    z = np.zeros((200, 4))
    for c in range(4):
        y = np.zeros(200)
        members = labeled[truth[labeled] == c]
        y[members] = 1.0 / members.size
        z[:, c], _ = scipy.sparse.linalg.cg(a, y, rtol=1e-6, maxiter=20)
    z = np.maximum(z, 0)
    np.testing.assert_allclose(result.probs, z / z.sum(axis=1, keepdims=True), atol=2e-5)
    assert result.diagnostics.cg_iterations == 20
    assert result.diagnostics.index == "exact"


def test_result_types_and_labeled_examples(blobs):
    x, truth, labeled = blobs
    result = lp.propagate(x, labeled, truth[labeled], 4, k=8)
    assert result.probs.dtype == np.float32 and result.probs.shape == (200, 4)
    assert result.pseudo_labels.dtype == np.int64
    assert result.weights.dtype == np.float32
    np.testing.assert_allclose(result.probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(result.pseudo_labels[labeled], truth[labeled])
    np.testing.assert_array_equal(result.weights[labeled], 1.0)
    assert ((result.weights >= 0) & (result.weights <= 1)).all()
    unlabeled = np.setdiff1d(np.arange(200), labeled)
    assert result.weights[unlabeled].max() == pytest.approx(1.0)  # divided by the max
    assert np.mean(result.pseudo_labels == truth) > 0.9
    assert result.class_weights is None
    d = result.diagnostics
    assert (d.n, d.k) == (200, 8) and d.total_seconds >= d.cg_seconds >= 0


def test_unnormalised_weights_are_eq_10(blobs):
    x, truth, labeled = blobs
    result = lp.propagate(x, labeled, truth[labeled], 4, k=8, normalize_weights=False)
    unlabeled = np.setdiff1d(np.arange(200), labeled)
    expected = lp.entropy_weights(result.probs)[unlabeled]
    np.testing.assert_allclose(result.weights[unlabeled], expected, rtol=1e-6)
    assert result.weights[unlabeled].max() < 1.0


def test_class_weights_are_inverse_frequencies_with_mean_one(blobs):
    x, truth, labeled = blobs
    result = lp.propagate(x, labeled, truth[labeled], 4, k=8, class_weights=True)
    counts = np.bincount(result.pseudo_labels, minlength=4)
    assert result.class_weights.dtype == np.float32
    assert result.class_weights.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(result.class_weights * counts, (result.class_weights * counts)[0])


def test_class_without_labels_has_zero_probability_and_is_never_predicted(blobs):
    x, truth, labeled = blobs
    x = x.copy()
    x[17] = 0.0  # an isolated node: all-zero row of Z, uniform probabilities
    keep = truth[labeled] != 0  # class 0 gets no label
    result = lp.propagate(x, labeled[keep], truth[labeled][keep], 4, k=8, class_weights=True)
    assert np.isfinite(result.probs).all() and np.isfinite(result.weights).all()
    assert not result.probs[np.arange(200) != 17, 0].any()
    np.testing.assert_allclose(result.probs[17], 0.25)
    assert result.weights[17] == 0.0
    assert (result.pseudo_labels != 0).all()
    assert result.class_weights[0] == 0.0 and np.isfinite(result.class_weights).all()


def test_passing_the_graph_back_skips_the_search_and_gives_the_same_result(blobs):
    x, truth, labeled = blobs
    first = lp.propagate(x, labeled, truth[labeled], 4, k=8)
    again = lp.propagate(x, labeled, truth[labeled], 4, graph=first.graph)
    np.testing.assert_array_equal(first.probs, again.probs)
    assert again.diagnostics.index == "given" and again.diagnostics.knn_seconds == 0.0


def test_approximate_index_is_deterministic_for_a_seed(blobs):
    x, truth, labeled = blobs
    runs = [lp.propagate(x, labeled, truth[labeled], 4, k=8, index="ivf", seed=5) for _ in "ab"]
    np.testing.assert_array_equal(runs[0].probs, runs[1].probs)
    assert runs[0].diagnostics.index == "ivf" and runs[0].diagnostics.nprobe >= 1


def test_entropy_weights():
    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    expected = [1.0, 0.0, 1 - np.log(2) / np.log(3)]
    np.testing.assert_allclose(lp.entropy_weights(probs), expected, atol=1e-12)
    assert lp.entropy_weights(np.ones((2, 1))).tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "change, match",
    [
        ({"labels": [0, 1, 9]}, r"labels must be in \[0, num_classes=3\).*9"),
        ({"labels": [0, -1, 2]}, r"labels.*-1"),
        ({"labeled_idx": [0, 1, 200]}, r"labeled_idx must be in \[0, n=200\).*200"),
        ({"labeled_idx": [4, 4, 5]}, "duplicates.*4"),
        ({"labeled_idx": [0, 1]}, "differ in length"),
        ({"labeled_idx": [], "labels": []}, "empty"),
        ({"k": 200}, "k must be.*200"),
        ({"alpha": 1.0}, "alpha.*1.0"),
        ({"alpha": -0.5}, "alpha.*-0.5"),
        ({"symmetrize": "max"}, "symmetrize.*'max'"),
        ({"index": "faiss"}, "index.*'faiss'"),
        ({"cg_backend": "torch"}, "backend.*'torch'"),
        ({"num_classes": 0}, "num_classes.*0"),
    ],
)
def test_bad_input_raises_naming_the_value(blobs, change, match):
    x = blobs[0]
    args = {"labeled_idx": [0, 1, 2], "labels": [0, 1, 2], "num_classes": 3}
    args.update(change)
    options = {
        key: args.pop(key)
        for key in list(args)
        if key not in ("labeled_idx", "labels", "num_classes")
    }
    with pytest.raises(ValueError, match=match):
        lp.propagate(
            x,
            np.asarray(args["labeled_idx"], dtype=np.int64),
            np.asarray(args["labels"], dtype=np.int64),
            args["num_classes"],
            **options,
        )


def test_renumbering_for_cache_locality_does_not_change_the_result(blobs, monkeypatch):
    from tfal.lp import propagation

    x, truth, labeled = blobs
    plain = lp.propagate(x, labeled, truth[labeled], 4, k=8, index="ivf", nlist=6, nprobe=3)
    monkeypatch.setattr(propagation, "_REORDER_MIN_BYTES", 0)  # renumber even this small graph
    renumbered = lp.propagate(x, labeled, truth[labeled], 4, k=8, index="ivf", nlist=6, nprobe=3)
    np.testing.assert_allclose(renumbered.probs, plain.probs, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(renumbered.pseudo_labels, plain.pseudo_labels)
    assert (renumbered.graph != plain.graph).nnz == 0  # the graph handed back keeps caller order


def test_tensorflow_and_scipy_cg_kernels_give_the_same_propagation(blobs):
    x, truth, labeled = blobs
    results = {
        backend: lp.propagate(x, labeled, truth[labeled], 4, k=10, cg_backend=backend)
        for backend in ("scipy", "tensorflow")
    }
    np.testing.assert_array_equal(
        results["scipy"].pseudo_labels, results["tensorflow"].pseudo_labels
    )
    np.testing.assert_allclose(results["scipy"].probs, results["tensorflow"].probs, atol=1e-5)
    assert (results["tensorflow"].pseudo_labels == truth).mean() > 0.9
