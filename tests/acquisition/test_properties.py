"""Properties every strategy must have: b distinct unlabeled indices, deterministic for a seed."""

import gin
import numpy as np
import pytest

from tfal import acquisition, lp
from tfal.lp.config import LPConfig

# jLP runs on tfal.lp's graph and diffusion.
requires_lp = pytest.mark.skipif(
    not all(hasattr(lp, name) for name in ("knn_graph", "normalize_graph", "diffuse")),
    reason="tfal.lp does not provide knn_graph / normalize_graph / diffuse yet",
)

NAMES = [
    "random",
    "uncertainty",
    "ceal",
    "coreset",
    pytest.param("jlp", marks=requires_lp),
    "margin",
    "least_confidence",
]
OPTIONS = {"jlp": {"lp": LPConfig(k=5)}}


def _select(name, pool, budget, seed=0):
    return acquisition.select(name, budget, seed=seed, cycle=1, **pool, **OPTIONS.get(name, {}))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("budget", [1, 7, 54])
def test_exact_budget_of_distinct_unlabeled_indices(name, budget, pool):
    selected = _select(name, pool, budget)
    assert selected.dtype == np.int64 and selected.shape == (budget,)
    assert np.unique(selected).size == budget
    assert not np.isin(selected, pool["labeled_idx"]).any()
    assert selected.min() >= 0 and selected.max() < 60
    acquisition.check_selection(
        selected, labeled_idx=pool["labeled_idx"], pool_size=60, budget=budget
    )


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_for_a_seed(name, pool):
    np.testing.assert_array_equal(_select(name, pool, 9, seed=3), _select(name, pool, 9, seed=3))


def test_random_differs_between_seeds(pool):
    draws = {tuple(_select("random", pool, 9, seed=s)) for s in range(4)}
    assert len(draws) == 4


def test_random_draws_cover_the_unlabeled_set_uniformly(pool):
    counts = np.zeros(60)
    for seed in range(300):
        counts[_select("random", pool, 5, seed=seed)] += 1
    assert counts[pool["labeled_idx"]].sum() == 0
    unlabeled = np.delete(counts, pool["labeled_idx"])
    # 1,500 draws over 54 examples: about 27.8 each; a fixed subset would leave zeros.
    assert unlabeled.min() > 8 and unlabeled.max() < 55


def test_random_takes_a_bare_pool_size():
    selected = acquisition.random(3, labeled_idx=[0, 1], pool_size=5, seed=0)
    assert sorted(selected.tolist()) == [2, 3, 4]


@pytest.mark.parametrize("name", NAMES)
def test_strategy_name_of_function_and_gin_reference(name):
    fn = acquisition.STRATEGIES[name]
    assert acquisition.strategy_name(fn) == name
    gin.parse_config(f"ref = @tfal.acquisition.{name}\nscoped = @cycle0/tfal.acquisition.{name}")
    assert acquisition.strategy_name(gin.query_parameter("%ref").scoped_configurable_fn) == name
    assert acquisition.strategy_name(gin.query_parameter("%scoped").scoped_configurable_fn) == name


def test_a_users_own_function_is_named_by_its_module_and_gets_what_it_takes():
    def mine(budget, *, labeled_idx, pool_size, seed=0, cycle=0):
        return np.arange(budget)

    assert acquisition.strategy_name(np.argmax).endswith(".argmax")
    assert acquisition.strategy_name(mine).endswith("mine")
    assert not acquisition.uses_model_outputs(mine) and not acquisition.uses_graph(mine)
    assert acquisition.uses_graph(lambda budget, *, labeled_idx, graph, **kw: None)


@pytest.mark.parametrize("param", ["seed", "labeled_idx", "features", "probs", "cycle"])
def test_runtime_arguments_cannot_be_bound_by_gin(param):
    with pytest.raises(ValueError, match=param):
        gin.parse_config(f"tfal.acquisition.uncertainty.{param} = 5")


def test_options_can_be_bound_by_gin(pool):
    gin.parse_config("tfal.acquisition.ceal_pseudo_labels.threshold = -1.0")
    idx, _ = acquisition.ceal_pseudo_labels(pool["probs"], pool["labeled_idx"], cycle=0)
    assert idx.size == 0
