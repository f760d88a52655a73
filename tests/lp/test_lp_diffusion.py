"""Block CG of tfal.lp.diffuse (eq. (9)) against a dense solve and against scipy's per-class cg."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg

from tfal import lp


def _normalised_random_graph(n=120, density=0.08, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w = sp.random(n, n, density=density, random_state=rng) + sp.eye(n, k=1)  # connected chain
    w = sp.csr_matrix(w + w.T)
    w.setdiag(0)
    w.eliminate_zeros()
    return lp.normalize_graph(w.astype(dtype))


def _labels_matrix(n, c, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros((n, c))
    y[rng.choice(n, 3 * c, replace=False), np.repeat(np.arange(c), 3)] = 1.0 / 3
    return y


def test_converged_block_cg_equals_dense_solve():
    wn = _normalised_random_graph()
    y = _labels_matrix(wn.shape[0], 4)
    z, info = lp.diffuse(wn, y, alpha=0.9, max_iter=500, tol=1e-12)
    dense = np.linalg.solve(np.eye(wn.shape[0]) - 0.9 * wn.toarray(), y)
    np.testing.assert_allclose(z, dense, rtol=1e-8, atol=1e-12)
    assert info.converged.all()
    assert info.max_residual < 1e-12
    assert z.dtype == np.float64


def test_each_column_is_what_scipy_cg_returns_with_the_same_budget():
    """Same recurrence and stopping rule as scipy's cg(rtol=tol, maxiter=max_iter), per class."""
    wn = _normalised_random_graph(n=300, density=0.02, seed=1)
    y = _labels_matrix(wn.shape[0], 5, seed=1)
    y[:, 2] *= 1e3  # columns of different scales converge at different iterations
    a = sp.eye(wn.shape[0]) - 0.99 * wn
    for max_iter, tol in [(20, 1e-6), (200, 1e-4)]:
        z, info = lp.diffuse(wn, y, alpha=0.99, max_iter=max_iter, tol=tol)
        for col in range(y.shape[1]):
            expected, _ = scipy.sparse.linalg.cg(a, y[:, col], rtol=tol, maxiter=max_iter)
            np.testing.assert_allclose(z[:, col], expected, rtol=1e-7, atol=1e-12)
        assert info.iterations == info.column_iterations.max() <= max_iter
    assert info.column_iterations.min() < 200  # with tol=1e-4 the columns stop on their own


def test_zero_column_gives_zero_solution_without_nan():
    wn = _normalised_random_graph()
    y = _labels_matrix(wn.shape[0], 3)
    y[:, 1] = 0.0  # a class without labels
    z, info = lp.diffuse(wn, y)
    assert np.isfinite(z).all()
    assert not z[:, 1].any()
    assert info.column_iterations[1] == 0 and info.residual[1] == 0.0
    assert info.column_iterations[0] > 0 and info.column_iterations[2] > 0


def test_float32_graph_computes_in_float32_and_one_dimensional_y_stays_one_dimensional():
    wn64 = _normalised_random_graph()
    wn32 = wn64.astype(np.float32)
    y = _labels_matrix(wn64.shape[0], 2)[:, 0]
    z32, _ = lp.diffuse(wn32, y)
    z64, _ = lp.diffuse(wn64, y)
    assert z32.dtype == np.float32 and z32.shape == y.shape
    np.testing.assert_allclose(z32, z64, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"alpha": 1.0}, "alpha.*1.0"),
        ({"alpha": -0.1}, "alpha.*-0.1"),
        ({"max_iter": 0}, "max_iter.*0"),
        ({"tol": -1.0}, "tol.*-1.0"),
        ({"dtype": np.int32}, "dtype.*int32"),
        ({"backend": "cuda"}, "backend.*'cuda'"),
    ],
)
def test_bad_options_raise(options, match):
    wn = _normalised_random_graph(n=20)
    with pytest.raises(ValueError, match=match):
        lp.diffuse(wn, np.ones((20, 1)), **options)


def test_shape_mismatch_raises():
    wn = _normalised_random_graph(n=20)
    with pytest.raises(ValueError, match=r"\(19, 2\)"):
        lp.diffuse(wn, np.ones((19, 2)))


def test_threaded_product_gives_the_same_result(monkeypatch):
    from tfal.lp import diffusion

    monkeypatch.setattr(diffusion, "_PARALLEL_MIN_WORK", 0)  # force the threaded path
    wn = _normalised_random_graph(n=300, density=0.03, seed=2).astype(np.float32)
    y = _labels_matrix(wn.shape[0], 6, seed=2)
    one, _ = lp.diffuse(wn, y, num_threads=1)
    three, info = lp.diffuse(wn, y, num_threads=3)
    np.testing.assert_array_equal(one, three)
    assert info.iterations > 1
    with pytest.raises(ValueError, match="num_threads.*0"):
        lp.diffuse(wn, y, num_threads=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensorflow_kernel_solves_what_scipy_solves(monkeypatch, dtype):
    """TensorFlow's CSR product in several row blocks, on a graph with unsorted column indices."""
    from tfal.lp import diffusion

    monkeypatch.setattr(diffusion, "_TENSORFLOW_BLOCK_NNZ", 500)  # several blocks
    wn = _normalised_random_graph(n=300, density=0.03, seed=3).astype(dtype)
    shuffled = wn.copy()
    for row in range(shuffled.shape[0]):  # reverse each row's entries: unsorted indices
        start, stop = shuffled.indptr[row], shuffled.indptr[row + 1]
        shuffled.indices[start:stop] = shuffled.indices[start:stop][::-1].copy()
        shuffled.data[start:stop] = shuffled.data[start:stop][::-1].copy()
    shuffled.has_sorted_indices = False
    y = _labels_matrix(wn.shape[0], 6, seed=3)
    y[:, 4] = 0.0  # a class without labels
    expected, expected_info = lp.diffuse(wn, y, backend="scipy")
    operator = diffusion._TensorFlowOperator(shuffled, alpha=0.99)
    assert len(operator.blocks) > 2
    z, info = lp.diffuse(shuffled, y, backend="tensorflow")
    assert z.dtype == dtype
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(z, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    np.testing.assert_array_equal(info.column_iterations, expected_info.column_iterations)
    assert not z[:, 4].any()


def test_auto_backend_takes_tensorflow_for_large_products_only():
    from tfal.lp import diffusion

    big = diffusion._TENSORFLOW_MIN_WORK
    assert diffusion.resolve_backend("auto", big - 1) == "scipy"
    assert diffusion.resolve_backend("auto", big) == "tensorflow"
    assert diffusion.resolve_backend("scipy", big) == "scipy"
    with pytest.raises(ValueError, match="backend.*'numba'"):
        diffusion.resolve_backend("numba", 1)


def test_warm_up_starts_the_tensorflow_import_only_when_cg_will_use_it(monkeypatch):
    import sys
    import types

    import tensorflow  # noqa: F401  (the suite imports it anyway; this test needs it loaded)

    from tfal.lp import diffusion

    started = []

    def fake_thread(**kwargs):
        started.append(kwargs["args"])
        return types.SimpleNamespace(start=lambda: None)

    monkeypatch.setattr(diffusion.threading, "Thread", fake_thread)
    big = diffusion._TENSORFLOW_MIN_WORK
    diffusion.warm_up("auto", big)  # already imported in this process: nothing to do
    assert started == []
    monkeypatch.delitem(sys.modules, "tensorflow")
    diffusion.warm_up("scipy", big)
    diffusion.warm_up("auto", big - 1)
    assert started == []
    diffusion.warm_up("auto", big)
    assert started == [("tensorflow",)]
