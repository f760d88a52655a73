"""Every gin_configs/strategy/*.gin file parses and binds the strategy it is named after."""

import re

import gin
import numpy as np
import pytest

from tfal import acquisition

STRATEGY_DIR = "gin_configs/strategy"
# The real ActiveLearningLoop lives in tfal.loop. Registering a second configurable called
# ActiveLearningLoop in this (shared) pytest process would make that name ambiguous for the loop's
# own tests, so the stand-in has a unique name and the files are parsed with the selector renamed.
STAND_IN = "AcquisitionTestsActiveLearningLoop"


@gin.configurable(STAND_IN, module="tests.acquisition")
def _loop_stand_in(strategy=None, ceal_pseudo_labels=None):
    return strategy, ceal_pseudo_labels


def test_every_strategy_has_a_gin_file(repo_root):
    names = {path.stem for path in (repo_root / STRATEGY_DIR).glob("*.gin")}
    assert set(acquisition.STRATEGIES) <= names


@pytest.mark.parametrize("name", sorted(acquisition.STRATEGIES))
def test_gin_file_parses_and_binds_its_strategy(name, repo_root):
    text = (repo_root / STRATEGY_DIR / f"{name}.gin").read_text()
    assert text.startswith("#"), "each file opens with a comment explaining the strategy"
    binding = f"ActiveLearningLoop.strategy = @tfal.acquisition.{name}"
    assert re.search(rf"^{re.escape(binding)}$", text, flags=re.MULTILINE)
    gin.parse_config(text.replace("ActiveLearningLoop.", f"{STAND_IN}."))
    strategy, pseudo_labeler = _loop_stand_in()
    assert acquisition.strategy_name(strategy) == name
    # Only CEAL trains on its own pseudo-labels (eq. (7)).
    assert (pseudo_labeler is not None) == (name == "ceal")


def test_ceal_file_wires_and_sets_the_pseudo_labels(repo_root):
    text = (repo_root / STRATEGY_DIR / "ceal.gin").read_text()
    gin.parse_config(text.replace("ActiveLearningLoop.", f"{STAND_IN}."))
    _, pseudo_labeler = _loop_stand_in()
    probs = np.array([[0.995, 0.005], [0.6, 0.4], [0.98, 0.02]])
    # Normalised entropies 0.045, 0.97, 0.14; threshold 0.1 at cycle 0, 0.099 at cycle 3.
    idx, labels = pseudo_labeler(probs, np.array([], dtype=np.int64), cycle=3)
    assert idx.tolist() == [0] and labels.tolist() == [0]
    assert gin.query_parameter("tfal.acquisition.ceal_pseudo_labels.threshold") == 0.1
    assert gin.query_parameter("tfal.acquisition.ceal_pseudo_labels.decay") == 0.00033  # authors
