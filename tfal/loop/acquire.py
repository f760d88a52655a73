"""Lines 9-12 of Algorithm 1: S <- b examples of U, chosen by the strategy from what it looks at.

The cycle loop hands over the model's outputs on the pool through small callables, so this module
needs no Trainer: what a strategy is given (`inputs`), the strategy's call with its checks
(`select_batch`), and CEAL's pseudo-labels for the next cycle (`ceal_extra`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tfal import acquisition
from tfal.lp import LPConfig
from tfal.monitoring import console


def needs_model_outputs(strategy: Callable, *, ceal: bool, oracle: object) -> bool:
    """Whether acquisition must extract the pool: a strategy that looks at the model, CEAL's
    pseudo-labels, or a human oracle that shows the model's guesses (a user oracle may use them)."""
    return (
        acquisition.uses_model_outputs(strategy)
        or ceal
        or bool(getattr(oracle, "shows_guesses", True))
    )


def inputs(
    strategy: Callable,
    *,
    predict_pool: Callable[[], dict[str, np.ndarray]],
    lp_graph: Callable[[np.ndarray], object],
    predict_mc: Callable[[], np.ndarray],
    lp_config: LPConfig | None = None,
) -> dict[str, Any]:
    """What the strategy looks at: the model's features and probabilities, LP's graph and
    options for jLP (`lp_graph` may return None; `lp_config`: SEMI's, or None without SEMI)
    and, for BALD, MC-dropout probabilities."""
    outputs = predict_pool()
    found = {
        "features": outputs["embedding"],
        "probs": outputs["probs"],
        "graph": lp_graph(outputs["embedding"]) if acquisition.uses_graph(strategy) else None,
    }
    if lp_config is not None and acquisition.uses_lp_config(strategy):
        found["lp"] = lp_config.lp_config()
    if acquisition.uses_mc_dropout(strategy):
        found["mc_probs"] = predict_mc()
    return found


def select_batch(
    strategy: Callable,
    budget: int,
    *,
    cycle: int,
    labeled_idx: np.ndarray,
    pool_size: int,
    seed: int,
    strategy_inputs: dict,
) -> np.ndarray:
    """The strategy's batch, checked every time (exactly `budget` distinct unlabeled indices)."""
    name = acquisition.strategy_name(strategy)
    with console.stage(f"cycle {cycle} acquire ({name})", budget, "label") as advance:
        selected = strategy(
            budget, labeled_idx=labeled_idx, seed=seed, cycle=cycle, **strategy_inputs
        )
        selected = np.asarray(selected, np.int64)
        advance(len(selected))
    acquisition.check_selection(
        selected, labeled_idx=labeled_idx, pool_size=pool_size, budget=budget
    )
    return selected


def ceal_extra(
    ceal_pseudo_labels: Callable,
    probs: np.ndarray,
    labeled_idx: np.ndarray,
    *,
    cycle: int,
    selected: np.ndarray,
) -> dict[str, list[int]]:
    """CEAL's confident pseudo-labels (eq. (7)) for the next cycle's SUP, as state.json keeps them."""
    idx, labels = ceal_pseudo_labels(probs, labeled_idx, cycle=cycle, exclude_idx=selected)
    return {"indices": [int(i) for i in idx], "labels": [int(y) for y in labels]}
