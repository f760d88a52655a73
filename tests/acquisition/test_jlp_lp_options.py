"""jLP (eqs. (11)-(12)) diffuses on the graph and with the α that its LP options configure.

The expected picks come from a dense numpy reference written here, not from `tfal.lp`: cosine
kNN by argsort (self excluded), W = A + Aᵀ with A_ij = [s_ij]_+^γ, 𝒲 = D^-1/2 W D^-1/2, and
greedily, per pick, z = (I − α𝒲)^-1 δ(L ∪ S) by `np.linalg.solve`, argmin over the unlabeled
examples not yet picked. On this data α, k and γ each change the reference's picks, so a jLP that
ignored any of them would fail.
"""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from dense_reference import cosine_neighbours

from tfal import acquisition
from tfal.lp.config import LPConfig

LABELED = [0, 1, 2, 3, 5, 10]
BUDGET = 6
# CG run to convergence (float32): its error is far below the reference's smallest pick gap
CONFIGURED = LPConfig(alpha=0.5, k=7, gamma=1.0, index="exact", max_iter=200, tol=1e-6)


@pytest.fixture(scope="module")
def features():
    """120 points in 4 noisy Gaussian clusters, d = 8 (the sum kNN graph is connected)."""
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((4, 8))
    return centres[np.arange(120) % 4] + 0.7 * rng.standard_normal((120, 8))


def _reference_graph(x, *, k, gamma, min_margin=1e-5):
    """Dense 𝒲 = D^-1/2 (A + Aᵀ) D^-1/2, A the k-nearest cosine neighbours weighted [s]_+^γ;
    asserts a k-th / (k+1)-th similarity gap above min_margin (float32 search finds the same)."""
    s, order = cosine_neighbours(x, k, min_margin=min_margin)
    nearest = order[:, :k]
    rows = np.arange(len(x))[:, None]
    a = np.zeros(s.shape)
    a[rows, nearest] = np.maximum(s[rows, nearest], 0.0) ** gamma
    w = a + a.T
    scale = 1.0 / np.sqrt(w.sum(axis=1))
    return scale[:, None] * w * scale[None, :]


def _reference_picks(wn, *, alpha, min_gap=0.0):
    """Greedy eq. (12): each pick the least h(δ(L ∪ S)) over U \\ S, S growing (eq. (3))."""
    a = np.eye(len(wn)) - alpha * wn
    taken, picks = list(LABELED), []
    for _ in range(BUDGET):
        queries = np.zeros(len(wn))
        queries[taken] = 1.0  # δ(L ∪ S), eq. (11)
        z = np.linalg.solve(a, queries)
        z[taken] = np.inf
        best, second = np.sort(z)[:2]
        gap = (second - best) / np.abs(z[np.isfinite(z)]).max()
        assert gap > min_gap, f"pick {len(picks)} is a near-tie ({gap:.1e}): data too ambiguous"
        picks.append(int(np.argmin(z)))
        taken.append(picks[-1])
    return picks


def _expected(x, config, *, min_gap=1e-4, min_margin=1e-5):
    """The reference picks for LP options `config` (its α, k and γ)."""
    wn = _reference_graph(x, k=config.k, gamma=config.gamma, min_margin=min_margin)
    return _reference_picks(wn, alpha=config.alpha, min_gap=min_gap)


@pytest.mark.parametrize("alpha", [0.5, 0.99])
def test_picks_are_the_dense_reference_on_the_graph_lp_configures(features, alpha):
    """jLP from features with LP's α, k = 7, γ = 1 picks what the dense greedy reference picks,
    at α = 0.5 and 0.99; and the two α give different picks on this data."""
    config = dataclasses.replace(CONFIGURED, alpha=alpha)
    expected = _expected(features, config)
    selected = acquisition.jlp(BUDGET, labeled_idx=LABELED, features=features, lp=config)
    assert selected.tolist() == expected
    other = dataclasses.replace(config, alpha={0.5: 0.99, 0.99: 0.5}[alpha])
    assert _expected(features, other) != expected  # α matters on this data


def test_alpha_comes_from_lp_also_when_the_graph_is_given(features):
    """Given the reference 𝒲 itself, jLP's diffusion still uses the α of its `lp` options."""
    wn = _reference_graph(features, k=CONFIGURED.k, gamma=CONFIGURED.gamma)
    graph = sp.csr_matrix(wn.astype(np.float32))
    for alpha in (0.5, 0.99):
        config = dataclasses.replace(CONFIGURED, alpha=alpha)
        selected = acquisition.jlp(BUDGET, labeled_idx=LABELED, graph=graph, lp=config)
        assert selected.tolist() == _reference_picks(wn, alpha=alpha, min_gap=1e-4)


@pytest.mark.parametrize("option", ["alpha", "k", "gamma"])
def test_each_lp_option_changes_the_picks_so_ignoring_it_fails(features, option):
    """With α, k or γ back at LP's default (0.99, 50, 3) the reference picks differ from the
    configured ones, and jLP follows its configuration, not the default."""
    default = dataclasses.replace(CONFIGURED, **{option: getattr(LPConfig(), option)})
    assert getattr(default, option) != getattr(CONFIGURED, option)
    configured_picks = _expected(features, CONFIGURED)
    # only compared, so near-ties are allowed (k = 50 of 119 has some)
    assert _expected(features, default, min_gap=-np.inf, min_margin=-np.inf) != configured_picks
    selected = acquisition.jlp(BUDGET, labeled_idx=LABELED, features=features, lp=CONFIGURED)
    assert selected.tolist() == configured_picks
