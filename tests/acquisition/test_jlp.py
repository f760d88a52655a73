"""jLP (eqs. (11)-(12)): greedy logic against a dense solve, and on tfal.lp's real graph."""

import gin
import numpy as np
import pytest
import scipy.sparse as sp

from tfal import acquisition, lp
from tfal.lp import diffusion
from tfal.lp.config import LPConfig

requires_lp = pytest.mark.skipif(
    not all(hasattr(lp, name) for name in ("knn_graph", "normalize_graph", "diffuse")),
    reason="tfal.lp does not provide knn_graph / normalize_graph / diffuse yet",
)


def _normalise(w):
    d = np.asarray(w.sum(axis=1)).ravel() ** -0.5
    return sp.csr_matrix(sp.diags(d) @ w @ sp.diags(d))


def _random_graph(n=30, seed=0):
    rng = np.random.default_rng(seed)
    w = sp.random(n, n, density=0.15, random_state=rng) + sp.eye(n, k=1)  # connected chain
    w = w + w.T
    w.setdiag(0)
    return _normalise(sp.csr_matrix(w))


@pytest.fixture
def dense_diffuse(monkeypatch):
    """Replaces tfal.lp.diffusion.diffuse by an exact dense solve of (I - αW) Z = Y, counting calls."""
    calls = []

    def diffuse(wn, y, *, alpha=0.99, max_iter=20, tol=1e-6):
        calls.append(y[:, 0].copy())
        a = np.eye(wn.shape[0]) - alpha * wn.toarray()
        return np.linalg.solve(a, y), {"max_iter": max_iter, "tol": tol}

    monkeypatch.setattr(diffusion, "diffuse", diffuse)
    return calls


def _reference_greedy(wn, labeled, budget, alpha=0.99):
    a = np.eye(wn.shape[0]) - alpha * wn.toarray()
    taken, picks = set(labeled), []
    for _ in range(budget):
        queries = np.zeros(wn.shape[0])
        queries[list(taken)] = 1.0
        z = np.linalg.solve(a, queries)
        z[list(taken)] = np.inf
        picks.append(int(np.argmin(z)))
        taken.add(picks[-1])
    return picks


def test_greedy_matches_one_solve_per_pick(dense_diffuse):
    wn = _random_graph()
    selected = acquisition.jlp(6, labeled_idx=[0, 7], graph=wn)
    assert selected.tolist() == _reference_greedy(wn, [0, 7], 6)
    assert len(dense_diffuse) == 6
    # Each diffusion's queries are δ(L ∪ S) for the picks so far (eqs. (3), (11)).
    assert np.flatnonzero(dense_diffuse[3]).tolist() == sorted([0, 7, *selected[:3].tolist()])


def test_batch_size_per_solve_takes_several_per_diffusion(dense_diffuse):
    wn = _random_graph()
    selected = acquisition.jlp(7, labeled_idx=[0, 7], graph=wn, batch_size_per_solve=3)
    assert len(dense_diffuse) == 3  # 3 + 3 + 1
    one_shot = acquisition.jlp(3, labeled_idx=[0, 7], graph=wn, greedy=False)
    assert selected[:3].tolist() == one_shot.tolist()
    assert np.unique(selected).size == 7 and not np.isin(selected, [0, 7]).any()


def test_non_greedy_is_one_diffusion_ranked(dense_diffuse):
    wn = _random_graph()
    selected = acquisition.jlp(5, labeled_idx=[3], graph=wn, greedy=False)
    assert len(dense_diffuse) == 1
    z = np.linalg.solve(np.eye(30) - 0.99 * wn.toarray(), np.eye(30)[3])
    z[3] = np.inf
    assert selected.tolist() == np.argsort(z, kind="stable")[:5].tolist()


