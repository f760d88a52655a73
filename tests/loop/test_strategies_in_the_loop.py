"""One tiny campaign per acquisition strategy through the real loop (in-process, real MNIST)."""

import json
import os

import gin
import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

from tfal import campaign
from tfal.data.sources import Dataset
from tfal.oracles.simulated import SimulatedOracle

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

STRATEGIES = [
    "random",
    "uncertainty",
    "ceal",
    "coreset",
    "jlp",
    "margin",
    "least_confidence",
    "bald",
]
SMALL = [
    "tfds_dataset.pool_size = 600",
    "tfds_dataset.test_size = 500",
    "ActiveLearningLoop.num_cycles = 2",
    "ActiveLearningLoop.sup_epochs = 3",
    "small_cnn.widths = (4, 8, 8)",
    "tfal.acquisition.jlp.lp = @tfal.lp.LPConfig()",
    "tfal.lp.LPConfig.k = 10",
    "ActiveLearningLoop.mc_dropout_samples = 3",
]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tiny_campaign_per_strategy(strategy, tmp_path, tfds_data_dir, repo_root):
    files = [
        str(repo_root / "gin_configs/testing/tiny.gin"),
        str(repo_root / f"gin_configs/strategy/{strategy}.gin"),
    ]
    campaign.parse_gin(files, SMALL)
    state = campaign.run(str(tmp_path))
    assert state.strategy == strategy and state.finished
    # tiny.gin turns TF op determinism on for its campaign only, not for the tests after it
    assert not tf_config.is_op_determinism_enabled()
    assert len(state.labeled_idx) == len(set(state.labeled_idx)) == 20
    acquired = state.acquired[0]["indices"]
    assert len(acquired) == 10 and not set(acquired) & set(state.labeled_idx[:10])
    rows = [json.loads(line) for line in open(os.path.join(tmp_path, "results.jsonl"))]
    assert [r["num_labeled"] for r in rows if r["stage"] == "cycle"] == [10, 20]
    if strategy == "ceal":  # CEAL trains cycle 1 on L plus its confident pseudo-labels (eq. 7)
        sup = [r for r in rows if r["stage"] == "sup"]
        assert sup[1]["num_examples"] >= 20


def test_a_class_with_too_few_examples_is_refused():
    y = np.array([0, 0, 0, 1])
    data = Dataset(
        "toy",
        np.zeros((4, 2, 2, 1), np.uint8),
        y,
        np.zeros((1, 2, 2, 1), np.uint8),
        y[:1],
        ("a", "b"),
    )
    with pytest.raises(
        ValueError, match="class 1 has 1 pool examples, fewer than labels_per_class=2"
    ):
        SimulatedOracle(data).initial_labeled_set(2, np.random.default_rng(0))


CALLS = []


@gin.configurable("least_sure_first", module="my_lab")
def least_sure_first(budget, *, labeled_idx, probs, seed=0, cycle=0, **unused):
    """A user's own strategy, with the documented signature: not part of tfal."""
    CALLS.append(
        {"cycle": cycle, "n": len(probs), "has_features": unused.get("features") is not None}
    )
    order = np.argsort(probs.max(axis=1), kind="stable")
    return np.array([i for i in order if i not in set(labeled_idx)][:budget], np.int64)


def test_a_users_own_strategy_bound_in_gin_runs_without_touching_tfal(tmp_path, repo_root):
    CALLS.clear()
    campaign.parse_gin(
        [str(repo_root / "gin_configs/testing/tiny.gin")],
        [*SMALL, "ActiveLearningLoop.strategy = @my_lab.least_sure_first"],
    )
    state = campaign.run(str(tmp_path))
    assert state.finished and state.strategy.endswith(".least_sure_first")
    assert CALLS == [{"cycle": 0, "n": 600, "has_features": True}]  # given the model's outputs
    assert len(state.acquired[0]["indices"]) == 10
    assert not set(state.acquired[0]["indices"]) & set(state.labeled_idx[:10])
