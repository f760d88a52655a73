"""Approximate kNN indexes of tfal.lp.knn: recall against exact search, determinism, IVF semantics."""

import faiss
import numpy as np
import pytest

from tfal.lp import knn


@pytest.fixture(scope="module")
def clustered():
    """3,000 unit vectors in 10 clusters with a 12-d spread and isotropic noise."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((10, 32))
    centres *= 0.8 / np.linalg.norm(centres, axis=1, keepdims=True)
    basis = np.linalg.qr(rng.standard_normal((32, 12)))[0].T / np.sqrt(12)
    x = centres[rng.integers(0, 10, 3000)] + rng.standard_normal((3000, 12)) @ basis
    x += 0.2 / np.sqrt(32) * rng.standard_normal(x.shape)
    return knn.l2_normalize(x)


def _recall(found, exact):
    hits = [np.intersect1d(a, b).size for a, b in zip(found, exact, strict=True)]
    return np.sum(hits) / exact.size


@pytest.mark.parametrize("index", ["ivf", "hnsw"])
def test_approximate_index_recall_and_determinism(clustered, index):
    k = 11
    exact = knn.search(clustered, k, index="exact")
    first = knn.search(clustered, k, index=index, seed=3)
    again = knn.search(clustered, k, index=index, seed=3)
    assert first.index == index
    assert _recall(first.ids, exact.ids) >= 0.9
    np.testing.assert_array_equal(first.ids, again.ids)
    np.testing.assert_array_equal(first.similarities, again.similarities)


@pytest.mark.parametrize("unused_lists", [0, 4])
def test_ivf_returns_what_faiss_index_ivf_flat_returns(clustered, unused_lists):
    """Same lists, same probes: the cell-by-cell GEMM search is IndexIVFFlat's search, also when
    some lists have no members and no query probes them (skipped between others)."""
    k, nprobe = 10, 3
    centroids = knn.train_ivf_centroids(clustered, 12, seed=0)
    # shrunk copies: never among a point's most similar lists, but next to their originals in
    # the list order (`cell_chain`), so the search skips them between lists it scans
    shrunk = centroids[:unused_lists] * 1e-3
    centroids = np.ascontiguousarray(np.concatenate([centroids, shrunk]), dtype=np.float32)
    nlist = len(centroids)
    sims, ids, order = knn.ivf_search(clustered, centroids, k, nprobe=nprobe)
    quantizer = faiss.IndexFlatIP(clustered.shape[1])
    quantizer.add(centroids)
    index = faiss.IndexIVFFlat(quantizer, clustered.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.add(clustered)
    index.nprobe = nprobe
    ref_sims, ref_ids = index.search(clustered, k)
    np.testing.assert_allclose(sims, ref_sims, rtol=1e-5, atol=1e-6)
    assert np.mean(ids == ref_ids) > 0.999  # only float ties may swap
    assert sorted(order.tolist()) == list(range(clustered.shape[0]))


def test_ivf_seed_changes_the_partition_but_not_the_quality(clustered):
    a = knn.search(clustered, 11, index="ivf", seed=0)
    b = knn.search(clustered, 11, index="ivf", seed=1)
    assert not np.array_equal(a.order, b.order)
    exact = knn.search(clustered, 11, index="exact")
    assert _recall(b.ids, exact.ids) >= 0.9


def test_auto_is_exact_for_small_n_and_ivf_above_the_threshold(monkeypatch):
    monkeypatch.setattr(knn, "gpu_available", lambda: False)
    assert knn.resolve_index("auto", knn.AUTO_EXACT_MAX_N) == "exact"
    assert knn.resolve_index("auto", knn.AUTO_EXACT_MAX_N + 1) == "ivf"
    assert knn.resolve_index("hnsw", 10) == "hnsw"
    with pytest.raises(ValueError, match="'flat'"):
        knn.resolve_index("flat", 10)


def test_default_ivf_sizes_are_sane():
    assert knn.default_nlist(10) == 1
    assert knn.default_nprobe(1) == 1
    assert 1 <= knn.default_nprobe(knn.default_nlist(60_000)) <= knn.default_nlist(60_000)
    assert knn.default_nlist(10**7) == 4096


def test_bad_ivf_sizes_raise(clustered):
    with pytest.raises(ValueError, match="nprobe.*99"):
        knn.search(clustered, 5, index="ivf", nlist=10, nprobe=99)
    with pytest.raises(ValueError, match="nlist.*0"):
        knn.search(clustered, 5, index="ivf", nlist=0)


def test_ivf_rows_with_too_few_candidates_are_logged_and_give_no_bogus_edges(clustered, caplog):
    from tfal import lp

    x = clustered[:300]
    with caplog.at_level("WARNING", logger="tfal.lp.knn"):
        w = lp.knn_graph(x, k=20, index="ivf", nlist=30, nprobe=1)
    assert "fewer than 21 neighbours" in caplog.text
    assert w.shape == (300, 300) and w.nnz > 0
    assert w.indices.min() >= 0 and np.isfinite(w.data).all()
    assert abs(w - w.T).max() == 0 and not w.diagonal().any()


@pytest.mark.parametrize("index", ["ivf", "hnsw"])
def test_seeds_beyond_a_c_int_are_accepted(clustered, index):
    big = knn.search(clustered, 5, index=index, seed=2**32 - 1)
    again = knn.search(clustered, 5, index=index, seed=2**32 - 1)
    np.testing.assert_array_equal(big.ids, again.ids)


def test_gpu_index_without_a_gpu_build_of_faiss_names_the_fix(monkeypatch):
    monkeypatch.setattr(knn, "gpu_available", lambda: False)
    with pytest.raises(ValueError, match="faiss-gpu"):
        knn.resolve_index("gpu", 10)


def test_auto_takes_the_gpu_when_faiss_has_one_and_returns_the_exact_neighbours(
    clustered, monkeypatch
):
    """The GPU path's plumbing, with faiss' GPU brute force replaced by its CPU twin."""
    calls = []

    def knn_gpu(resources, xq, xb, k, metric):
        calls.append(resources)
        return faiss.knn(xq, xb, k, metric=metric)

    monkeypatch.setattr(knn, "gpu_available", lambda: True)
    monkeypatch.setattr(faiss, "knn_gpu", knn_gpu, raising=False)
    monkeypatch.setattr(faiss, "StandardGpuResources", object, raising=False)
    assert knn.resolve_index("auto", 10**6) == "gpu"
    found = knn.search(clustered, 11, index="auto")
    exact = knn.search(clustered, 11, index="exact")
    assert found.index == "gpu" and len(calls) == 1
    np.testing.assert_array_equal(found.ids, exact.ids)
    assert found.ids.dtype == np.int64
