"""A human-oracle campaign in which people skip images and correct a label, killed once and
resumed: a skipped image is never asked again nor trained on as labeled, a corrected label stays
with its image, and no label moves to another image."""

import csv
import glob
import json
import os
import signal

import pytest
from subprocess_campaigns import in_process, run

from tfal import relabel

pytestmark = pytest.mark.slow

# The baseline setting (no SEMI): what is tested is where labels go, and every run pays TF's start.
HUMAN = ["--gin_file=gin_configs/setting/baseline.gin", "--gin_bindings=ActiveLearningLoop.sup_epochs=3",
         "--gin_bindings=ActiveLearningLoop.oracle_fn=@tfal.data.HumanOracle"]


def _answer_latest(run_dir, skip_every=3):
    """Answers the newest query CSV: every third row "skip", the others pool_index % 10."""
    path = max(glob.glob(os.path.join(run_dir, "queries", "*.csv")), key=os.path.getmtime)
    rows = list(csv.DictReader(open(path, newline="")))
    for k, row in enumerate(rows):
        row["label"] = "skip" if k % skip_every == 0 else str(int(row["pool_index"]) % 10)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return [int(r["pool_index"]) for k, r in enumerate(rows) if k % skip_every == 0]


def test_skips_survive_a_kill_and_are_never_asked_again(tmp_path, request, monkeypatch, capsys):
    repo_root, run_dir = request.config.rootpath, str(tmp_path / "run")
    skipped, asked, killed, corrected = [], [], False, {}
    for _ in range(8):
        if len(asked) == 2 and not corrected:  # a person fixes an L0 label between runs
            state = json.load(open(os.path.join(run_dir, "state.json")))
            index = state["labeled_idx"][0]
            corrected[index] = (index + 1) % 10
            assert relabel.main([run_dir, "--pool_index", str(index), "--label",
                                 str(corrected[index]), "--why", "test"]) == 0  # fmt: skip
        # the first run after cycle 0's answer is killed once its labels are in state.json
        fault = "evaluated@1:kill" if len(asked) == 2 and not killed else None
        if fault:  # a real process, SIGKILLed: the other runs stay in this process
            done = run(repo_root, run_dir, *HUMAN, fault=fault)
            assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
            killed = True
            continue
        code, err = in_process(repo_root, monkeypatch, capsys, run_dir, *HUMAN)
        if code == 0:
            break
        assert code == 3, err[-2000:]
        state = json.load(open(os.path.join(run_dir, "state.json")))
        asked.append(list(state["pending_query"]))
        skipped += _answer_latest(run_dir)
    assert killed and code == 0
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["finished"] and state["skipped"] == skipped
    every = [i for query in asked for i in query]
    assert len(every) == len(set(every))  # no image asked twice, a skipped one included
    assert set(state["labeled_idx"]) == set(every) - set(skipped)
    # bound to their images; the corrected one changed, with its history
    assert state["labels"] == [corrected.get(i, i % 10) for i in state["labeled_idx"]]
    assert [(c["pool_index"], c["from_cycle"]) for c in state["extra"]["corrections"]] == [
        (next(iter(corrected)), 1)]
    assert all(set(b.get("skipped", [])) <= set(skipped) for b in state["acquired"])
    rows = [json.loads(line) for line in open(os.path.join(run_dir, "results.jsonl"))]
    counted = {r["cycle"]: r["num_labeled"] for r in rows if r["stage"] == "cycle"}
    kept = [len(set(query) - set(skipped)) for query in asked]  # skips count against the budget
    assert counted == {j: sum(kept[: j + 1]) for j in range(len(asked))}
