"""The oracle protocol: every oracle is checked once, and a user's gets the optional parts."""

import numpy as np
import pytest

from tfal.data import from_arrays
from tfal.oracles import HumanOracle, Oracle, SimulatedOracle, TaughtOracle
from tfal.oracles.protocol import conform


class _Minimal:
    """A user's oracle with only the required methods."""

    def label(self, indices, cycle, probs=None):
        return np.zeros(len(indices), np.int64)

    def initial_labeled_set(self, labels_per_class, rng):
        return np.arange(2, dtype=np.int64)

    def true_labels_for_diagnostics(self):
        return None


def _data():
    x = np.zeros((8, 4, 4, 1), np.uint8)
    return from_arrays(x, np.arange(8) % 2, x[:2], np.array([0, 1]), class_names=["a", "b"])


def test_a_user_oracle_gets_the_optional_parts():
    oracle = conform(_Minimal())
    assert oracle.shows_guesses is True  # its label() may look at the guesses: they are computed
    assert oracle.edited_answers([1], [0]) == []
    assert oracle.label(np.array([3, 4]), cycle=0).tolist() == [0, 0]  # the user's own method


def test_a_user_oracles_own_optional_parts_are_kept():
    class Careful(_Minimal):
        shows_guesses = False

        def edited_answers(self, labeled_idx, labels):
            return [f"{len(labeled_idx)} changed"]

    oracle = conform(Careful())
    assert oracle.shows_guesses is False and oracle.edited_answers([1, 2], [0, 1]) == ["2 changed"]


@pytest.mark.parametrize("drop", ["label", "initial_labeled_set", "true_labels_for_diagnostics"])
def test_an_oracle_without_a_required_method_is_refused_in_one_line(drop):
    incomplete = type("Incomplete", (), {k: v for k, v in vars(_Minimal).items() if k != drop})
    with pytest.raises(ValueError) as raised:
        conform(incomplete())
    message = str(raised.value)
    assert "\n" not in message and f"has no {drop};" in message and "tfal.oracles.Oracle" in message


def test_the_shipped_oracles_are_the_protocol_as_they_are(tmp_path):
    data = _data()
    for oracle in (SimulatedOracle(data), TaughtOracle(data), HumanOracle(data, run_dir=str(tmp_path))):
        assert isinstance(oracle, Oracle) and conform(oracle) is oracle