def test_empty_labeled_set_needs_no_first_diffusion(dense_diffuse):
    wn = _random_graph()
    selected = acquisition.jlp(2, labeled_idx=[], graph=wn)
    assert selected[0] == 0 and len(dense_diffuse) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"greedy": False, "batch_size_per_solve": 4}, "must stay 1"),
        ({"batch_size_per_solve": 0}, r"batch_size_per_solve=0: expected an int in \[1, "),
        ({"greedy": "yes"}, "greedy must be True or False"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        acquisition.jlp(1, labeled_idx=[0], graph=_random_graph(), **options)


def test_graph_must_match_the_pool():
    with pytest.raises(ValueError, match="disagree on the pool size"):
        acquisition.jlp(1, labeled_idx=[0], graph=_random_graph(30), features=np.zeros((31, 2)))
    with pytest.raises(ValueError, match="square"):
        acquisition.jlp(1, labeled_idx=[0], graph=sp.csr_matrix((4, 5)))
    with pytest.raises(ValueError, match="needs features or graph"):
        acquisition.jlp(1, labeled_idx=[0], probs=np.full((4, 2), 0.5))


def _two_clusters():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 4)) * 0.1 + np.array([5.0, 0.0, 0.0, 0.0])
    b = rng.normal(size=(20, 4)) * 0.1 + np.array([0.0, 5.0, 0.0, 0.0])
    return np.concatenate([a, b]).astype(np.float32)


@requires_lp
def test_picks_the_cluster_without_labels():
    # Labels only in cluster A (0..19): B (20..39) has no path to them, similarity 0.
    features = _two_clusters()
    selected = acquisition.jlp(1, labeled_idx=[0, 1, 2], features=features, lp=LPConfig(k=5))
    assert 20 <= selected[0] < 40
    # With the graph from tfal.lp passed in, the same.
    wn = lp.normalize_graph(lp.knn_graph(features, k=5))
    assert acquisition.jlp(1, labeled_idx=[0, 1, 2], graph=wn).tolist() == selected.tolist()


@requires_lp
def test_greedy_picks_repel_each_other():
    # One diffusion gives all of B similarity 0: a one-shot ranking takes B in index order. Greedy
    # re-diffuses after each pick, so the picks move away from the earlier ones and, once B is
    # covered, go back to the unlabeled part of A.
    features = _two_clusters()
    one_shot = acquisition.jlp(
        8, labeled_idx=[0, 1, 2], features=features, lp=LPConfig(k=5), greedy=False
    )
    assert one_shot.tolist() == list(range(20, 28))
    greedy = acquisition.jlp(8, labeled_idx=[0, 1, 2], features=features, lp=LPConfig(k=5))
    assert greedy[0] == 20 and greedy[1] != 21
    assert (greedy < 20).any() and (greedy >= 20).sum() >= 4


def test_gin_bindings_reach_the_options(dense_diffuse):
    gin.parse_config("tfal.acquisition.jlp.batch_size_per_solve = 4")
    acquisition.select("jlp", 8, labeled_idx=[0], graph=_random_graph())
    assert len(dense_diffuse) == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_conjugate_gradient_path_picks_like_the_dense_reference(seed):
    """No stand-in solver: tfal.lp.diffuse's CG, converged, against np.linalg.solve per pick."""
    wn = _random_graph(n=60, seed=seed)
    labeled = [0, 7, 31]
    selected = acquisition.jlp(
        8, labeled_idx=labeled, graph=wn, lp=LPConfig(max_iter=500, tol=1e-12)
    )
    assert selected.tolist() == _reference_greedy(wn, labeled, 8)


def test_the_loop_hands_jlp_the_graph_lp_would_build():
    """jLP with SEMI acquires on tfal.lp.affinity_graph with LP's options (whitening included)."""
    from tfal.loop import SemiSupervised

    semi = SemiSupervised(k=5, whiten=True, symmetrize="mutual", index="exact")
    features = _two_clusters() + np.random.default_rng(1).normal(size=(40, 4)).astype(np.float32)
    graph = lp.affinity_graph(features, **semi.graph_options())
    result = lp.propagate(features, np.array([0, 20]), np.array([0, 1]), 2, **semi.lp_options())
    assert (graph != result.graph).nnz == 0
    assert acquisition.uses_graph(acquisition.jlp) and not acquisition.uses_graph(
        acquisition.random
    )
    plain = lp.normalize_graph(lp.knn_graph(features, k=5))
    assert (plain != graph).nnz > 0  # the default graph differs from LP's configured one
