"""Corrections (`python -m tfal.relabel`): a label changes with its history, under the lock, all
or nothing, and never moves to another image."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from tfal import run_lock
from tfal.loop.state import SKIP, CampaignState, load_state, save_state
from tfal.relabel import Correction, apply, correct, main

NAMES = ["cat", "dog", "owl"]


def _state():
    return CampaignState(
        dataset="mine", strategy="random", setting="semi", seed=0, num_cycles=4,
        labeled_idx=[4, 7, 1, 9], labels=[0, 1, 2, 0], skipped=[3],
        acquired=[{"cycle": 0, "indices": [1, 9], "skipped": [3]}], next_cycle=2, pending_query=[5],
    )  # fmt: skip


def _run_dir(tmp_path):
    save_state(_state(), tmp_path / "state.json")
    np.savez(tmp_path / "pool.npz", digests=np.zeros((12, 4), np.uint8),
             class_names=np.array(NAMES), files=np.array([], dtype=str))  # fmt: skip
    return str(tmp_path)


def test_a_label_changes_in_place_with_its_history():
    state = _state()
    records = apply(state, [Correction(7, "owl", "a blurry owl")], NAMES, now="T")
    assert state.labeled_idx == [4, 7, 1, 9] and state.labels == [0, 2, 2, 0]
    assert records == [{"pool_index": 7, "old": "dog", "new": "owl", "when": "T",
                        "why": "a blurry owl", "from_cycle": 2}]  # fmt: skip
    assert state.corrections == records


def test_a_label_can_become_skip_and_a_skip_a_label_with_their_acquired_records():
    state = _state()
    apply(state, [Correction(9, "skip"), Correction(3, "2")], NAMES, now="T")
    assert dict(zip(state.labeled_idx, state.labels, strict=True)) == {4: 0, 7: 1, 1: 2, 3: 2}
    assert state.skipped == [9]
    assert state.acquired == [{"cycle": 0, "indices": [1, 3], "skipped": [9]}]
    assert [(r["old"], r["new"]) for r in state.corrections] == [("cat", "skip"), ("skip", "owl")]


def test_the_same_label_again_changes_nothing():
    state = _state()
    assert apply(state, [Correction(4, "CAT")], NAMES) == [] and state.corrections == []


@pytest.mark.parametrize(
    "correction, message",
    [(Correction(5, "cat"), "pool index 5 waits in the current query"),
     (Correction(6, "cat"), "pool index 6 was never labeled or skipped"),
     (Correction(4, "emu"), "label 'emu'; allowed: a class name (cat, dog, owl), its id, or 'skip'")],
)  # fmt: skip
def test_a_bad_correction_is_refused_in_one_line_and_none_is_applied(tmp_path, correction, message):
    run_dir = _run_dir(tmp_path)
    before = (tmp_path / "state.json").read_bytes()
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        correct(run_dir, [Correction(7, "owl"), correction])
    assert "\n" not in str(e.value)
    assert (tmp_path / "state.json").read_bytes() == before  # all or nothing


def test_the_command_corrects_from_a_csv_and_prints_the_history(tmp_path, capsys):
    run_dir = _run_dir(tmp_path)
    (tmp_path / "fix.csv").write_text("pool_index,label,why\n7,owl,re-checked\n1,skip,not an animal\n")
    assert main([run_dir, "--csv", str(tmp_path / "fix.csv")]) == 0
    state = load_state(str(tmp_path / "state.json"))
    assert dict(zip(state.labeled_idx, state.labels, strict=True)) == {4: 0, 7: 2, 9: 0}
    assert state.skipped == [3, 1]
    capsys.readouterr()
    assert main([run_dir, "--history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "pool index 7: dog -> owl (from cycle 2) re-checked",
        "pool index 1: owl -> skip (from cycle 2) not an animal",
    ]


def test_a_campaign_holding_the_lock_is_not_corrected_behind_its_back(tmp_path):
    run_dir = _run_dir(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from tfal import run_lock\n"
         "with run_lock.hold(sys.argv[1]):\n print('held', flush=True); time.sleep(60)", run_dir],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        before = (tmp_path / "state.json").read_bytes()
        with pytest.raises(run_lock.RunDirectoryBusy):
            correct(run_dir, [Correction(7, "owl")])
        assert (tmp_path / "state.json").read_bytes() == before
    finally:
        holder.kill()


def test_corrected_labels_are_what_the_next_cycle_trains_on():
    from tfal.loop.training import LabeledPool

    state = _state()
    apply(state, [Correction(7, "owl"), Correction(9, "skip")], NAMES)
    pool = LabeledPool.of(state, pool_size=12)
    assert dict(zip(pool.train_idx.tolist(), pool.train_labels.tolist(), strict=True)) == {4: 0, 7: 2, 1: 2}
    assert 9 not in pool.unlabeled_idx and SKIP not in pool.train_labels
    assert json.loads(json.dumps(state.extra))["corrections"][0]["new"] == "owl"


def test_a_refused_batch_leaves_the_state_in_memory_as_it_was():
    state = _state()
    with pytest.raises(ValueError, match="never labeled or skipped"):
        apply(state, [Correction(7, "owl"), Correction(6, "cat")], NAMES)
    assert state == _state()
