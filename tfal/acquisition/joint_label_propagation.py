"""Joint label propagation (jLP): acquire the example least similar to L on the manifold (eqs. 11-12).

jLP replaces the Euclidean distance of CoreSet (eq. (4)) by manifold similarity on the kNN graph
that label propagation uses (paper section 5). The query vector is δ(L), 1 on every labeled example
and 0 elsewhere (eq. (11), no per-class normalisation, unlike LP's Y); its diffusion
h(δ(L)) ∝ (I - α𝒲)^{-1} δ(L) (eq. (9)) is the manifold similarity of every example to L, and the
acquisition is a(X, L, U) = argmin_{i ∈ U} h(δ(L))_i (eq. (12)). Acquisition is greedy (eq. (3)):
each pick joins the queries before the next diffusion, so the next pick avoids its neighbourhood.

Cost: one conjugate-gradient diffusion per pick, b solves per cycle (the authors' behaviour and the
default). `batch_size_per_solve = m` takes the m least similar examples from each diffusion, so
b/m solves: m times faster, but the m picks of one solve do not repel each other and may crowd the
same far-away region, which greedy acquisition exists to avoid. `greedy=False` is the extreme, one
solve for the whole batch. The graph and the diffusion are `tfal.lp`'s: with SEMI the loop passes
`tfal.lp.affinity_graph` of the final model's features built with LP's own options (k, gamma,
symmetrisation, clipping, index, whitening), so jLP acquires on exactly the graph LP would use;
without SEMI (no LP) jLP builds the same kind of graph itself, from its `lp` options.
"""

from __future__ import annotations

import logging
import numbers

import numpy as np
import scipy.sparse as sp

from tfal.acquisition import ranking, validation
from tfal.config_types import Count, configurable
from tfal.lp import config as lp_config
from tfal.lp import diffusion, propagation
from tfal.lp.config import LPConfig

logger = logging.getLogger(__name__)


def _normalised_graph(
    features: np.ndarray | None, graph: sp.spmatrix | None, lp: LPConfig, *, seed: int
) -> sp.csr_matrix:
    if graph is not None:
        return validation.check_graph(graph)
    features = validation.check_features(
        validation.require(features, name="features or graph", strategy="jlp")
    )
    return propagation.affinity_graph(features, lp, seed=seed)  # LP's graph, exactly


def _per_solve(budget: int, *, greedy: bool, batch_size_per_solve: int) -> int:
    if not isinstance(greedy, bool):
        raise ValueError(f"greedy must be True or False, got {greedy!r}")
    if (
        isinstance(batch_size_per_solve, bool)
        or not isinstance(batch_size_per_solve, numbers.Integral)
        or batch_size_per_solve < 1
    ):
        raise ValueError(
            f"batch_size_per_solve must be an integer >= 1, got {batch_size_per_solve!r}"
        )
    if not greedy and batch_size_per_solve != 1:
        raise ValueError(
            f"greedy=False already uses one solve for the whole batch; batch_size_per_solve "
            f"must stay 1, got {batch_size_per_solve}"
        )
    return max(1, budget) if not greedy else int(batch_size_per_solve)


@configurable("jlp", module="tfal.acquisition", denylist=validation.RUNTIME_ARGUMENTS)
def jlp(
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    graph: sp.spmatrix | None = None,
    seed: int = 0,
    cycle: int = 0,
    lp: LPConfig | None = None,
    greedy: bool = True,
    batch_size_per_solve: Count = 1,
) -> np.ndarray:
    """Acquires b examples of least manifold similarity to the labeled and picked ones (eq. (12)).

    Args:
        budget: b, how many to acquire.
        labeled_idx: integer [|L|], the labeled set L. With L empty every similarity is 0 and the
            first pick is index 0 of U (ties go to the lowest index).
        features: float [n, d], the embedding; used to build the kNN graph when `graph` is None.
        probs: float [n, c]; not used (only checked to agree on n).
        graph: sparse [n, n], the symmetrically normalised affinity 𝒲 = D^-1/2 W D^-1/2 of the
            last LP run (`tfal.lp.affinity_graph`). If given, features and lp's graph options
            are not used.
        seed: passed to `tfal.lp.knn_graph` (approximate indexes).
        cycle: not used.
        lp: LP's options (`tfal.lp.LPConfig`): the graph built from `features` and the
            diffusion's α, CG iterations and tolerance; None: LP's defaults. With SEMI the loop
            passes SEMI's own, so jLP diffuses exactly as LP does.
        greedy: True (reference): re-diffuse after every `batch_size_per_solve` picks. False: one
            diffusion, the b least similar examples.
        batch_size_per_solve: m, picks per diffusion when greedy; 1 is the reference.

    Returns:
        int64 [b] pool indices in pick order.
    """
    del cycle
    per_solve = _per_solve(budget, greedy=greedy, batch_size_per_solve=batch_size_per_solve)
    n = validation.infer_pool_size(features=features, probs=probs, graph=graph)
    pool = validation.make_pool(budget, labeled_idx=labeled_idx, pool_size=n)
    if budget == 0:
        return np.zeros(0, dtype=np.int64)
    lp = lp_config.DEFAULT if lp is None else lp
    wn = _normalised_graph(features, graph, lp, seed=seed)
    queries = np.zeros((n, 1), dtype=np.float64)
    queries[pool.labeled_idx] = 1.0  # δ(L), eq. (11)
    candidates = pool.unlabeled_mask
    picks = []
    num_picked = 0
    while num_picked < budget:
        if queries.any():
            similarity, info = diffusion.diffuse(
                wn, queries, alpha=lp.alpha, max_iter=lp.max_iter, tol=lp.tol
            )
            logger.debug("jlp: %d/%d picked, diffusion %s", num_picked, budget, info)
            similarity = np.asarray(similarity)[:, 0]
        else:
            similarity = np.zeros(n)  # h(0) = 0 exactly: no solve needed
        chosen = ranking.best_unlabeled(
            similarity, candidates, min(per_solve, budget - num_picked), largest=False
        )
        candidates[chosen] = False
        queries[chosen] = 1.0  # the picks join the queries (eq. (3))
        picks.append(chosen)
        num_picked += chosen.size
    return np.concatenate(picks)
