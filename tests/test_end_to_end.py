"""The shipped tiny campaign through the real command line, and the run-directory contract."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest


def _run_main(repo_root, run_dir, *extra, check=True):
    cmd = [
        sys.executable,
        "-m",
        "tfal.main",
        "--gin_file=gin_configs/testing/tiny.gin",
        f"--run_dir={run_dir}",
        *extra,
    ]
    proc = subprocess.run(cmd, cwd=repo_root, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc


def _rows(run_dir, stage):
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        return [r for r in map(json.loads, f) if r["stage"] == stage]


@pytest.fixture(scope="module")
def tiny_semi_run(tmp_path_factory, request):
    repo_root = request.config.rootpath
    run_dir = str(tmp_path_factory.mktemp("tiny") / "run")
    _run_main(repo_root, run_dir, "--gin_file=gin_configs/setting/semi.gin")
    return run_dir


def test_tiny_campaign_keeps_the_run_directory_contract(tiny_semi_run):
    run_dir = tiny_semi_run
    assert os.path.getsize(os.path.join(run_dir, "operative_config.gin")) > 0
    assert "tiny.gin" in open(os.path.join(run_dir, "command.txt")).read()
    state = json.load(open(os.path.join(run_dir, "state.json")))
    assert (
        state["dataset"] == "mnist" and state["strategy"] == "random" and state["setting"] == "semi"
    )
    assert state["finished"] and state["next_cycle"] == 3
    assert len(state["labeled_idx"]) == len(set(state["labeled_idx"])) == 30
    assert [a["cycle"] for a in state["acquired"]] == [0, 1]
    cycles = _rows(run_dir, "cycle")
    assert [r["num_labeled"] for r in cycles] == [10, 20, 30]  # grows by exactly b per cycle
    assert all(0.0 <= r["test_accuracy"] <= 1.0 for r in cycles)
    assert (
        cycles[-1]["test_accuracy"] > 0.3
    )  # 30 labels + SEMI on real MNIST: far above chance (0.1)
    semi = _rows(run_dir, "semi")
    assert [(r["cycle"], r["epoch"]) for r in semi] == [(c, e) for c in range(3) for e in range(2)]
    assert all(0.1 < r["lp_accuracy"] <= 1.0 and 0 <= r["mean_weight"] <= 1 for r in semi)
    # each epoch's split needs no arithmetic: extraction, LP (>= its kNN + CG parts), training
    for r in semi:
        assert r["extract_seconds"] > 0 and r["train_seconds"] > 0
        assert r["lp_seconds"] >= r["knn_seconds"] + r["cg_seconds"] > 0
    by_cycle = {r["cycle"]: r for r in cycles}
    for c in range(3):  # the cycle's extract/lp totals are the sums of its epochs'
        epochs = [r for r in semi if r["cycle"] == c]
        extract = sum(r["extract_seconds"] for r in epochs)
        assert abs(by_cycle[c]["extract_seconds"] - extract) < 1e-6


def test_rerunning_a_finished_campaign_changes_nothing(tiny_semi_run, request):
    before = open(os.path.join(tiny_semi_run, "state.json")).read()
    _run_main(request.config.rootpath, tiny_semi_run, "--gin_file=gin_configs/setting/semi.gin")
    assert open(os.path.join(tiny_semi_run, "state.json")).read() == before
    assert len(_rows(tiny_semi_run, "cycle")) == 3


@pytest.mark.parametrize(
    "args,message",
    [
        (["--gin_file=gin_configs/nope.gin"], "gin file 'gin_configs/nope.gin' does not exist"),
        (["--gin_bindings=ActiveLearningLoop.no_such_param=1"], "no_such_param"),
        (["--gin_bindings=NoSuchThing.x=1"], "NoSuchThing"),
        (["--gin_bindings=ActiveLearningLoop.budget=5000"], "budget=5000"),
        (["--gin_bindings=tfds_dataset.name='nope'"], "unknown dataset 'nope'"),
        (
            ["--gin_bindings=ActiveLearningLoop.labels_per_class=500"],
            "labels_per_class=500 x 10 classes",
        ),
        (["--gin_bindings=ActiveLearningLoop.strategy=@tfal.acquisition.nope"], "nope"),
        (["--no_such_flag=1"], "Unknown command line flag 'no_such_flag'"),
        (["--gin_bindings=ActiveLearningLoop.budget = 'ten'"], "budget = 'ten': expected an int"),
        (
            ["--gin_bindings=ActiveLearningLoop.model_name='../x'"],
            "model_name='../x' must be a plain",
        ),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    tmp_path, request, monkeypatch, capsys, args, message
):
    """tfal.main's own flag parsing and main(), in this process (a process start costs seconds);
    test_bad_input_through_the_real_command_line runs two of them through the real CLI."""
    from tfal import main as tfal_main

    monkeypatch.chdir(request.config.rootpath)
    argv = ["tfal", "--gin_file=gin_configs/testing/tiny.gin", f"--run_dir={tmp_path / 'run'}"]
    try:
        with pytest.raises(SystemExit) as exit_info:
            raise SystemExit(tfal_main.main(tfal_main._parse_flags([*argv, *args])))
    finally:
        tfal_main.FLAGS.unparse_flags()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("tfal: error:")]) == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (["--no_such_flag=1"], "Unknown command line flag 'no_such_flag'"),
        (["--gin_bindings=ActiveLearningLoop.budget = 'ten'"], "budget = 'ten': expected an int"),
    ],
)
def test_bad_input_through_the_real_command_line(tmp_path, request, args, message):
    proc = _run_main(request.config.rootpath, str(tmp_path / "run"), *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("tfal: error:")]
    assert len(error_lines) == 1


def test_traceback_flag_shows_the_whole_traceback(tmp_path, request, monkeypatch):
    args = ["--gin_bindings=ActiveLearningLoop.budget=5000"]
    proc = _run_main(
        request.config.rootpath, str(tmp_path / "run"), *args, "--traceback", check=False
    )
    assert proc.returncode != 0 and "Traceback (most recent call last)" in proc.stderr
    assert "budget=5000 must be smaller than the unlabeled pool" in proc.stderr
    # TFAL_DEBUG=1 does the same: the error is raised, not turned into one line (in this process)
    from tfal import main as tfal_main

    monkeypatch.chdir(request.config.rootpath)
    monkeypatch.setenv("TFAL_DEBUG", "1")
    argv = ["tfal", "--gin_file=gin_configs/testing/tiny.gin", f"--run_dir={tmp_path / 'r2'}"]
    try:
        with pytest.raises(ValueError, match="budget=5000 must be smaller"):
            tfal_main.main(tfal_main._parse_flags([*argv, *args]))
    finally:
        tfal_main.FLAGS.unparse_flags()


def test_resuming_under_another_configuration_is_refused(tiny_semi_run, request):
    proc = _run_main(
        request.config.rootpath,
        tiny_semi_run,
        "--gin_file=gin_configs/setting/semi.gin",
        "--gin_bindings=ActiveLearningLoop.seed=7",
        check=False,
    )
    assert (
        proc.returncode == 2 and "different configuration" in proc.stderr and "seed" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_human_oracle_campaign_runs_stops_and_continues(tmp_path, request):
    """Run, fill the query CSV as a person would, re-run, until the campaign is finished."""
    import csv

    run_dir = tmp_path / "human"
    args = [
        "--gin_bindings=ActiveLearningLoop.oracle_fn=@tfal.data.HumanOracle",
        "--gin_bindings=ActiveLearningLoop.sup_epochs=5",
    ]
    answered = []
    for _ in range(4):
        proc = _run_main(request.config.rootpath, str(run_dir), *args, check=False)
        if proc.returncode == 0:
            break
        assert proc.returncode == 3 and "re-run" in proc.stderr, proc.stderr[-2000:]
        pending = sorted((run_dir / "queries").glob("*.csv"), key=lambda p: p.stat().st_mtime)[-1]
        assert pending.with_suffix(".png").exists()  # the contact sheet of the queried images
        rows = list(csv.DictReader(pending.open()))
        for row in rows:
            row["label"] = str(int(row["pool_index"]) % 10)  # any known class name
        with pending.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        answered.append(pending.name)
    assert proc.returncode == 0
    assert answered == ["initial.csv", "cycle_0.csv", "cycle_1.csv"]
    state = json.load(open(run_dir / "state.json"))
    assert state["finished"] and len(state["labeled_idx"]) == 30 and not state["pending_query"]
    assert state["labels"] == [i % 10 for i in state["labeled_idx"]]


def test_corrupt_state_is_reported_and_left_untouched(tmp_path, request):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "state.json").write_text('{"dataset": "mnist", "labeled_')
    proc = _run_main(request.config.rootpath, str(run_dir), check=False)
    assert (
        proc.returncode == 2
        and "corrupt or truncated" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    assert (run_dir / "state.json").read_text() == '{"dataset": "mnist", "labeled_'
    assert os.listdir(run_dir) == ["state.json"]  # refused before anything was written


def _snapshot(directory) -> dict[str, bytes]:
    return {
        os.path.relpath(os.path.join(root, name), directory): open(
            os.path.join(root, name), "rb"
        ).read()
        for root, _, names in os.walk(directory)
        for name in names
    }


def test_a_refused_resume_leaves_the_run_directory_as_it_was(tiny_semi_run, tmp_path, request):
    """Damaged state.json of a finished campaign: refused, and nothing but command.txt changes
    (operative_config.gin keeps the record of the campaign that really ran)."""
    run_dir = str(tmp_path / "copy")
    shutil.copytree(tiny_semi_run, run_dir)
    with open(os.path.join(run_dir, "state.json"), "r+", encoding="utf-8") as f:
        text = f.read()
        f.seek(0)
        f.truncate()
        f.write(text[: len(text) // 2])
    before = _snapshot(run_dir)
    proc = _run_main(
        request.config.rootpath, run_dir, "--gin_file=gin_configs/setting/semi.gin", check=False
    )
    assert proc.returncode == 2 and "corrupt or truncated" in proc.stderr
    after = _snapshot(run_dir)
    grown = after.pop("command.txt")
    assert grown.startswith(before.pop("command.txt"))
    assert after == before


SERVE_SCRIPT = """
import sys, numpy as np
from tfal.data import tfds_dataset
from tfal.serving import load_for_inference
served = load_for_inference(sys.argv[1])
data = tfds_dataset("mnist", download=False)
out = served(data.x_test, batch_size=1000)
print("ACCURACY", float(np.mean(out["class_ids"] == data.y_test)), served.class_names[:3])
"""


def test_each_cycle_is_exported_and_serves_the_logged_accuracy(tiny_semi_run):
    export = os.path.join(tiny_semi_run, "export", "mnist")
    assert sorted(os.listdir(export)) == [
        "1",
        "2",
        "3",
    ]  # version = cycle + 1, nothing half-written
    proc = subprocess.run(
        [sys.executable, "-c", SERVE_SCRIPT, os.path.join(export, "3")],
        capture_output=True,
        text=True,
        timeout=300,
    )  # a fresh process: only the SavedModel is shared
    line = [x for x in proc.stdout.splitlines() if x.startswith("ACCURACY")]
    assert proc.returncode == 0 and line, proc.stderr[-2000:]
    served_accuracy = float(line[0].split()[1])
    assert served_accuracy == pytest.approx(
        _rows(tiny_semi_run, "cycle")[-1]["test_accuracy"], abs=1e-3
    )
    assert "['0', '1', '2']" in line[0]


def test_tensorboard_has_cycles_by_number_of_labels(tiny_semi_run):
    import tensorflow as tf

    scalars, tags = {}, set()
    for root, _, files in os.walk(os.path.join(tiny_semi_run, "tensorboard")):
        for name in files:
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                for value in event.summary.value:
                    tags.add(value.tag)
                    if value.tag == "cycle/test_accuracy":
                        scalars[event.step] = float(tf.make_ndarray(value.tensor))
    assert sorted(scalars) == [10, 20, 30]
    accuracies = [r["test_accuracy"] for r in _rows(tiny_semi_run, "cycle")]
    assert [scalars[k] for k in (10, 20, 30)] == pytest.approx(accuracies, abs=1e-6)
    assert {"train/loss", "train/learning_rate", "lp/lp_accuracy", "acquired/images"} <= tags


def test_a_second_process_on_a_running_campaign_stops_at_once(tmp_path, request):
    run_dir = str(tmp_path / "run")
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tfal.main",
            "--gin_file=gin_configs/testing/tiny.gin",
            f"--run_dir={run_dir}",
        ],
        cwd=request.config.rootpath,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        state = os.path.join(run_dir, "state.json")
        deadline = time.time() + 240
        while not os.path.exists(state) and first.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        assert first.poll() is None, "the first campaign ended before the second could start"
        second = _run_main(request.config.rootpath, run_dir, check=False)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        lines = [x for x in second.stderr.splitlines() if x.startswith("tfal: error:")]
        assert len(lines) == 1 and f"is in use by pid {first.pid} on" in lines[0]
        # refused before it wrote anything: the command log holds the first process's line only
        assert len(open(os.path.join(run_dir, "command.txt")).read().splitlines()) == 1
    finally:
        first.kill()
        first.wait()
