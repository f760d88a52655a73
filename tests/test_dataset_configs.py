"""The Table 1 experiment configs: their numbers are the paper's, and each runs end to end.

The runs use `tfds.testing.mock_data` with the real dataset's features (name, image shape, number
of classes from the TFDS builder), balanced labels, a tiny network and tiny L0/budget/epochs; the
dataset-specific bindings (name, flips, batch sizes, model name) stay those of the config.
"""

import json
import os
from typing import NamedTuple

import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from tfal import campaign, models
from tfal.gin_files import CONFIGS_DIR as GIN_CONFIGS_DIR

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it


class Row(NamedTuple):
    """One experiment of Table 1 and section 6.1, as its config must state it."""

    name: str  # TFDS name
    model_name: str
    shape: tuple[int, int, int]
    classes: int
    per_class: int  # |L0| / classes
    budget: int
    batch: int  # mini-batch without SEMI
    flip: bool
    clusters: int | None  # DeepCluster k = 5 x classes (authors' code); None: left to the default
    total: int  # labels after the 5 cycles
    semi_batch: int = 128
    semi_labeled: int = 50


TABLE_1 = {
    "mnist_1label": Row("mnist", "mnist", (28, 28, 1), 10, 1, 10, 10, False, None, 50, 64, 10),
    "svhn_b100": Row("svhn_cropped", "svhn", (32, 32, 3), 10, 10, 100, 32, True, 50, 500),
    "cifar10_b100": Row("cifar10", "cifar10", (32, 32, 3), 10, 10, 100, 32, True, 50, 500),
    "cifar10_b1000": Row("cifar10", "cifar10", (32, 32, 3), 10, 100, 1000, 32, True, 50, 5000),
    "cifar100_b1000": Row("cifar100", "cifar100", (32, 32, 3), 100, 10, 1000, 32, True, 500, 5000),
}
MOCK_EXAMPLES = 220  # per split: L0 (1 per class, up to 100) + one acquisition + an unlabeled rest
TINY_BUDGET = 7
SHAPES_SEEN: list[tuple] = []  # (num_classes, input_shape) of every model the runs built


@gin.configurable(module="tests")
def recording_small_cnn(num_classes: int, input_shape: tuple[int, int, int], seed: int):
    """small_cnn at minimal width, remembering what the loop asked for."""
    SHAPES_SEEN.append((num_classes, tuple(input_shape)))
    return models.small_cnn(num_classes, input_shape, widths=(4, 8, 8), seed=seed)


def _tiny_overrides() -> list[str]:
    """Shrinks sizes and compute only; everything dataset-specific stays the config's."""
    return [
        "ActiveLearningLoop.labels_per_class = 1",
        f"ActiveLearningLoop.budget = {TINY_BUDGET}",
        "ActiveLearningLoop.num_cycles = 2",
        "ActiveLearningLoop.sup_epochs = 1",
        "ActiveLearningLoop.eval_batch_size = 128",
        "Trainer.model_fn = @tests.recording_small_cnn",
        "Trainer.steps_per_call = 10",
    ]


def _balanced_mock_split(self, split, decoders=None, read_config=None, **kwargs):
    """Random images of the builder's real shape, labels i % classes: every class is present."""
    del decoders, read_config, kwargs
    shape = self.info.features["image"].shape
    num_classes = self.info.features["label"].num_classes
    rng = np.random.default_rng(0 if str(split) == "train" else 1)
    images = rng.integers(0, 256, size=(MOCK_EXAMPLES, *shape), dtype=np.uint8)
    labels = np.arange(MOCK_EXAMPLES, dtype=np.int64) % num_classes
    return tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})


def _operative_lines(run_dir: str) -> set[str]:
    with open(os.path.join(run_dir, "operative_config.gin")) as f:
        return {line.strip() for line in f}


def _parse(config: str) -> None:
    files = [os.path.join(GIN_CONFIGS_DIR, f"{config}.gin")]
    campaign.parse_gin(files, [])


def _run(config: str, run_dir: str, extra_files: list[str] = (), bindings: list[str] = ()):
    files = [os.path.join(GIN_CONFIGS_DIR, f"{config}.gin"), *extra_files]
    campaign.parse_gin(files, [*_tiny_overrides(), *bindings])
    SHAPES_SEEN.clear()
    with tfds.testing.mock_data(as_dataset_fn=_balanced_mock_split):
        state = campaign.run(run_dir)
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    return state, rows


