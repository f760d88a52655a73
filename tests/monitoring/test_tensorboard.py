"""TensorBoardWriter: write summaries, read the event file back, check tags, steps and values."""

import glob
import io
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfal.monitoring.tensorboard import TensorBoardWriter, label_grid


def _events(logdir):
    """[(tag, step, plugin name, value proto)] of every summary value in `logdir`."""
    out = []
    for path in sorted(glob.glob(f"{logdir}/events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                out.append((value.tag, event.step, value.metadata.plugin_data.plugin_name, value))
    return out


@pytest.fixture
def logged(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28, 1), dtype=np.uint8)
    with TensorBoardWriter(str(tmp_path)) as writer:
        writer.hparams({"strategy": "jlp", "budget": 10, "lr": 0.2, "semi": True, "k": None})
        for step in range(3):
            writer.scalars({"train/loss": 1.0 / (step + 1), "train/learning_rate": 0.2}, step)
        writer.scalars({"cycle/test_accuracy": 0.42}, step=20)
        writer.images(
            "acquired/images", images, [3, 1, 4, 1, 5], step=20, class_names=list("abcdef")
        )
        writer.text("config/operative", "ActiveLearningLoop.seed = 0", step=0)
        writer.flush()
    return _events(tmp_path)


def test_scalars_read_back_with_their_steps(logged):
    loss = [(s, float(tf.make_ndarray(v.tensor))) for t, s, _, v in logged if t == "train/loss"]
    assert loss == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    lr = [s for t, s, _, _ in logged if t == "train/learning_rate"]
    assert lr == [0, 1, 2]
    acc = [
        (s, float(tf.make_ndarray(v.tensor))) for t, s, _, v in logged if t == "cycle/test_accuracy"
    ]
    assert acc == [(20, pytest.approx(0.42))]


def test_image_text_and_hparams_are_present(logged):
    (image,) = [v for t, _, p, v in logged if t == "acquired/images" and p == "images"]
    width, height, png = tf.make_ndarray(image.tensor)
    decoded = Image.open(io.BytesIO(png))
    assert decoded.size == (int(width), int(height)) and decoded.mode == "RGB"
    assert "labels: d, b, e, b, f" in image.metadata.summary_description
    (text,) = [v for t, _, p, v in logged if t == "config/operative" and p == "text"]
    assert tf.make_ndarray(text.tensor).item() == b"ActiveLearningLoop.seed = 0"
    hparams = [t for t, _, p, _ in logged if p == "hparams"]
    assert "_hparams_/session_start_info" in hparams


def test_scalars_carry_their_description_and_an_undescribed_tag_is_refused(logged, tmp_path):
    described = {t: v.metadata.summary_description for t, _, p, v in logged if p == "scalars"}
    assert set(described) == {"train/loss", "train/learning_rate", "cycle/test_accuracy"}
    assert all(described.values()) and "Step: number of labels" in described["cycle/test_accuracy"]
    with TensorBoardWriter(str(tmp_path / "other")) as writer:
        with pytest.raises(ValueError, match="no description.*'train/los'"):
            writer.scalars({"train/los": 1.0}, step=0)


def test_hparams_named_first_are_marked_so_tensorboard_lists_them_first(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    values = {"a_binding": 1, "seed": 0, "dataset": "mnist"}
    with TensorBoardWriter(str(tmp_path)) as writer:
        writer.hparams(values, ["cycle/test_accuracy"], first=["dataset", "seed"],
                       descriptions={"seed": "the seed"})  # fmt: skip
        with pytest.raises(ValueError, match="not in values"):
            writer.hparams(values, first=["strategy"])
    (content,) = [v.metadata.plugin_data.content for t, _, _, v in _events(tmp_path)
                  if t == "_hparams_/experiment"]  # fmt: skip
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    infos = [(h.name, h.differs, h.description) for h in experiment.hparam_infos]
    assert infos == [("dataset", True, ""), ("seed", True, "the seed"), ("a_binding", False, "")]
    (metric,) = experiment.metric_infos
    assert metric.name.tag == "cycle/test_accuracy" and metric.description


def test_label_grid_layout_and_pixels():
    images = np.zeros((5, 28, 28, 1), np.uint8)
    images[2] = 255
    grid = label_grid(images, [0, 1, 2, 3, 4])
    # 5 tiles -> 3 columns x 2 rows of 84 x 84 (28 upscaled x3), a 14 px caption strip, 2 px gaps
    assert grid.shape == (2 * (84 + 14 + 2) - 2, 3 * (84 + 2) - 2, 3) and grid.dtype == np.uint8
    assert np.all(grid[0:84, 172:256] == 255)  # tile 2: white, first row, third column
    assert not grid[0:84, 170:172].any()  # the gap before it
    assert np.all(grid[0:84, 0:84] == 0)
    assert grid[84:98, 0:84].any()  # the label "0" drawn in the caption strip
    with pytest.raises(ValueError, match="one label per image"):
        label_grid(images, [0, 1])
    with pytest.raises(ValueError, match="out of range"):
        label_grid(images, [0, 1, 2, 3, 9], class_names=list("abc"))


def test_max_images_caps_the_grid(tmp_path):
    images = np.zeros((30, 8, 8, 3), np.uint8)
    with TensorBoardWriter(str(tmp_path), max_images=4) as writer:
        writer.images("acquired/images", images, list(range(30)), step=1)
    (value,) = [v for t, _, _, v in _events(tmp_path) if t == "acquired/images"]
    width, height, _ = tf.make_ndarray(value.tensor)
    assert (int(width), int(height)) == (2 * 66 - 2, 2 * (64 + 14 + 2) - 2)
    assert value.metadata.summary_description.startswith("4 of 30 images")


def test_none_logdir_is_a_no_op(tmp_path):
    writer = TensorBoardWriter(None)
    writer.scalars({"a": 1.0}, 0)
    writer.images("i", np.zeros((1, 4, 4, 1), np.uint8), [0], 0)
    writer.text("t", "x", 0)
    writer.hparams({"a": 1})
    writer.flush()
    writer.close()
    assert list(tmp_path.iterdir()) == []


def test_reading_results_does_not_import_tensorflow():
    code = (
        "import sys\nfrom tfal.monitoring import read_results, ResultsWriter\n"
        "assert 'tensorflow' not in sys.modules, 'tfal.monitoring imported tensorflow'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    import tfal.monitoring

    assert tfal.monitoring.TensorBoardWriter is TensorBoardWriter
