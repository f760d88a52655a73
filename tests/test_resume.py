"""A campaign killed with SIGKILL at several points and resumed ends exactly like an uninterrupted one."""

import json
import os
import signal
import subprocess
import sys
import time

ARGS = [
    "--gin_file=gin_configs/testing/tiny.gin",
    "--gin_file=gin_configs/setting/semi.gin",
    # smaller than tiny.gin: what is tested is exactness, and every restart pays TensorFlow's start
    "--gin_bindings=tfds_dataset.pool_size = 1000",
    "--gin_bindings=tfds_dataset.test_size = 500",
    "--gin_bindings=ActiveLearningLoop.sup_epochs = 30",
]


def _command(run_dir, *extra):
    return [sys.executable, "-m", "tfal.main", *ARGS, *extra, f"--run_dir={run_dir}"]


def _rows(run_dir):
    path = os.path.join(run_dir, "results.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def _run_until(repo_root, run_dir, trigger, *extra):
    """Starts the campaign and SIGKILLs it as soon as a results row matches `trigger`."""
    proc = subprocess.Popen(
        _command(run_dir, *extra), cwd=repo_root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        if any(trigger(r) for r in _rows(run_dir)):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.02)
    proc.wait()
    return False


def _outcome(run_dir):
    state = json.load(open(os.path.join(run_dir, "state.json")))
    accuracies = {r["cycle"]: r["test_accuracy"] for r in _rows(run_dir) if r["stage"] == "cycle"}
    return state["labeled_idx"], state["labels"], state["acquired"], accuracies


def test_killed_and_resumed_campaign_equals_an_uninterrupted_one(tmp_path, request):
    """Killed in SEMI training, in labelling, in extraction + LP and in evaluation, the resumed
    campaign picks, labels and scores exactly like a straight one. jLP: its picks depend on the
    restored network and on LP's graph, so a resume that restored anything wrong would show."""
    repo_root = request.config.rootpath
    jlp = "--gin_file=gin_configs/strategy/jlp.gin"
    reference = str(tmp_path / "straight")
    subprocess.run(
        _command(reference, jlp), cwd=repo_root, check=True, capture_output=True, timeout=300
    )
    run_dir = str(tmp_path / "killed")
    kill_points = [
        lambda r: r["stage"] == "semi" and r["cycle"] == 0,  # in SEMI training / the next LP
        lambda r: r["stage"] == "cycle" and r["cycle"] == 0,  # in labeling / next cycle's SUP
        lambda r: r["stage"] == "sup" and r["cycle"] == 1,  # in extraction + LP
        lambda r: (
            r["stage"] == "semi" and r["cycle"] == 2 and r["epoch"] == 1
        ),  # in evaluation / export
    ]
    killed = sum(_run_until(repo_root, run_dir, point, jlp) for point in kill_points)
    assert killed >= 3  # the run was really interrupted (a fast machine may finish before the last)
    subprocess.run(
        _command(run_dir, jlp), cwd=repo_root, check=True, capture_output=True, timeout=300
    )
    labeled, labels, acquired, accuracies = _outcome(run_dir)
    assert (labeled, labels, acquired, accuracies) == _outcome(reference)
    assert len(set(labeled)) == len(labeled) == 30 and len(acquired) == 2
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert state["strategy"] == "jlp" and state["finished"]


def test_a_killed_warm_started_campaign_resumes_from_the_right_model(tmp_path, request):
    """With warm_epochs each cycle starts from the last one's final model (checkpoints/final-<j>):
    killed while labelling (before cycle 1 starts from it) and in cycle 1's SEMI, the resumed
    campaign scores exactly like a straight one. Uncertainty: its picks depend on that model."""
    repo_root = request.config.rootpath
    warm = [
        "--gin_file=gin_configs/strategy/uncertainty.gin",
        "--gin_bindings=SemiSupervised.warm_epochs = 1",
    ]
    reference = str(tmp_path / "straight")
    subprocess.run(
        _command(reference, *warm), cwd=repo_root, check=True, capture_output=True, timeout=300
    )
    run_dir = str(tmp_path / "killed")
    kill_points = [
        lambda r: r["stage"] == "cycle" and r["cycle"] == 0,  # in labelling / cycle 1's start
        lambda r: r["stage"] == "semi" and r["cycle"] == 1,  # after cycle 1's only SEMI epoch
    ]
    killed = sum(_run_until(repo_root, run_dir, point, *warm) for point in kill_points)
    assert killed >= 1
    subprocess.run(
        _command(run_dir, *warm), cwd=repo_root, check=True, capture_output=True, timeout=300
    )
    assert _outcome(run_dir) == _outcome(reference)
    semi_cycles = [r["cycle"] for r in _rows(reference) if r["stage"] == "semi"]
    assert semi_cycles == [0, 0, 1, 2]  # tiny.gin's 2 SEMI epochs, then 1 per warm cycle
