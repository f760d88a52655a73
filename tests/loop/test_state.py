import json
import os

import pytest

from tfal.loop.state import CampaignState, StateError, load_state, save_state


def _state():
    return CampaignState(
        dataset="mnist",
        strategy="random",
        setting="baseline",
        seed=0,
        num_cycles=5,
        labeled_idx=[1, 2],
        labels=[0, 1],
    )


def test_save_and_load_round_trip(tmp_path):
    path = str(tmp_path / "state.json")
    s = _state()
    s.add_labels(0, [7, 8], [3, 4])
    save_state(s, path)
    back = load_state(path)
    assert back == s and back.acquired == [{"cycle": 0, "indices": [7, 8]}]
    assert [f for f in os.listdir(tmp_path) if f != "state.json"] == []  # no temp file left


def test_labeling_an_index_twice_is_refused():
    s = _state()
    with pytest.raises(StateError, match="labeled twice"):
        s.add_labels(0, [2, 9], [0, 0])
    assert s.labeled_idx == [1, 2]


def test_truncated_state_raises_and_is_not_touched(tmp_path):
    path = tmp_path / "state.json"
    text = json.dumps({"dataset": "mnist"})[:-3]
    path.write_text(text)
    with pytest.raises(StateError, match="corrupt or truncated"):
        load_state(str(path))
    assert path.read_text() == text


def test_failed_write_keeps_the_previous_state(tmp_path, monkeypatch):
    path = str(tmp_path / "state.json")
    save_state(_state(), path)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    s = _state()
    s.add_labels(0, [5], [1])
    with pytest.raises(OSError, match="No space"):
        save_state(s, path)
    assert load_state(path).labeled_idx == [1, 2]
    assert os.listdir(tmp_path) == ["state.json"]


def test_stream_seeds_fit_a_c_int():
    from tfal import seeds as seed_tree

    seeds = [seed_tree.int_seed(seed, cycle, "acquire") for seed in range(50) for cycle in range(5)]
    assert all(0 <= s < 2**31 for s in seeds) and len(set(seeds)) == len(seeds)


def _valid_state() -> dict:
    return {
        "dataset": "mnist",
        "strategy": "random",
        "setting": "semi",
        "seed": 0,
        "num_cycles": 3,
        "labeled_idx": [4, 7, 9],
        "labels": [1, 0, 2],
        "acquired": [{"cycle": 0, "indices": [9]}],
        "next_cycle": 1,
        "finished": False,
        "pending_query": [],
        "extra": {},
    }


def _damaged(**changes):
    data = _valid_state()
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "corrupt or truncated"),
        ("[1, 2]", "expected a JSON object, got list"),
        ("null", "expected a JSON object, got NoneType"),
        (_damaged(labels=KeyError), "missing keys ['labels']"),
        ({**_valid_state(), "surprise": 1}, "unknown keys ['surprise']"),
        (_damaged(seed="0"), "seed is '0', expected int"),
        (_damaged(finished=1), "finished is 1, expected bool"),
        (_damaged(labeled_idx="4,7,9"), "labeled_idx is '4,7,9', expected list"),
        (_damaged(labeled_idx=[4, -7, 9]), "labeled_idx must hold integers >= 0"),
        (_damaged(labeled_idx=[4, 7.5, 9]), "labeled_idx must hold integers >= 0"),
        (_damaged(labels=[1, True, 2]), "labels must hold integers >= 0"),
        (_damaged(labels=[1, 0]), "labeled_idx (3) and labels (2) differ in length"),
        (_damaged(labeled_idx=[4, 4, 9]), "labeled_idx repeats a pool index"),
        (_damaged(pending_query=[7]), "asks for one already labeled"),
        (_damaged(acquired=[{"cycle": 0, "indices": [11]}]), "acquired lists indices"),
        (_damaged(acquired=[5]), "acquired lists indices"),
        (_damaged(next_cycle=9), "next_cycle 9 outside 0..num_cycles (3)"),
    ],
)
def test_every_kind_of_damaged_state_is_refused_and_left_untouched(tmp_path, text, message):
    path = tmp_path / "state.json"
    raw = text if isinstance(text, str) else json.dumps(text)
    path.write_text(raw)
    with pytest.raises(StateError) as e:
        load_state(str(path))
    assert message in str(e.value) and str(path) in str(e.value)
    assert path.read_text() == raw


def test_a_state_that_does_not_fit_the_pool_is_refused(tmp_path):
    from tfal.loop.state import check_against_pool

    state = CampaignState(**_damaged(labeled_idx=[4, 7, 90]))
    with pytest.raises(StateError, match=r"labeled_idx holds \[90\], beyond the pool of 50"):
        check_against_pool(state, "S", pool_size=50, num_classes=3)
    state = CampaignState(**_damaged(labels=[1, 0, 5]))
    with pytest.raises(StateError, match=r"labels \[5\] are not class ids 0..2"):
        check_against_pool(state, "S", pool_size=50, num_classes=3)
    check_against_pool(CampaignState(**_valid_state()), "S", pool_size=50, num_classes=3)
    assert load_state_round_trip(tmp_path) == CampaignState(**_valid_state())


def load_state_round_trip(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(_valid_state()))
    return load_state(str(path))


def test_typed_fields_keep_state_json_keys(tmp_path):
    """global_step, initial_selection and CEAL's pseudo-labels are typed on the state and stay
    under state.json's "extra" keys (the run directory's contract), read back as written."""
    import numpy as np

    from tfal.loop.state import PseudoLabels

    path = str(tmp_path / "state.json")
    s = _state()
    s.global_step, s.initial_selection = 1234, "typiclust"
    s.ceal_pseudo_labels = PseudoLabels(np.array([5, 9], np.int64), np.array([3, 1], np.int64))
    save_state(s, path)
    raw = json.load(open(path))
    assert raw["extra"] == {
        "ceal": {"indices": [5, 9], "labels": [3, 1]},
        "global_step": 1234,
        "initial_selection": "typiclust",
    }
    back = load_state(path)
    assert back.global_step == 1234 and back.initial_selection == "typiclust"
    assert back.ceal_pseudo_labels.indices.tolist() == [5, 9]
    assert back.ceal_pseudo_labels.labels.dtype == np.int64
    back.ceal_pseudo_labels = None
    assert "ceal" not in back.extra and back.ceal_pseudo_labels is None
    assert _state().global_step == 0 and _state().initial_selection is None  # older campaigns
