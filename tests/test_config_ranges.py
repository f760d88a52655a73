"""Every ranged gin parameter, at its boundaries, against a table written by hand.

tests/test_config_types.py draws its bad values from the annotations themselves (`Range.problem`),
so a bound that moved, or an open end turned closed, moves its test with it. The table below is
written from the docstrings, the paper and the README instead, one row per parameter: the values
that must be refused (just outside a closed end, or exactly on an open end) and the values that
must be allowed (exactly on a closed end, or the nearest float inside an open one: 5e-324 above 0,
0.9999999999999999 below 1). Each goes through what users run, `tfal.campaign.parse_gin` on the
shipped tiny config plus one binding: a refused value is a ValueError in one line naming the
binding and the value, an allowed one parses.

The budget against the pool is a constraint between parameters and the data (`check_sizes`, when
the loop is built): b must be smaller than |U| after L0, so b = |U| is refused and b = |U| - 1
allowed, on small fake datasets whose |U| is counted by hand; `budget_left` gives b while at least
b examples are unlabeled and the rest otherwise.
"""

import logging
import os

import numpy as np
import pytest

from tfal import campaign
from tfal.data.sources import Dataset
from tfal.loop import ActiveLearningLoop, acquire
from tfal.loop.constraints import check_sizes

TINY = "gin_configs/testing/tiny.gin"

# Nearest floats to the bounds, written out (math.nextafter of the bound).
ABOVE_0, BELOW_0 = "5e-324", "-5e-324"
BELOW_1, ABOVE_1 = "0.9999999999999999", "1.0000000000000002"

# (binding, documented range, refused values, allowed values): gin literals.
COUNT = (("0", "10000001"), ("1", "10000000"))  # [1, 10_000_000] examples
EPOCHS = (("0", "100001"), ("1", "100000"))  # [1, 100_000]
EPOCHS_OR_NONE = (("-1", "100001"), ("0", "100000"))  # [0, 100_000], 0 skips the stage
BATCH = (("0", "65537"), ("1", "65536"))  # [1, 65_536]
SEED = (("-1", "2147483648"), ("0", "2147483647"))  # [0, 2**31 - 1]: faiss' C int
LEARNING_RATE = (("0.0", "0", BELOW_0, "100.00000000000001"), (ABOVE_0, "100.0"))  # (0, 100]
BELOW_ONE = ((BELOW_0, "1.0"), ("0.0", BELOW_1))  # [0, 1): momentum, dropout
UNIT = ((BELOW_0, ABOVE_1), ("0.0", "1.0"))  # [0, 1]
OPEN_UNIT = (("0.0", "1.0"), (ABOVE_0, BELOW_1))  # (0, 1)
IMAGE_SIZE = (("(0, 28)", "(28, 2049)"), ("(1, 1)", "(2048, 2048)"))  # sides in [1, 2_048]

