"""tfal.Campaign: a campaign from Python objects, stepped, resumed, checked when built.

The README's "From Python" block runs here as written; a campaign started in Python resumes from
the CLI and the reverse, to exactly the straight CLI run.
"""

import csv
import json
import os
import pathlib
import re

import keras
import numpy as np
import pytest
from subprocess_campaigns import ARGS, in_process, outcome, raw_rows, run

import tfal
from tfal.data import tfds_dataset

pytestmark = pytest.mark.slow  # trains (small) models


@pytest.fixture(scope="module")
def mnist():
    return tfds_dataset("mnist", pool_size=600, test_size=300)


def _classifier(num_classes=10, name="plain"):
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(32, activation="relu", name="features"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name=name)  # fmt: skip


def _readme_block():
    text = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    marker = "<!-- README-from-python: tests/test_library.py runs this block as written -->"
    after = text[text.index(marker) + len(marker):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_readmes_from_python_block_runs_as_written(tmp_path, monkeypatch):
    """The README's notebook round, `ask_a_person` answering with MNIST's true labels: three
    query/teach rounds and run() give a finished 3-cycle campaign with an export per cycle."""
    monkeypatch.chdir(tmp_path)
    truth = tfds_dataset("mnist", pool_size=2000, test_size=500).y_pool
    asked = []

    def ask_a_person(images, guesses):
        labels = [int(truth[i]) for i in asked_indices()]
        asked.append((len(images), guesses is None))
        return [str(y) for y in labels]  # class names, as a person would type them

    namespace = {"ask_a_person": ask_a_person}

    def asked_indices():
        return namespace["query"].indices

    exec(compile(_readme_block(), "README.md", "exec"), namespace)
    campaign = namespace["campaign"]
    assert campaign.finished and [r["num_labeled"] for r in campaign.results] == [10, 20, 30]
    assert asked == [(10, True), (10, False), (10, False)]  # L0 has no guesses, later ones do
    assert sorted(os.listdir(campaign.export_dir())) == ["1", "2", "3"]
    state = json.load(open(tmp_path / "runs/notebook/state.json"))
    assert state["labels"] == [int(truth[i]) for i in state["labeled_idx"]]


def test_every_call_continues_and_nothing_restarts(tmp_path, mnist):
    """run() twice, step() and query() after the end: the second run adds nothing, the others
    say the campaign is finished; results.jsonl holds each cycle once."""
    with tfal.Campaign(model=_classifier(), data=mnist, oracle="simulated", num_cycles=2,
                       budget=5, sup_epochs=5, run_dir=str(tmp_path / "run")) as campaign:  # fmt: skip
        first = campaign.step()
        assert first.next_cycle == 1 and len(first.labeled_idx) == 15
        campaign.run()
        rows = raw_rows(campaign.run_dir)
        assert campaign.run().finished and raw_rows(campaign.run_dir) == rows
        with pytest.raises(ValueError, match="finished"):
            campaign.step()
        with pytest.raises(ValueError, match="finished"):
            campaign.query()
    assert [r["cycle"] for r in rows if r["stage"] == "cycle"] == [0, 1]


def test_teach_keeps_each_label_on_its_index_and_refuses_a_wrong_answer(tmp_path, mnist):
    with tfal.Campaign(model=_classifier(), data=mnist, num_cycles=2, budget=5, sup_epochs=2,
                       run_dir=str(tmp_path / "run")) as campaign:  # fmt: skip
        query = campaign.query()
        with pytest.raises(ValueError, match="exactly once"):
            campaign.teach(query.indices[:-1], mnist.y_pool[query.indices[:-1]])
        with pytest.raises(ValueError, match="label 'owl'; allowed: 0, 1"):
            campaign.teach(query.indices, ["owl"] * len(query))
        with pytest.raises(ValueError, match="wait for labels"):
            campaign.step()
        order = np.argsort(-query.indices)  # answered in another order than asked
        campaign.teach(query.indices[order], mnist.y_pool[query.indices[order]])
        state = json.load(open(os.path.join(campaign.run_dir, "state.json")))
        assert state["labels"] == [int(mnist.y_pool[i]) for i in state["labeled_idx"]]


def test_float_images_are_refused_and_converted_as_told_serve_the_trained_accuracy(
    tmp_path, mnist
):
    """Float pixels in [0, 1]: refused before anything is written, with how to convert them;
    converted that way, the exported SavedModel (raw uint8 in) scores the test split exactly as
    the campaign's in-memory evaluation did."""
    x_pool, x_test = mnist.x_pool.astype(np.float32) / 255, mnist.x_test.astype(np.float32) / 255
    run_dir = tmp_path / "run"
    with pytest.raises(ValueError, match=re.escape("(x * 255).round().astype(np.uint8)")):
        tfal.Campaign(model=_classifier(), data=(x_pool, mnist.y_pool, x_test, mnist.y_test),
                      run_dir=str(run_dir))  # fmt: skip
    assert not run_dir.exists()
    data = ((x_pool * 255).round().astype(np.uint8), mnist.y_pool,
            (x_test * 255).round().astype(np.uint8), mnist.y_test)  # fmt: skip
    keras.utils.set_random_seed(0)  # a trained model, not one that a bad draw left at chance
    with tfal.Campaign(model=_classifier(), data=data, oracle="simulated", num_cycles=1,
                       labels_per_class=10, sup_epochs=30, run_dir=str(run_dir),
                       gin_bindings=["Trainer.learning_rate = 0.05"]) as campaign:  # fmt: skip
        campaign.run()
        accuracy = campaign.results[0]["test_accuracy"]
        served = tfal.serving.load_for_inference(os.path.join(campaign.export_dir(), "1"))
    predicted = served(data[2])["class_ids"]
    assert accuracy > 0.3 and np.mean(predicted == mnist.y_test) == pytest.approx(accuracy, abs=1e-9)


def _wrong_outputs():
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, [keras.layers.Dense(10)(flat), keras.layers.Dense(3)(flat)])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: _classifier(num_classes=5), r"'logits' has shape \(2, 5\) for 2 images; expected \(2, 10\)"),
        (_wrong_outputs, "has 2 outputs; expected one of class scores"),
        (lambda: _classifier(name="p"), "has no layer 'nope'; its layers: conv2d"),
    ],
)
def test_a_model_of_the_wrong_shape_is_refused_before_anything_is_written(
    tmp_path, mnist, make, message
):
    run_dir = tmp_path / "run"
    embedding = "nope" if "nope" in message else None
    with pytest.raises(ValueError, match=message) as raised:
        tfal.Campaign(model=make(), embedding_layer=embedding, data=mnist, run_dir=str(run_dir))
    assert "\n" not in str(raised.value)
    assert not run_dir.exists() or list(run_dir.iterdir()) == []


