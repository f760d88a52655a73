"""The shipped tiny campaign through the real command line, and the run-directory contract."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it


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


def _main_in_process(request, monkeypatch, capsys, run_dir, *extra):
    """tfal.main's flag parsing and main() in this process: (exit code, stderr). A process start
    costs seconds; the real command line is exercised by the tests that need a process."""
    from subprocess_campaigns import in_process

    return in_process(
        request.config.rootpath, monkeypatch, capsys, run_dir, *extra,
        args=["--gin_file=gin_configs/testing/tiny.gin"],
    )  # fmt: skip


def _rows(run_dir, stage):
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        return [r for r in map(json.loads, f) if r["stage"] == stage]


@pytest.fixture(scope="module")
def tiny_semi_run(tmp_path_factory, request):
    repo_root = request.config.rootpath
    run_dir = str(tmp_path_factory.mktemp("tiny") / "run")
    cmd = [sys.executable, "-m", "tfal.main", "--gin_file=gin_configs/testing/tiny.gin",
           "--gin_file=gin_configs/setting/semi.gin", f"--run_dir={run_dir}"]  # fmt: skip
    # stdout and stderr in one stream, as a terminal shows them: the banner must come first
    proc = subprocess.run(
        cmd, cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    with open(os.path.join(os.path.dirname(run_dir), "stdout.txt"), "w") as f:
        f.write(proc.stdout)  # not a terminal: one line per stage
    return run_dir


def test_the_campaign_shows_what_runs_its_progress_and_a_summary(tiny_semi_run):
    with open(os.path.join(os.path.dirname(tiny_semi_run), "stdout.txt")) as f:
        lines = f.read().splitlines()
    banner = lines[: lines.index("  run dir    " + tiny_semi_run) + 1]
    assert banner[0] == "tfal campaign"  # nothing of TensorFlow's start before it
    for noise in ("absl::InitializeLog", "cudart_stub", "cuInit", "oneDNN", "rebuild TensorFlow"):
        assert not [line for line in lines if noise in line], noise
    # tfal's own log lines read like the console's, not absl's `I1204 13:11:19.665 ... file.py:79]`
    assert f"exported small_cnn version 1 to {tiny_semi_run}/export/mnist/1" in lines
    assert not [line for line in lines if line[:1] in "IWE" and line[1:5].isdigit()], lines
    for field in (
        "dataset    mnist: pool 2,000",
        "setting    semi",
        "strategy   random",
        "cycles     3",
        "seed       0",
        "network    small_cnn",
        "precision  float32",
    ):
        assert any(line.startswith("  " + field) for line in banner), (field, banner)  # fmt: skip
    # one line per stage, none repeated, in the order of Algorithm 1
    stages = [line.split(":")[0] for line in lines if line.startswith("cycle 0 ")]
    assert stages == [
        "cycle 0 SUP",
        "cycle 0 epoch 1/2 extract",
        "cycle 0 epoch 1/2 LP (kNN graph, CG)",
        "cycle 0 SEMI epoch 1/2",
        "cycle 0 epoch 2/2 extract",
        "cycle 0 epoch 2/2 LP (kNN graph, CG)",
        "cycle 0 SEMI epoch 2/2",
        "cycle 0 evaluate",
        "cycle 0 stop set",
        "cycle 0 acquire (random)",
        "cycle 0 done (1/3)",
    ], stages
    sup = next(line for line in lines if line.startswith("cycle 0 SUP:"))
    assert "60/60 steps in " in sup and "step/s" in sup and "loss " in sup
    # one loss per stage: the line shows the phase's mean, the one results.jsonl records
    (sup_row,) = [r for r in _rows(tiny_semi_run, "sup") if r["cycle"] == 0]
    assert sup.endswith(f", loss {sup_row['loss']:.4g}")
    semi_row = next(r for r in _rows(tiny_semi_run, "semi") if (r["cycle"], r["epoch"]) == (0, 0))
    semi = next(line for line in lines if line.startswith("cycle 0 SEMI epoch 1/2:"))
    assert semi.endswith(f", loss {semi_row['loss']:.4g}")
    # a stage of one step is one line with no count and no rate
    for one_step in ("cycle 0 epoch 1/2 LP (kNN graph, CG): ", "cycle 0 acquire (random): "):
        line = next(line for line in lines if line.startswith(one_step))
        assert "1/1" not in line and "/s" not in line, line
    assert "about" in next(line for line in lines if line.startswith("cycle 1 done (2/3)"))
    # the summary: one row per cycle with the accuracies of results.jsonl, then where to look
    cycles = _rows(tiny_semi_run, "cycle")
    header = lines.index(
        f"{'cycle':>5}  {'labels':>6}  {'test accuracy':>13}  {'time':>8}  {'stability':>9}"
    )
    table = [line.split() for line in lines[header + 1 : header + 4]]
    assert [(int(t[0]), int(t[1]), t[2]) for t in table] == [
        (r["cycle"], r["num_labeled"], f"{100 * r['test_accuracy']:.2f}%") for r in cycles
    ]
    # the stability column: no kappa for cycle 0, then each cycle's stop_kappa
    assert len(table[0]) == 4 and [t[4] for t in table[1:]] == [
        f"{r['stop_kappa']:.3f}" for r in cycles[1:]
    ]
    text = "\n".join(lines)
    assert f"tensorboard --logdir {tiny_semi_run}/tensorboard" in text
    assert f"python -m tfal.report {tiny_semi_run}" in text
    assert f"{tiny_semi_run}/export/mnist" in text


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


def test_rerunning_a_finished_campaign_changes_nothing(tiny_semi_run, request, monkeypatch, capsys):
    before = open(os.path.join(tiny_semi_run, "state.json")).read()
    code, err = _main_in_process(
        request, monkeypatch, capsys, tiny_semi_run, "--gin_file=gin_configs/setting/semi.gin"
    )
    assert code == 0, err
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
            "model_name = '../x': expected a str that is a plain name",
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


def test_traceback_flag_shows_the_whole_traceback(tmp_path, request, monkeypatch, capsys):
    """--traceback (or TFAL_DEBUG=1): the error is raised with its traceback, not one line."""
    args = ["--gin_bindings=ActiveLearningLoop.budget=5000"]
    with pytest.raises(ValueError, match="budget=5000 must be smaller than the unlabeled pool"):
        _main_in_process(request, monkeypatch, capsys, tmp_path / "run", *args, "--traceback")
    monkeypatch.setenv("TFAL_DEBUG", "1")
    with pytest.raises(ValueError, match="budget=5000 must be smaller"):
        _main_in_process(request, monkeypatch, capsys, tmp_path / "r2", *args)


def test_resuming_under_another_configuration_is_refused(
    tiny_semi_run, request, monkeypatch, capsys
):
    code, err = _main_in_process(
        request,
        monkeypatch,
        capsys,
        tiny_semi_run,
        "--gin_file=gin_configs/setting/semi.gin",
        "--gin_bindings=ActiveLearningLoop.seed=7",
    )
    assert code == 2 and "different configuration" in err and "seed" in err
    assert "Traceback" not in err


def test_human_oracle_campaign_runs_stops_and_continues(tmp_path, request, monkeypatch, capsys):
    """Run, fill the query CSV as a person would, re-run, until the campaign is finished. The
    answers are saved with old-Mac (\\r), Windows (\\r\\n) and Unix line endings in turn, as
    spreadsheets do."""
    import csv

    run_dir = tmp_path / "human"
    args = [
        "--gin_bindings=ActiveLearningLoop.oracle_fn=@tfal.data.HumanOracle",
        "--gin_bindings=ActiveLearningLoop.sup_epochs=5",
    ]
    answered = []
    for _ in range(4):
        code, err = _main_in_process(request, monkeypatch, capsys, run_dir, *args)
        if code == 0:
            break
        assert code == 3 and "re-run" in err, err[-2000:]
        pending = sorted((run_dir / "queries").glob("*.csv"), key=lambda p: p.stat().st_mtime)[-1]
        assert pending.with_suffix(".png").exists()  # the contact sheet of the queried images
        rows = list(csv.DictReader(pending.open()))
        for row in rows:
            row["label"] = str(int(row["pool_index"]) % 10)  # any known class name
        ending = ["\r", "\r\n", "\n"][len(answered) % 3]
        with pending.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator=ending)
            writer.writeheader()
            writer.writerows(rows)
        answered.append(pending.name)
    assert code == 0
    assert answered == ["initial.csv", "cycle_0.csv", "cycle_1.csv"]
    state = json.load(open(run_dir / "state.json"))
    assert state["finished"] and len(state["labeled_idx"]) == 30 and not state["pending_query"]
    assert state["labels"] == [i % 10 for i in state["labeled_idx"]]


def test_corrupt_state_is_reported_and_left_untouched(tmp_path, request, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "state.json").write_text('{"dataset": "mnist", "labeled_')
    code, err = _main_in_process(request, monkeypatch, capsys, run_dir)
    assert code == 2 and "corrupt or truncated" in err and "Traceback" not in err
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


def test_a_refused_resume_leaves_the_run_directory_as_it_was(
    tiny_semi_run, tmp_path, request, monkeypatch, capsys
):
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
    code, err = _main_in_process(
        request, monkeypatch, capsys, run_dir, "--gin_file=gin_configs/setting/semi.gin"
    )
    assert code == 2 and "corrupt or truncated" in err
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
import keras, json
loss = keras.losses.sparse_categorical_crossentropy(data.y_test, out["probabilities"])
print("LOSS", float(np.mean(keras.ops.convert_to_numpy(loss))))
matrix = np.zeros((10, 10), np.int64)
np.add.at(matrix, (data.y_test, out["class_ids"]), 1)
print("PER_CLASS", json.dumps((np.diag(matrix) / matrix.sum(axis=1)).tolist()))
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
    last = _rows(tiny_semi_run, "cycle")[-1]
    assert served_accuracy == pytest.approx(last["test_accuracy"], abs=1e-3)
    assert "['0', '1', '2']" in line[0]
    # the test loss and per-class accuracies of the same pass, recomputed from the served model:
    # Keras' crossentropy and the confusion matrix of its predictions
    printed = dict(x.split(" ", 1) for x in proc.stdout.splitlines() if x[:4] in ("LOSS", "PER_"))
    assert float(printed["LOSS"]) == pytest.approx(last["test_loss"], rel=1e-3)
    assert json.loads(printed["PER_CLASS"]) == pytest.approx(last["test_class_accuracy"], abs=5e-3)


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
    assert {"acquired/classes", "lp/confusion", "final/test_accuracy"} <= tags
    # SEMI's training in its own group, the test loss and per-class accuracy, stage seconds
    assert {"semi/loss", "semi/learning_rate", "semi/epoch_loss", "semi/images_per_second"} <= tags
    assert {"cycle/test_loss", "time/sup_seconds", "time/evaluate_seconds"} <= tags
    assert {f"test_class_accuracy/{c}" for c in range(10)} <= tags
    assert not {"lp/loss", "lp/train_images_per_second", "lp/steps", "lp/num_labeled"} & tags


def test_tensorboard_hparams_compare_campaigns_and_the_config_reads_as_markdown(tiny_semi_run):
    """HParams: the bindings that set this campaign apart, with the accuracy metrics; the gin
    config rendered by gin's own markdown (no giant headings, no ===== rules)."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    experiment, session, text = None, None, None
    for root, _, files in os.walk(os.path.join(tiny_semi_run, "tensorboard")):
        for name in files:
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                for value in event.summary.value:
                    if value.tag.startswith("_hparams_/"):
                        data = plugin_data_pb2.HParamsPluginData.FromString(
                            value.metadata.plugin_data.content
                        )
                        if data.HasField("experiment"):
                            experiment = data.experiment
                        if data.HasField("session_start_info"):
                            session = data.session_start_info
                    if value.tag == "config/operative_gin":
                        text = tf.make_ndarray(value.tensor).item().decode()
    metrics = {m.name.tag for m in experiment.metric_infos}
    assert metrics == {"cycle/test_accuracy", "final/test_accuracy"}
    hparams = dict(session.hparams)
    assert {h.name for h in experiment.hparam_infos} == set(hparams)
    assert hparams["setting"].string_value == "semi" and hparams["seed"].number_value == 0
    # listed (and ticked) first in TensorBoard: the hparams marked `differs`
    assert {h.name for h in experiment.hparam_infos if h.differs} == {
        "dataset", "setting", "strategy", "seed"
    }
    assert session.group_name == "run"  # the HParams row is named by its run directory
    # tiny.gin's own values, which differ from the defaults
    assert hparams["SemiSupervised.k"].number_value == 10
    assert hparams["ActiveLearningLoop.num_cycles"].number_value == 3
    assert hparams["ActiveLearningLoop.semi"].string_value == "@tfal.loop.SemiSupervised()"
    assert "#### Parameters for ActiveLearningLoop:" in text and "=====" not in text
    assert "    ActiveLearningLoop.num_cycles = 3" in text


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


