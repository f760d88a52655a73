"""The agreement analysis of a finished cycle of a campaign, read from its run directory.

Reads (never writes) RUN_DIR: config.gin (the dataset, LP's options, b), state.json (which labels
the model of cycle j was trained on), pool.npz (the pool is the same) and the SavedModel exported
after cycle j (its features and probabilities: the exact model the campaign acquired with).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import gin
import numpy as np

from tfal import acquisition, lp, seeds
from tfal import run_dir as run_dir_layout
from tfal.acquisition.k_center import min_sq_distances
from tfal.acquisition.probability_scores import acquisition_scores
from tfal.analysis.agreement import Agreement, Propagated, compare, rank_correlations
from tfal.campaign import bound_or, parse_gin
from tfal.data.disk_images import chunks
from tfal.loop import pool_identity
from tfal.loop.semi import SemiSupervised
from tfal.loop.state import load_state
from tfal.serving.inference import ServedModel


@dataclasses.dataclass(frozen=True)
class AgreementReport:
    run_dir: str
    cycle: int
    num_labeled: int
    budget: int
    rows: list[Agreement]
    correlations: dict[tuple[str, str], float]


def analyse(
    run_dir: str,
    strategies: Sequence[str],
    *,
    cycle: int | None = None,
    reference: str | None = None,
    batch_size: int = 1000,
) -> AgreementReport:
    """Every strategy acquires after `cycle` (default: the last finished one) from the model the
    campaign exported then; each is compared with `reference` (default: the campaign's own
    strategy when listed, else the first).

    Raises:
      ValueError: one line, for an unknown strategy, a cycle without an exported model, a pool
        without true labels, or a run directory that is not a campaign's.
    """
    unknown = [s for s in strategies if s not in acquisition.STRATEGIES or s == "bald"]
    if unknown or len(strategies) < 2:
        allowed = sorted(set(acquisition.STRATEGIES) - {"bald"})
        raise ValueError(
            f"--strategies {' '.join(strategies)}: give two or more of {', '.join(allowed)} "
            "(bald needs MC dropout, which an exported model does not run)"
        )
    state_path = run_dir_layout.path(run_dir, run_dir_layout.STATE)
    if not os.path.exists(state_path):
        raise ValueError(f"{run_dir} is not a campaign's run directory (no state.json)")
    state = load_state(state_path)
    cycle = state.next_cycle - 1 if cycle is None else cycle
    if not 0 <= cycle < state.next_cycle:
        raise ValueError(
            f"--cycle {cycle}: cycles 0..{state.next_cycle - 1} of {run_dir} are finished"
        )
    reference = reference or (state.strategy if state.strategy in strategies else strategies[0])
    if reference not in strategies:
        raise ValueError(f"--reference {reference}: not among --strategies {list(strategies)}")
    data, semi, budget, model_name = campaign_setup(run_dir)
    if data.y_pool is None:
        raise ValueError(f"{run_dir}: the pool has no true labels to measure against")
    labeled = labeled_during(state, cycle)
    model_dir = os.path.join(run_dir_layout.export_dir(run_dir, model_name), str(cycle + 1))
    if not os.path.isdir(model_dir):
        raise ValueError(f"no model exported after cycle {cycle}: {model_dir} does not exist")
    outputs = _pool_outputs(ServedModel(model_dir), data.x_pool, batch_size)
    features, probs = outputs["embeddings"], outputs["probabilities"]
    graph = None
    if any(acquisition.uses_graph(acquisition.STRATEGIES[name]) for name in strategies):
        graph = lp.affinity_graph(features, semi, seed=state.seed)
    given = dict(zip(state.labeled_idx, state.labels, strict=True))  # the oracle's labels of L
    labels_of_l = np.array([given[int(i)] for i in labeled], np.int64)
    outcomes = {}
    for name in strategies:
        strategy = acquisition.STRATEGIES[name]
        extra = {"lp": semi.lp_config()} if acquisition.uses_lp_config(strategy) else {}
        selected = acquisition.call_strategy(
            strategy,
            budget,
            labeled_idx=labeled,
            pool_size=len(probs),
            seed=seeds.int_seed(state.seed, cycle, "acquire"),
            inputs={"features": features, "probs": probs, "graph": graph, "cycle": cycle, **extra},
        )
        result = lp.propagate(
            features,
            np.concatenate([labeled, selected]),
            np.concatenate(
                [labels_of_l, data.y_pool[selected]]
            ),  # S labeled by the simulated oracle
            data.num_classes,
            semi,
            seed=state.seed,
        )
        outcomes[name] = Propagated(selected, result.pseudo_labels, result.weights)
    rows = [
        compare(name, outcomes[name], reference, outcomes[reference], labeled_idx=labeled,
                true_labels=data.y_pool)
        for name in strategies
        if name != reference
    ]  # fmt: skip
    unlabeled = np.setdiff1d(np.arange(len(probs)), labeled)
    scores = {
        name: score
        for name in strategies
        if (score := acquisition_scores(name, probs[unlabeled])) is not None
    }
    if "coreset" in strategies:  # the k-center score: distance to the nearest labeled example
        scores["coreset"] = min_sq_distances(features[unlabeled], features[labeled])
    return AgreementReport(run_dir, cycle, len(labeled), budget, rows, rank_correlations(scores))


def campaign_setup(run_dir: str):
    """(dataset, SEMI settings for LP, budget b, exported model name) from the run's config.gin,
    the pool checked against the one the campaign recorded."""
    parse_gin([run_dir_layout.path(run_dir, run_dir_layout.CONFIG)], [])
    try:
        dataset_ref = gin.query_parameter("ActiveLearningLoop.dataset")
    except ValueError as e:
        raise ValueError(f"{run_dir}/config.gin binds no ActiveLearningLoop.dataset") from e
    data, _ = pool_identity.check(run_dir, dataset_ref.scoped_configurable_fn())
    semi = bound_or("ActiveLearningLoop.semi", None)
    semi = semi.scoped_configurable_fn() if semi is not None else SemiSupervised()
    return (
        data,
        semi,
        bound_or("ActiveLearningLoop.budget", 10),
        bound_or("ActiveLearningLoop.model_name", "tfal"),
    )


def labeled_during(state, cycle: int) -> np.ndarray:
    """L of cycle j: L0 and the batches acquired after cycles 0..j-1, in labeling order."""
    later = {
        int(i) for entry in state.acquired if entry["cycle"] >= cycle for i in entry["indices"]
    }
    return np.array([i for i in state.labeled_idx if i not in later], np.int64)


def _pool_outputs(served: ServedModel, images, batch_size: int) -> dict[str, np.ndarray]:
    """The served model's outputs on every pool image, a chunk of whole batches at a time (the
    same batches as one call: a pool on disk is never read whole)."""
    size = batch_size * max(1, 4096 // batch_size)
    parts = [served(block, batch_size=batch_size) for block in chunks(images, size)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
