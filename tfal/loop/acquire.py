"""Lines 9-12 of Algorithm 1: S <- b examples of U, chosen by the strategy from what it looks at.

What a strategy is given (`inputs`, from the model on the pool), the strategy's call with its
checks (`select_batch`) and CEAL's pseudo-labels for the next cycle (`ceal_extra`; SUP trains on
them through `tfal.loop.training.LabeledPool`), together the loop's `Acquisition`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from tfal import acquisition, lp, seeds
from tfal.loop.pool_model import PoolModel
from tfal.loop.state import PseudoLabels
from tfal.lp import LPConfig
from tfal.monitoring import console
from tfal.oracles.protocol import Oracle


def needs_model_outputs(strategy: Callable, *, ceal: bool, oracle: Oracle) -> bool:
    """Whether acquisition must extract the pool: a strategy that looks at the model, CEAL's
    pseudo-labels, or a human oracle that shows the model's guesses (a user oracle may use them)."""
    return (
        acquisition.uses_model_outputs(strategy)
        or ceal
        or oracle.shows_guesses
    )


def inputs(
    strategy: Callable,
    model: PoolModel,
    *,
    cycle: int,
    seed: int,
    campaign_seed: int,
    lp_config: LPConfig | None,
    mc_dropout_samples: int,
) -> dict[str, Any]:
    """What the strategy looks at: the model's features and probabilities of the pool; for jLP,
    LP's graph on those features and LP's options (SEMI's `lp_config`; without SEMI there is no
    LP and jLP builds its graph from its own options); for BALD, MC-dropout probabilities."""
    outputs = model.predict_pool(f"cycle {cycle} extract for acquisition")
    found = {"features": outputs["embedding"], "probs": outputs["probs"], "graph": None}
    if lp_config is not None and acquisition.uses_graph(strategy):
        found["graph"] = lp.affinity_graph(outputs["embedding"], lp_config, seed=campaign_seed)
    if lp_config is not None and acquisition.uses_lp_config(strategy):
        found["lp"] = lp_config.lp_config()
    if acquisition.uses_mc_dropout(strategy):
        found["mc_probs"] = model.predict_mc(
            samples=mc_dropout_samples,
            seed=seed,
            desc=f"cycle {cycle} MC dropout x{mc_dropout_samples}",
        )
    return found


def budget_left(budget: int, *, pool_size: int, num_labeled: int, cycle: int) -> int:
    """b, or every unlabeled example when fewer remain (said in a warning)."""
    left = min(budget, pool_size - num_labeled)
    if left < budget:
        logging.warning(
            "cycle %d: only %d unlabeled examples remain; acquiring them all", cycle, left
        )
    return left


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
    # One call of the strategy: one step, so one line (no bar, no rate).
    with console.stage(f"cycle {cycle} acquire ({name})", 1, "batch") as advance:
        selected = acquisition.call_strategy(
            strategy, budget, labeled_idx=labeled_idx, pool_size=pool_size, seed=seed,
            inputs={"cycle": cycle, **strategy_inputs},
        )  # fmt: skip
        advance(selected=len(selected))
    return selected


def ceal_extra(
    ceal_pseudo_labels: Callable,
    probs: np.ndarray,
    labeled_idx: np.ndarray,
    *,
    cycle: int,
    selected: np.ndarray,
) -> PseudoLabels:
    """CEAL's confident pseudo-labels (eq. (7)) for the next cycle's SUP."""
    idx, labels = ceal_pseudo_labels(probs, labeled_idx, cycle=cycle, exclude_idx=selected)
    return PseudoLabels(np.asarray(idx, np.int64), np.asarray(labels, np.int64))


@dataclasses.dataclass(frozen=True)
class Acquired:
    """One acquisition: the batch S, the model's probabilities of the pool it looked at (shown
    to people as guesses; None when nothing was extracted) and CEAL's pseudo-labels (None
    without CEAL)."""

    selected: np.ndarray
    probs: np.ndarray | None
    ceal: PseudoLabels | None

    def guesses(self, query: np.ndarray) -> np.ndarray | None:
        """float32 [len(query), c]: the model's probabilities of the queried examples, or None."""
        return None if self.probs is None else self.probs[np.asarray(query, np.int64)]


class Acquisition:
    """Lines 9-12 as one object: what the strategy is given, its checked call, CEAL's extras.

    `last` is this process's latest acquisition: its guesses are what people are shown while its
    query waits for labels (None before the first, and after a restart).
    """

    def __init__(
        self,
        strategy: Callable,
        *,
        model: PoolModel,
        oracle: Oracle,
        budget: int,
        campaign_seed: int,
        lp_config: LPConfig | None,
        mc_dropout_samples: int,
        ceal_pseudo_labels: Callable | None,
    ):
        self.strategy = strategy
        self.model = model
        self.budget = budget
        self.campaign_seed = campaign_seed
        self.lp_config = lp_config
        self.mc_dropout_samples = mc_dropout_samples
        self.ceal_pseudo_labels = ceal_pseudo_labels
        self.extracts = needs_model_outputs(
            strategy, ceal=ceal_pseudo_labels is not None, oracle=oracle
        )
        self.last: Acquired | None = None

    def __call__(self, cycle: int, labeled_idx: np.ndarray) -> Acquired:
        """S <- b examples of U chosen greedily by the strategy, checked every time."""
        labeled = np.asarray(labeled_idx, np.int64)
        n = len(self.model.data.x_pool)
        budget = budget_left(self.budget, pool_size=n, num_labeled=len(labeled), cycle=cycle)
        seed = seeds.int_seed(self.campaign_seed, cycle, "acquire")
        strategy_inputs: dict = {"pool_size": n}  # model-free: no extraction
        if self.extracts:
            strategy_inputs = inputs(
                self.strategy, self.model, cycle=cycle, seed=seed,
                campaign_seed=self.campaign_seed, lp_config=self.lp_config,
                mc_dropout_samples=self.mc_dropout_samples,
            )  # fmt: skip
        selected = select_batch(
            self.strategy, budget, cycle=cycle, labeled_idx=labeled, pool_size=n, seed=seed,
            strategy_inputs=strategy_inputs,
        )  # fmt: skip
        ceal = None
        if self.ceal_pseudo_labels is not None:
            ceal = ceal_extra(
                self.ceal_pseudo_labels, strategy_inputs["probs"], labeled, cycle=cycle,
                selected=selected,
            )  # fmt: skip
        self.last = Acquired(selected, strategy_inputs.get("probs"), ceal)
        return self.last

    def guesses(self, query: np.ndarray) -> np.ndarray | None:
        """float32 [len(query), c]: the model's probabilities of a query this process acquired."""
        if self.last is None or not np.array_equal(np.sort(query), np.sort(self.last.selected)):
            return None
        return self.last.guesses(query)