@pytest.mark.parametrize("config", sorted(TABLE_1))
def test_config_holds_its_table_1_row(config):
    row = TABLE_1[config]
    _parse(config)
    q = gin.query_parameter
    assert q("tfds_dataset.name") == row.name
    assert q("ActiveLearningLoop.model_name") == row.model_name
    # the paper's method unless a setting file says otherwise
    assert q("ActiveLearningLoop.semi").selector == "tfal.loop.SemiSupervised"
    assert q("ActiveLearningLoop.pretrain") is None
    assert q("ActiveLearningLoop.labels_per_class") == row.per_class
    assert q("ActiveLearningLoop.budget") == row.budget
    cycles = q("ActiveLearningLoop.num_cycles")
    assert cycles == 5 and row.per_class * row.classes + (cycles - 1) * row.budget == row.total
    assert q("ActiveLearningLoop.sup_batch_size") == row.batch
    assert q("ActiveLearningLoop.sup_epochs") == q("SemiSupervised.epochs") == 200
    assert q("SemiSupervised.batch_size") == row.semi_batch
    assert q("SemiSupervised.num_labeled") == row.semi_labeled
    assert q("Augmentation.max_shift") == 4 and q("Augmentation.horizontal_flip") is row.flip
    assert (q("Trainer.learning_rate"), q("Trainer.rampdown_epochs_ratio")) == (0.2, 1.05)
    assert (q("Trainer.momentum"), q("Trainer.nesterov")) == (0.9, True)
    assert q("Trainer.weight_decay") == 2e-4
    assert q("Trainer.model_fn").selector == "tfal.models.conv_large"
    if row.clusters is not None:  # PRE as section 6.1: 250 epochs, k = 5 x classes
        assert q("DeepCluster.epochs") == 250 and q("DeepCluster.num_clusters") == row.clusters


@pytest.mark.parametrize("config", sorted(TABLE_1))
def test_config_runs_two_tiny_cycles_on_its_dataset(config, tmp_path):
    row = TABLE_1[config]
    run_dir = str(tmp_path / "run")
    baseline = os.path.join(GIN_CONFIGS_DIR, "setting", "baseline.gin")  # SUP only: SEMI below
    state, rows = _run(config, run_dir, [baseline])
    cycles = [r for r in rows if r["stage"] == "cycle"]
    assert [r["cycle"] for r in cycles] == [0, 1]
    assert [r["num_labeled"] for r in cycles] == [row.classes, row.classes + TINY_BUDGET]
    assert all(0.0 <= r["test_accuracy"] <= 1.0 for r in cycles)
    assert SHAPES_SEEN and set(SHAPES_SEEN) == {(row.classes, row.shape)}
    assert state.finished and state.dataset == row.name and state.setting == "baseline"
    saved = json.load(open(os.path.join(run_dir, "state.json")))
    assert saved["finished"] and len(set(saved["labeled_idx"])) == row.classes + TINY_BUDGET
    assert sorted(saved["labels"][: row.classes]) == list(range(row.classes))  # balanced L0
    assert sorted(os.listdir(os.path.join(run_dir, "export", row.model_name))) == ["1", "2"]
    sup = [r for r in rows if r["stage"] == "sup"]
    assert [r["num_examples"] for r in sup] == [row.classes, row.classes + TINY_BUDGET]
    assert [r["steps"] for r in sup] == [max(1, r["num_examples"] // row.batch) for r in sup]
    # the dataset-specific bindings were used by the run, not only parsed
    assert {
        f"tfds_dataset.name = '{row.name}'",
        f"Augmentation.horizontal_flip = {row.flip}",
        "Augmentation.max_shift = 4",
        f"ActiveLearningLoop.sup_batch_size = {row.batch}",
        "Trainer.learning_rate = 0.2",
    } <= _operative_lines(run_dir)


def test_semi_runs_on_colour_images(tmp_path):
    run_dir = str(tmp_path / "run")
    semi = os.path.join(GIN_CONFIGS_DIR, "setting", "semi.gin")
    state, rows = _run(
        "svhn_b100", run_dir, [semi], ["SemiSupervised.epochs = 1", "SemiSupervised.k = 10"]
    )
    assert state.finished and state.setting == "semi"
    assert SHAPES_SEEN and set(SHAPES_SEEN) == {(10, (32, 32, 3))}
    semi_rows = [r for r in rows if r["stage"] == "semi"]
    assert [(r["cycle"], r["epoch"]) for r in semi_rows] == [(0, 0), (1, 0)]
    # the config's SEMI batches: 128 with 50 labeled, |U| / 2 pseudo-labels per epoch
    unlabeled = [MOCK_EXAMPLES - 10, MOCK_EXAMPLES - 10 - TINY_BUDGET]
    assert [r["steps"] for r in semi_rows] == [max(1, round(u / 2) // 78) for u in unlabeled]
    assert all(np.isfinite(r["loss"]) and 0.0 <= r["mean_weight"] <= 1.0 for r in semi_rows)
    assert all(0.0 <= r["lp_accuracy"] <= 1.0 for r in semi_rows)
    cycles = [r for r in rows if r["stage"] == "cycle"]
    assert [r["num_labeled"] for r in cycles] == [10, 10 + TINY_BUDGET]
    assert {
        "SemiSupervised.batch_size = 128",
        "SemiSupervised.num_labeled = 50",
        "Augmentation.horizontal_flip = True",
    } <= _operative_lines(run_dir)
