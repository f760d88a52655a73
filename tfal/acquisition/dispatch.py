"""One selection interface for every acquisition strategy (paper section 3, eq. (3)).

`select(name, budget, ...)` runs a strategy by name and checks its result; `strategy_name(fn)`
tells which strategy a (possibly gin-wrapped) function is, so the loop can record it. The mapping
from names to functions is a read-only constant: strategies are ordinary functions registered with
gin by their decorators, not entries added to a mutable registry at import time.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Mapping

import numpy as np

from tfal.acquisition import validation
from tfal.acquisition.bald import bald
from tfal.acquisition.cost_effective import ceal
from tfal.acquisition.coverage import probcover
from tfal.acquisition.joint_label_propagation import jlp
from tfal.acquisition.k_center import coreset
from tfal.acquisition.probability_scores import least_confidence, margin, uncertainty
from tfal.acquisition.random_sampling import random
from tfal.acquisition.typicality import typiclust

STRATEGIES: Mapping[str, Callable[..., np.ndarray]] = types.MappingProxyType(
    {
        "random": random,
        "uncertainty": uncertainty,
        "ceal": ceal,
        "coreset": coreset,
        "jlp": jlp,
        "margin": margin,
        "least_confidence": least_confidence,
        "bald": bald,
        "typiclust": typiclust,
        "probcover": probcover,
    }
)


# Strategies that acquire on LP's kNN graph: the loop hands them the graph LP would build
# (same features, same options), so jLP never sees a different graph from LP's.
GRAPH_STRATEGIES = frozenset({"jlp"})


# Strategies that never look at the model (they take `pool_size` instead of features or
# probabilities): the loop does not extract the pool for them.
MODEL_FREE_STRATEGIES = frozenset({"random"})


def _unwrap(fn: Callable) -> Callable:
    """Strips functools.partial and decorator layers (gin's wrapper, gin scopes)."""
    while True:
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = inspect.unwrap(fn)
        else:
            return fn


_NAMES_BY_FUNCTION = types.MappingProxyType({_unwrap(fn): name for name, fn in STRATEGIES.items()})


def uses_graph(fn: Callable) -> bool:
    """Whether an acquisition function acquires on LP's graph: jLP, or a user's function that
    takes a `graph` argument."""
    name = _NAMES_BY_FUNCTION.get(_unwrap(fn))
    return name in GRAPH_STRATEGIES if name else "graph" in _parameters(fn)


def uses_model_outputs(fn: Callable) -> bool:
    """Whether an acquisition function needs the model's features or probabilities of the pool
    (a user's function is given them unless it takes none of features, probs, graph)."""
    name = _NAMES_BY_FUNCTION.get(_unwrap(fn))
    if name:
        return name not in MODEL_FREE_STRATEGIES
    params = _parameters(fn)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return takes_any or bool({"features", "probs", "graph"} & set(params))


def uses_mc_dropout(fn: Callable) -> bool:
    """Whether an acquisition function takes MC-dropout probabilities (`mc_probs`, BALD)."""
    return "mc_probs" in _parameters(fn)


def uses_lp_config(fn: Callable) -> bool:
    """Whether an acquisition function diffuses with LP's options (an `lp` argument, jLP): the
    loop then hands it SEMI's, so it diffuses exactly as LP does."""
    return "lp" in _parameters(fn)


def strategy_name(fn: Callable) -> str:
    """Returns the name ("uncertainty", ...) of an acquisition function.

    Args:
        fn: one of the strategies, as imported, as returned by a gin reference such as
            `@tfal.acquisition.uncertainty` (scoped or not), or wrapped in functools.partial;
            or a user's own function (see `tfal.acquisition` for the signature), named
            "<module>.<name>".
    """
    name = _NAMES_BY_FUNCTION.get(_unwrap(fn))
    if name is not None:
        return name
    target = _unwrap(fn)
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"


def _mc_pool_size(mc_probs) -> int | None:
    return None if mc_probs is None else int(np.shape(mc_probs)[1])


def _parameters(fn: Callable) -> dict[str, inspect.Parameter]:
    """The parameters of a user's function (a function without a signature takes anything)."""
    try:
        return dict(inspect.signature(_unwrap(fn)).parameters)
    except (TypeError, ValueError):
        return {"kwargs": inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)}


def select(
    name: str,
    budget: int,
    *,
    labeled_idx: np.ndarray,
    features: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    seed: int = 0,
    **options,
) -> np.ndarray:
    """Acquires a batch of `budget` unlabeled examples with the strategy called `name`.

    Args:
        name: one of `STRATEGIES`: random, uncertainty, ceal, coreset, jlp, margin,
            least_confidence.
        budget: b, how many to acquire; at most the number of unlabeled examples.
        labeled_idx: integer [|L|], the labeled set L (global pool indices).
        features: float [n, d], the embedding (coreset, jlp).
        probs: float [n, c], the classifier's probabilities (uncertainty, ceal, margin,
            least_confidence); BALD takes `mc_probs` [T, n, c] in `options`.
        seed: for the strategies that draw at random.
        **options: further keyword arguments of that strategy (e.g. `pool_size` for random,
            `graph` or `batch_size_per_solve` for jlp, `cycle`).

    Returns:
        int64 [b] distinct pool indices, none in labeled_idx, in the strategy's pick order.

    Raises:
        ValueError: unknown name or option, invalid inputs, budget above the number of unlabeled.
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown acquisition strategy {name!r}; allowed: {sorted(STRATEGIES)}")
    fn = STRATEGIES[name]
    allowed = set(inspect.signature(fn).parameters) - {"budget", "labeled_idx"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"strategy {name!r} has no option {unknown}; allowed: {sorted(allowed)}")
    pool_size = validation.infer_pool_size(
        features=features,
        probs=probs,
        graph=options.get("graph"),
        pool_size=options.get("pool_size", _mc_pool_size(options.get("mc_probs"))),
    )
    return call_strategy(
        fn, budget, labeled_idx=labeled_idx, pool_size=pool_size, seed=seed,
        inputs={"features": features, "probs": probs, **options},
    )  # fmt: skip


def call_strategy(
    fn: Callable[..., np.ndarray],
    budget: int,
    *,
    labeled_idx: np.ndarray,
    pool_size: int,
    seed: int,
    inputs: Mapping[str, object],
) -> np.ndarray:
    """The one way a strategy is called (by `select`, the loop and `tfal.analysis`): `fn(budget,
    labeled_idx=..., seed=..., **inputs)` with what it looks at (features, probs, graph, lp,
    mc_probs, pool_size, cycle), then its batch checked against the pool of `pool_size`
    (`check_selection`: `budget` distinct unlabeled pool indices).

    Returns:
        int64 [budget] pool indices in the strategy's pick order.
    """
    selected = np.asarray(fn(budget, labeled_idx=labeled_idx, seed=seed, **inputs), np.int64)
    validation.check_selection(
        selected, labeled_idx=labeled_idx, pool_size=pool_size, budget=budget
    )
    return selected