def test_a_model_fn_returning_a_plain_classifier_is_named_in_one_line(tmp_path, mnist):
    """The CLI's path too: Trainer checks what model_fn built (here a plain Keras classifier)."""
    with pytest.raises(ValueError, match=r"returns one tensor of shape \(2, 10\); a tfal model"):
        tfal.Campaign(model_fn=lambda num_classes, input_shape, seed: _classifier(),
                      data=mnist, run_dir=str(tmp_path / "run"))  # fmt: skip
    assert list((tmp_path / "run").iterdir()) == []


def test_keras_callbacks_see_every_sup_phase_and_semi_epoch(tmp_path, mnist):
    """A CSVLogger gets one row per SUP phase and SEMI epoch, with the loss results.jsonl has."""
    log = tmp_path / "epochs.csv"
    with tfal.Campaign(
        data=mnist, oracle="simulated", run_dir=str(tmp_path / "run"), num_cycles=2,
        gin_files=["gin_configs/testing/tiny.gin", "gin_configs/setting/semi.gin"],
        gin_bindings=["ActiveLearningLoop.sup_epochs = 5"],
        callbacks=[keras.callbacks.CSVLogger(str(log))],
    ) as campaign:  # fmt: skip
        campaign.run()
        rows = [r for r in raw_rows(campaign.run_dir) if r["stage"] in ("sup", "semi")]
    logged = list(csv.DictReader(log.open()))
    assert [(int(float(r["cycle"])), float(r["semi"])) for r in logged] == [
        (0, 0.0), (0, 1.0), (0, 1.0), (1, 0.0), (1, 1.0), (1, 1.0)
    ]
    assert [float(r["loss"]) for r in logged] == pytest.approx([r["loss"] for r in rows], rel=1e-6)
    assert all(float(r["learning_rate"]) >= 0 for r in logged)


