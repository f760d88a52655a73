"""A campaign killed (SIGKILL) at named points and resumed ends exactly like an uninterrupted one.

The kills land where they are meant to on any machine: `tfal.fault_points` kills the process
itself at the named point (TFAL_FAULT), and a process that ends by SIGKILL proves it reached it.
"""

import collections
import json
import os
import signal

import pytest
from subprocess_campaigns import in_process, outcome, raw_rows, run

pytestmark = pytest.mark.slow


def _killed_at(repo_root, run_dir, fault, *extra):
    """Runs the campaign with `fault`; asserts it died by SIGKILL, i.e. reached the point."""
    proc = run(repo_root, run_dir, *extra, fault=fault)
    assert proc.returncode == -signal.SIGKILL, f"{fault} was not reached: {proc.stderr[-2000:]}"


def _straight(request, monkeypatch, capsys, run_dir, *extra):
    """The uninterrupted reference, in this process: the same flags through tfal.main's main()
    (a process start costs seconds; the killed runs are the processes under test)."""
    code, err = in_process(request.config.rootpath, monkeypatch, capsys, run_dir, *extra)
    assert code == 0, err[-2000:]
    return run_dir


def test_killed_and_resumed_campaign_equals_an_uninterrupted_one(
    tmp_path, request, monkeypatch, capsys
):
    """Killed after SUP's checkpoint, inside a SEMI epoch, between a cycle's results row and
    state.json (twice), inside an export and inside the last cycle's SEMI, the resumed
    campaign picks, labels and scores exactly like a straight one, and results.jsonl holds each
    row once. jLP: its picks depend on the restored network and on LP's graph, so a resume that
    restored anything wrong would show."""
    repo_root = request.config.rootpath
    jlp = "--gin_file=gin_configs/strategy/jlp.gin"
    reference = _straight(request, monkeypatch, capsys, str(tmp_path / "straight"), jlp)
    run_dir = str(tmp_path / "killed")
    for fault in [
        "sup_checkpoint@0:kill",
        "semi_train@0#2:kill",  # inside cycle 0's second SEMI epoch, after its LP
        "results_row@0:kill",  # the row written, state.json not: the cycle is redone...
        "results_row@0:kill",  # ...and its row written again
        "export_written@1:kill",
        "semi_train@2:kill",
    ]:
        _killed_at(repo_root, run_dir, fault, jlp)
    assert run(repo_root, run_dir, jlp).returncode == 0
    labeled, labels, acquired, accuracies = outcome(run_dir)
    assert (labeled, labels, acquired, accuracies) == outcome(reference)
    assert len(set(labeled)) == len(labeled) == 30 and len(acquired) == 2
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["strategy"] == "jlp" and state["finished"]
    keys = [(r["stage"], r.get("cycle"), r.get("epoch")) for r in raw_rows(run_dir)]
    repeated = [k for k, n in collections.Counter(keys).items() if n > 1]
    assert not repeated and len(keys) == len(raw_rows(reference))


def test_a_killed_warm_started_campaign_resumes_from_the_right_model(
    tmp_path, request, monkeypatch, capsys
):
    """With warm_epochs each cycle starts from the last one's final model (checkpoints/final-<j>):
    killed between cycle 0's row and state.json (before cycle 1 starts from it) and in cycle 1's
    SEMI, the resumed campaign scores exactly like a straight one. Uncertainty: its picks depend
    on that model."""
    repo_root = request.config.rootpath
    warm = [
        "--gin_file=gin_configs/strategy/uncertainty.gin",
        "--gin_bindings=SemiSupervised.warm_epochs = 1",
    ]
    reference = _straight(request, monkeypatch, capsys, str(tmp_path / "straight"), *warm)
    run_dir = str(tmp_path / "killed")
    for fault in ["results_row@0:kill", "sup_checkpoint@1:kill", "semi_train@1:kill"]:
        _killed_at(repo_root, run_dir, fault, *warm)
    assert run(repo_root, run_dir, *warm).returncode == 0
    assert outcome(run_dir) == outcome(reference)
    semi_cycles = [r["cycle"] for r in raw_rows(reference) if r["stage"] == "semi"]
    assert semi_cycles == [0, 0, 1, 2]  # tiny.gin's 2 SEMI epochs, then 1 per warm cycle