TABLE = [
    ("ActiveLearningLoop.labels_per_class", *COUNT),
    ("ActiveLearningLoop.budget", *COUNT),
    ("ActiveLearningLoop.num_cycles", ("0", "10001"), ("1", "10000")),  # [1, 10_000]
    ("ActiveLearningLoop.seed", *SEED),
    ("ActiveLearningLoop.sup_epochs", *EPOCHS_OR_NONE),
    ("ActiveLearningLoop.sup_batch_size", *BATCH),
    ("ActiveLearningLoop.eval_batch_size", *BATCH),
    ("ActiveLearningLoop.mc_dropout_samples", ("0", "1001"), ("1", "1000")),  # [1, 1_000]
    ("Trainer.learning_rate", *LEARNING_RATE),
    ("Trainer.momentum", *BELOW_ONE),
    ("Trainer.weight_decay", *UNIT),
    # the cosine reaches zero at this multiple of the phase, never before its end: [1, 100]
    ("Trainer.rampdown_epochs_ratio", (BELOW_1, "100.00000000000001"), ("1.0", "100.0")),
    ("Trainer.steps_per_call", *EPOCHS),  # [1, 100_000]
    # LP (eq. (9)): alpha in (0, 1); alpha = 0 gives Z = Y, every unlabeled row zero
    ("LPConfig.alpha", *OPEN_UNIT),
    ("LPConfig.gamma", ("0.0", "1000000.0000000001"), (ABOVE_0, "1000000.0")),  # (0, 1e6]
    ("LPConfig.tol", *OPEN_UNIT),  # CG's relative residual: (0, 1)
    ("LPConfig.k", ("0", "10001"), ("1", "10000")),  # [1, 10_000] neighbours
    ("LPConfig.max_iter", *EPOCHS),  # [1, 100_000] CG iterations
    ("LPConfig.nprobe", ("0", "1048577"), ("1", "1048576")),  # [1, 2**20]
    ("LPConfig.nlist", ("0", "1048577"), ("1", "1048576")),
    ("LPConfig.whiten_dim", ("0", "65537"), ("1", "65536")),  # [1, 2**16]
    ("SemiSupervised.alpha", *OPEN_UNIT),  # SEMI's LP: the same alpha
    ("SemiSupervised.tol", *OPEN_UNIT),
    ("SemiSupervised.epochs", *EPOCHS),
    ("SemiSupervised.sup_epochs", *EPOCHS_OR_NONE),
    ("SemiSupervised.batch_size", ("1", "65537"), ("2", "65536")),  # >= 2: one labeled, one not
    ("SemiSupervised.num_labeled", *BATCH),
    ("SemiSupervised.epoch_fraction", ("0.0", ABOVE_1), (ABOVE_0, "1.0")),  # (0, 1] of |U|
    ("SemiSupervised.pixel_epochs", *EPOCHS_OR_NONE),
    ("SemiSupervised.warm_epochs", *EPOCHS),
    ("DeepCluster.epochs", *EPOCHS),
    ("DeepCluster.num_clusters", ("1", "1000001"), ("2", "1000000")),  # k-means: k >= 2
    ("DeepCluster.pca_dim", *BATCH),
    ("DeepCluster.batch_size", *BATCH),
    ("DeepCluster.learning_rate", *LEARNING_RATE),
    ("DeepCluster.momentum", *BELOW_ONE),
    ("DeepCluster.weight_decay", *UNIT),
    ("DeepCluster.kmeans_iterations", *EPOCHS),
    ("DeepCluster.checkpoint_every", *EPOCHS),
    ("DeepCluster.extract_batch_size", *BATCH),
    ("StrokeJitter.probability", *UNIT),  # 0 turns the jitter off
    ("StrokeJitter.size", ("1", "65"), ("2", "64")),  # a 2-pixel filter grows strokes by one
    ("Augmentation.max_shift", ("-1", "65"), ("0", "64")),
    ("InputPipeline.parallel_calls", ("0", "1025"), ("1", "1024")),
    ("InputPipeline.prefetch", ("0", "1025"), ("1", "1024")),
    ("tfds_dataset.pool_size", *COUNT),
    ("tfds_dataset.test_size", *COUNT),
    ("tfds_dataset.subset_seed", *SEED),
    ("tfds_dataset.image_size", *IMAGE_SIZE),
    ("image_folder_dataset.test_fraction", *OPEN_UNIT),  # neither split may be empty
    ("image_folder_dataset.split_seed", *SEED),
    ("image_folder_dataset.image_size", *IMAGE_SIZE),
    ("npz_dataset.test_fraction", *OPEN_UNIT),
    ("npz_dataset.split_seed", *SEED),
    ("small_cnn.widths", ("(0, 8, 8)", "(8, 8, 4097)"), ("(1, 1, 1)", "(4096, 4096, 4096)")),
    ("small_cnn.dropout", *BELOW_ONE),
    ("small_cnn.leaky_slope", *UNIT),
    ("conv_large.dropout", *BELOW_ONE),
    ("conv_large.leaky_slope", *UNIT),
    ("keras_application.dropout", *BELOW_ONE),
    # eq. (7): the threshold on the normalised entropy, in [-1, 1]; below 0 none
    (
        "tfal.acquisition.ceal_pseudo_labels.threshold",
        ("-1.0000000000000002", ABOVE_1),
        ("-1.0", "1.0"),
    ),
    ("tfal.acquisition.ceal_pseudo_labels.decay", *UNIT),
    ("tfal.acquisition.jlp.batch_size_per_solve", *COUNT),
]

