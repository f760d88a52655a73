"""Skipped images and annotators who disagree: read from the CSV and Label Studio exports, and
taken into the campaign state without moving or double-counting a label."""

import json

import numpy as np
import pytest

from tfal.data.sources import Dataset
from tfal.loop.state import SKIP, CampaignState, StateError, load_state, save_state
from tfal.oracles import label_studio
from tfal.oracles.human import HumanOracle, QueryFiles
from tfal.oracles.simulated import LabelsPending

CLASSES = ("cat", "dog", "owl")


def _oracle(tmp_path, classes=CLASSES, **options):
    x = np.zeros((12, 4, 4, 3), np.uint8)
    data = Dataset("mine", x, None, x[:3], np.array([0, 1, 2]), classes)
    return HumanOracle(data, str(tmp_path), **options)


def _asked(oracle, query, cycle=1):
    with pytest.raises(LabelsPending):
        oracle.label(np.asarray(query), cycle=cycle)
    return QueryFiles.of(oracle.queries_dir, cycle)


def _answer_csv(path, labels):
    lines = ["pool_index,file,guess,confidence,label"]
    lines += [f"{i},,,,{label}" for i, label in labels.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def test_skip_in_the_csv_in_any_case_is_the_skip_answer(tmp_path):
    oracle = _oracle(tmp_path)
    files = _asked(oracle, [3, 4, 5])
    _answer_csv(files.csv, {3: "dog", 4: "skip", 5: " SKIP "})
    assert oracle.label(np.array([3, 4, 5]), cycle=1).tolist() == [1, SKIP, SKIP]


def test_a_class_named_skip_is_that_class(tmp_path):
    oracle = _oracle(tmp_path, classes=("keep", "skip"))
    files = _asked(oracle, [3])
    _answer_csv(files.csv, {3: "skip"})
    assert oracle.label(np.array([3]), cycle=1).tolist() == [1]


def _task(index, *annotations):
    return {"id": 100 + index, "data": {"image": f"x/{index}.png", "pool_index": index},
            "annotations": [
                {"completed_by": who, "was_cancelled": choice is None,
                 "result": [] if choice is None else
                 [{"from_name": "label", "to_name": "image", "type": "choices",
                   "value": {"choices": [choice]}}]}
                for who, choice in annotations
            ]}  # fmt: skip


def _export(files, *tasks):
    with open(files.export, "w") as f:
        json.dump(list(tasks), f)


def test_a_task_cancelled_in_label_studio_is_skipped_and_one_cancelled_vote_is_not(tmp_path):
    oracle = _oracle(tmp_path, label_studio=True)
    files = _asked(oracle, [3, 4])
    _export(files, _task(3, (1, None)), _task(4, (1, None), (2, "owl")))
    assert oracle.label(np.array([3, 4]), cycle=1).tolist() == [SKIP, 2]


def test_disagreement_is_refused_by_default_naming_the_policy(tmp_path):
    oracle = _oracle(tmp_path, label_studio=True)
    files = _asked(oracle, [3])
    _export(files, _task(3, (1, "cat"), (2, "dog"), (3, "cat")))
    with pytest.raises(ValueError, match="annotators disagree.*'refuse' policy") as e:
        oracle.label(np.array([3]), cycle=1)
    assert "\n" not in str(e.value)


def test_majority_takes_the_most_chosen_class_and_records_the_votes(tmp_path):
    oracle = _oracle(tmp_path, label_studio=True, disagreement="majority")
    files = _asked(oracle, [3, 4])
    _export(files, _task(3, (1, "cat"), (2, "dog"), (3, "cat")), _task(4, (1, "owl")))
    assert oracle.label(np.array([3, 4]), cycle=1).tolist() == [0, 2]
    record = json.load(open(files.votes))
    assert record["policy"] == "majority" and record["min_agreement"] == 0.5
    assert record["votes"]["3"] == {"1": "cat", "2": "dog", "3": "cat"}
    assert record["labels"] == {"3": "cat", "4": "owl"}


@pytest.mark.parametrize(
    "votes, min_agreement",
    [((("a", "cat"), ("b", "dog")), 0.5),  # a tie has no majority
     ((("a", "cat"), ("b", "dog"), ("c", "cat")), 0.7)],  # 2 of 3 < 0.7
)  # fmt: skip
def test_majority_refuses_a_tie_or_too_little_agreement(tmp_path, votes, min_agreement):
    oracle = _oracle(tmp_path, label_studio=True, disagreement="majority",
                     min_agreement=min_agreement)  # fmt: skip
    files = _asked(oracle, [3])
    _export(files, _task(3, *votes))
    with pytest.raises(ValueError, match="annotators disagree"):
        oracle.label(np.array([3]), cycle=1)


def test_an_unknown_policy_is_refused_in_one_line(tmp_path):
    with pytest.raises(ValueError, match="disagreement policy 'vote'; allowed: refuse, majority"):
        label_studio.read_export(str(tmp_path / "missing.json"), policy="vote")


def _state(**fields):
    return CampaignState(dataset="d", strategy="random", setting="semi", seed=0, num_cycles=3,
                         **fields)  # fmt: skip


def test_skipped_images_leave_the_pool_for_good_and_count_once(tmp_path):
    state = _state(pending_query=[5, 2, 9])
    assert state.answer_query([1, SKIP, 0]) is False  # L0
    assert state.labeled_idx == [5, 9] and state.labels == [1, 0] and state.skipped == [2]
    state.next_cycle, state.pending_query = 1, [7, 3]
    assert state.answer_query([SKIP, 2]) is True
    assert state.labeled_idx == [5, 9, 3] and state.labels == [1, 0, 2]
    assert state.skipped == [2, 7]
    assert state.acquired == [{"cycle": 0, "indices": [3], "skipped": [7]}]
    assert state.asked().tolist() == [2, 3, 5, 7, 9]
    assert state.unlabeled(10).tolist() == [0, 1, 4, 6, 8]  # SEMI does not train on skipped ones
    path = str(tmp_path / "state.json")
    save_state(state, path)
    assert load_state(path) == state
    with pytest.raises(StateError, match="would be labeled twice"):
        state.add_labels(1, [4], [0], skipped=[7])  # asked again


@pytest.mark.parametrize("skipped", [[5], [2, 2], [8]])
def test_a_state_whose_skipped_overlaps_labels_or_repeats_is_refused(tmp_path, skipped):
    path = tmp_path / "state.json"
    save_state(_state(labeled_idx=[5, 9], labels=[1, 0], pending_query=[8], skipped=skipped), path)
    with pytest.raises(StateError, match="skipped repeats an index or holds one labeled or pending"):
        load_state(str(path))


def test_a_state_without_skipped_still_loads(tmp_path):
    path = tmp_path / "state.json"
    save_state(_state(labeled_idx=[5], labels=[1]), path)
    data = json.loads(path.read_text())
    del data["skipped"]
    path.write_text(json.dumps(data))
    assert load_state(str(path)).skipped == []


def test_an_l0_skipped_whole_is_drawn_again_from_what_nobody_answered():
    from tfal.loop import initial

    left = np.array([1, 4, 6, 8, 9])
    got = initial.redraw(left, size=3, rng=np.random.default_rng(0))
    assert len(got) == 3 and set(got.tolist()) <= set(left.tolist()) and np.all(np.diff(got) > 0)
    assert initial.redraw(left[:2], size=3, rng=np.random.default_rng(0)).tolist() == [1, 4]
    with pytest.raises(ValueError, match="every pool image was skipped"):
        initial.redraw(np.array([], np.int64), size=3, rng=np.random.default_rng(0))