def test_tf_data_in_a_temporary_directory_without_export_or_checkpoints(mnist):
    import tensorflow as tf

    pool = tf.data.Dataset.from_tensor_slices({"image": mnist.x_pool, "label": mnist.y_pool})
    test = tf.data.Dataset.from_tensor_slices((mnist.x_test, mnist.y_test))
    with tfal.Campaign(model=_classifier(), data=(pool, test), oracle="simulated", num_cycles=2,
                       sup_epochs=2, export=False, checkpoints=False) as campaign:  # fmt: skip
        campaign.run()
        assert campaign.finished and os.path.isdir(campaign.run_dir)
        assert not os.path.exists(os.path.join(campaign.run_dir, "export"))
        assert np.array_equal(campaign.dataset.x_pool, mnist.x_pool)


def _python(run_dir, how):
    """The campaign of subprocess_campaigns.ARGS through tfal.Campaign, in this process."""
    files = ["gin_configs/testing/tiny.gin", "gin_configs/setting/semi.gin"]
    bindings = [a.split("=", 1)[1] for a in ARGS if a.startswith("--gin_bindings=")]
    with tfal.Campaign(gin_files=files, gin_bindings=bindings, oracle="simulated",
                       run_dir=run_dir) as campaign:  # fmt: skip
        campaign.step() if how == "step" else campaign.run()


def test_python_and_the_cli_resume_each_others_campaigns_exactly(
    tmp_path, request, monkeypatch, capsys
):
    """Started in Python (one step) and finished by the CLI; started by the CLI (killed after
    cycle 1's row) and finished in Python: both end exactly like the straight CLI run. A campaign
    given Python objects is refused by the CLI in one line. Only the killed run is a process of
    its own: the CLI's other runs go through tfal.main's main() here, a process start costs
    seconds."""
    repo_root = request.config.rootpath
    monkeypatch.chdir(repo_root)

    def cli(run_dir):
        return in_process(repo_root, monkeypatch, capsys, run_dir)

    straight = str(tmp_path / "straight")
    assert cli(straight)[0] == 0
    python_first = str(tmp_path / "python_first")
    _python(python_first, "step")
    assert len(json.load(open(os.path.join(python_first, "state.json")))["acquired"]) == 1
    assert cli(python_first)[0] == 0
    assert outcome(python_first) == outcome(straight)
    cli_first = str(tmp_path / "cli_first")
    assert run(repo_root, cli_first, fault="results_row@1:kill").returncode == -9
    _python(cli_first, "run")
    assert outcome(cli_first) == outcome(straight)
    with open(os.path.join(cli_first, "objects.json"), "w") as f:
        json.dump({"model": "plain"}, f)  # as a campaign given a Keras model records it
    code, err = cli(cli_first)
    assert code == 2
    assert "was started from Python with objects that gin cannot name: model (plain)" in (
        err.strip().splitlines()[-1]
    )


def test_a_resumed_campaign_given_a_new_model_object_restarts_from_the_first_theta0(tmp_path, mnist):
    """A kernel restart builds the model again, with other initial weights: the campaign puts
    its first theta_0 back (checkpoints/initial_weights.npz), so stepping once, closing and
    resuming with the new object ends exactly like the straight run."""
    args = dict(data=mnist, oracle="simulated", num_cycles=3, budget=5, sup_epochs=5)
    keras.utils.set_random_seed(1)
    with tfal.Campaign(model=_classifier(), run_dir=str(tmp_path / "straight"), **args) as c:
        c.run()
        straight = [r["test_accuracy"] for r in c.results], c.state.labeled_idx
    keras.utils.set_random_seed(1)
    with tfal.Campaign(model=_classifier(), run_dir=str(tmp_path / "resumed"), **args) as c:
        c.step()
    keras.utils.set_random_seed(2)  # the restarted kernel's model: another initial draw
    with tfal.Campaign(model=_classifier(), run_dir=str(tmp_path / "resumed"), **args) as c:
        c.run()
        assert ([r["test_accuracy"] for r in c.results], c.state.labeled_idx) == straight
    with pytest.raises(ValueError, match="holds the weights of another model"):
        tfal.Campaign(model=_wrong_width(), run_dir=str(tmp_path / "resumed"), **args)


def _wrong_width():
    return keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu", name="features"), keras.layers.Dense(10),
    ])  # fmt: skip