def test_the_cost_estimate_counts_the_work_the_campaign_really_did(
    tiny_semi_run, tmp_path, monkeypatch, capsys
):
    """planned_work (what the CPU estimate multiplies) equals the steps results.jsonl logged; the
    estimate times a throwaway network and leaves the campaign's own untouched."""
    import numpy as np

    from tfal import campaign
    from tfal.loop import ActiveLearningLoop, estimate

    campaign.parse_gin(["gin_configs/testing/tiny.gin", "gin_configs/setting/semi.gin"], [])
    loop = ActiveLearningLoop(str(tmp_path / "fresh"))
    logged = sum(r["steps"] for r in _rows(tiny_semi_run, "sup") + _rows(tiny_semi_run, "semi"))
    assert estimate.planned_work(loop).train_steps == logged
    assert campaign.say_cost(loop, ["gin_configs/mnist_1label.gin"]) is None  # short: silent
    monkeypatch.setattr(estimate, "MIN_STEPS_TO_ESTIMATE", 0)
    before = [w.copy() for w in loop.trainer.model.get_weights()]
    capsys.readouterr()
    seconds = campaign.say_cost(loop, ["gin_configs/mnist_1label.gin"])
    said = capsys.readouterr().out.splitlines()[-1]
    assert seconds > 0 and said.startswith(
        "no GPU visible: this campaign's training and extraction"
    )
    assert "gin_configs/mnist_1label_cpu.gin is its CPU counterpart" in said
    for a, b in zip(before, loop.trainer.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_help_lists_tfal_s_own_flags_however_it_is_started(capsys):
    """`tfal --help` (the console script) as `python -m tfal.main --help`: absl would list only
    the script's (empty) flag module."""
    from tfal import main as cli

    with pytest.raises(SystemExit) as e:
        cli._parse_flags(["/venv/bin/tfal", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    for flag in (
        "--gin_file",
        "--gin_bindings",
        "--run_dir",
        "--[no]traceback",
        "--[no]allow_config",
    ):
        assert flag in out, flag
    assert "Gin files and SavedModels are code" in out


def test_a_symlink_where_tfal_writes_is_refused_before_anything_is_written(
    tmp_path, request, monkeypatch, capsys
):
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("not tfal's\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    os.symlink(outside, run_dir / "results.jsonl")
    code, err = _main_in_process(request, monkeypatch, capsys, run_dir)
    assert code == 2 and "results.jsonl is a symbolic link" in err, err
    assert outside.read_text() == "not tfal's\n" and sorted(os.listdir(run_dir)) == [
        "results.jsonl"
    ]


def test_the_agreement_analysis_runs_on_a_finished_campaign_and_writes_nowhere_else(
    tiny_semi_run, tmp_path, capsys
):
    """`python -m tfal.analysis agreement` (its main, in this process) after cycle 1 of the tiny
    SEMI campaign: Table 3's rows for every strategy against the campaign's own (Random)."""
    from tfal.analysis.__main__ import main as analysis_main

    def files(root):
        return {
            os.path.relpath(os.path.join(d, f), root): os.path.getmtime(os.path.join(d, f))
            for d, _, names in os.walk(root)
            for f in names
        }

    before = files(tiny_semi_run)
    out = tmp_path / "agreement"
    strategies = ["uncertainty", "random", "coreset", "jlp"]
    args = ["agreement", tiny_semi_run, "--cycle", "1", "--strategies", *strategies]
    assert analysis_main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "agreement.json").read_text())
    assert (out / "agreement.md").read_text() == printed
    assert report["cycle"] == 1 and report["num_labeled"] == 20 and report["budget"] == 10
    rows = {r["strategy"]: r for r in report["rows"]}
    assert set(rows) == {"uncertainty", "coreset", "jlp"}  # each against the reference, Random
    for row in rows.values():
        assert row["reference"] == "random"
        assert row["num_unlabeled"] in range(2000 - 40, 2000 - 20 + 1)
        assert 0 <= row["agree_percent"] <= 100 and 0 <= row["accuracy"] <= 100
        # LP from 30 labels on a 2,000-image pool: well above chance (10 %)
        assert row["accuracy"] > 30 and row["reference_accuracy"] > 30
    pairs = {(c["a"], c["b"]) for c in report["rank_correlations"]}
    assert pairs == {("uncertainty", "coreset")}
    assert files(tiny_semi_run) == before  # the run directory is only read

    assert analysis_main(["agreement", tiny_semi_run, "--strategies", "random", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tfal.analysis: error: --strategies random nope") and err.count("\n") == 1