REFUSED = [(binding, value) for binding, refused, _ in TABLE for value in refused]
ALLOWED = [(binding, value) for binding, _, allowed in TABLE for value in allowed]


def _parse(repo_root, binding: str, value: str) -> None:
    campaign.parse_gin([str(repo_root / TINY)], [f"{binding} = {value}"])


@pytest.mark.parametrize("binding, value", REFUSED, ids=[f"{b}={v}" for b, v in REFUSED])
def test_a_value_outside_the_documented_range_is_refused_in_one_line(repo_root, binding, value):
    with pytest.raises(ValueError) as e:
        _parse(repo_root, binding, value)
    message = str(e.value)
    selector, param = binding.rsplit(".", 1)
    named = f"{selector.rsplit('.', 1)[-1]}.{param} = {value}"  # gin names it without module
    assert "\n" not in message and named in message and "expected" in message, message


@pytest.mark.parametrize("binding, value", ALLOWED, ids=[f"{b}={v}" for b, v in ALLOWED])
def test_a_value_on_the_documented_boundary_is_allowed(repo_root, binding, value):
    _parse(repo_root, binding, value)


def _fake(num_classes: int, per_class: int) -> Dataset:
    """A pool of `per_class` 16x16 grey images of each class (and a test split like it)."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(num_classes), per_class)
    x = rng.integers(0, 256, (len(y), 16, 16, 1), dtype=np.uint8)
    names = tuple(str(c) for c in range(num_classes))
    return Dataset("fake", x, y, x.copy(), y.copy(), names)


# (classes, images per class, labels per class, |U| after L0 counted by hand)
POOLS = [(3, 8, 2, 18), (10, 20, 1, 190), (2, 5, 4, 2)]


@pytest.mark.parametrize("classes, per_class, labels_per_class, unlabeled", POOLS)
def test_a_budget_of_the_whole_unlabeled_pool_is_refused_and_one_less_allowed(
    classes, per_class, labels_per_class, unlabeled
):
    data = _fake(classes, per_class)
    with pytest.raises(ValueError, match=rf"budget={unlabeled} must be smaller than the unlabeled"):
        check_sizes(data, labels_per_class=labels_per_class, budget=unlabeled, semi=None)
    check_sizes(data, labels_per_class=labels_per_class, budget=unlabeled - 1, semi=None)


def test_the_budget_edge_through_gin_and_the_loop(repo_root, tmp_path):
    """The same edge as users meet it: an .npz pool of 3 classes x 8 images, L0 = 2 per class,
    so |U| = 18: the loop refuses b = 18 before writing anything and builds with b = 17."""
    data = _fake(3, 8)
    npz = tmp_path / "fake.npz"
    np.savez(npz, x_pool=data.x_pool, y_pool=data.y_pool, x_test=data.x_test, y_test=data.y_test)
    for budget, refused in ((18, True), (17, False)):
        campaign.parse_gin(
            [str(repo_root / TINY)],
            [
                "ActiveLearningLoop.dataset = @tfal.data.npz_dataset()",
                f"npz_dataset.path = '{npz}'",
                "ActiveLearningLoop.labels_per_class = 2",
                f"ActiveLearningLoop.budget = {budget}",
            ],
        )
        run_dir = tmp_path / f"run{budget}"
        run_dir.mkdir()
        if refused:
            with pytest.raises(ValueError, match="budget=18 must be smaller than the unlabeled"):
                ActiveLearningLoop(str(run_dir))
            assert os.listdir(run_dir) == []
        else:
            assert ActiveLearningLoop(str(run_dir)).budget == 17


@pytest.mark.parametrize(
    "pool_size, num_labeled, expected, warned",
    [(30, 20, 10, False), (30, 21, 9, True), (30, 29, 1, True), (30, 10, 10, False)],
)
def test_budget_left_is_the_budget_until_fewer_remain(
    caplog, pool_size, num_labeled, expected, warned
):
    """b = 10: exactly 10 unlabeled left is a full batch, 9 left gives 9 (said in a warning)."""
    with caplog.at_level(logging.WARNING):
        left = acquire.budget_left(10, pool_size=pool_size, num_labeled=num_labeled, cycle=2)
    assert left == expected
    assert any("acquiring them all" in r.getMessage() for r in caplog.records) == warned
