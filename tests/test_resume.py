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
