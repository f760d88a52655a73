"""SemiSupervised.pixel_epochs: SEMI's first LPs of a cycle on the pool's pixels (small pools)."""

import json
import os

import numpy as np
import pytest

from tfal import campaign, lp
from tfal.analysis.from_run import campaign_setup, labeled_during
from tfal.loop.semi import SemiSupervised
from tfal.loop.state import load_state

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

SMALL = [
    "include 'gin_configs/setting/semi.gin'",
    "tfds_dataset.pool_size = 600",
    "tfds_dataset.test_size = 200",
    "ActiveLearningLoop.num_cycles = 1",
    "ActiveLearningLoop.sup_epochs = 3",
    "small_cnn.widths = (4, 8, 8)",
    "SemiSupervised.epochs = 2",
    "SemiSupervised.pixel_epochs = 1",
]


def test_the_first_lp_runs_on_the_pixels_the_next_on_the_embedding(
    tmp_path, repo_root, tfds_data_dir
):
    campaign.parse_gin([str(repo_root / "gin_configs/testing/tiny.gin")], SMALL)
    campaign.run(str(tmp_path))
    rows = [json.loads(line) for line in open(os.path.join(tmp_path, "results.jsonl"))]
    semi = [r for r in rows if r["stage"] == "semi"]
    assert [r["lp_features"] for r in semi] == ["pixels", "embedding"]
    # epoch 0's pseudo-labels are LP's on the flattened pixels with L0, whatever the network is
    data, settings, *_ = campaign_setup(str(tmp_path))
    state = load_state(os.path.join(tmp_path, "state.json"))
    labeled = labeled_during(state, 0)
    given = dict(zip(state.labeled_idx, state.labels, strict=True))
    labels = np.array([given[int(i)] for i in labeled])
    result = lp.propagate(lp.flat_pixels(data.x_pool), labeled, labels, 10, settings, seed=0)
    unlabeled = np.setdiff1d(np.arange(len(data.x_pool)), labeled)
    expected = np.mean(result.pseudo_labels[unlabeled] == data.y_pool[unlabeled])
    assert semi[0]["lp_accuracy"] == pytest.approx(expected)
    assert expected > 0.4  # 10 labels, raw MNIST pixels: far above chance


def test_flat_pixels_are_rows_in_unit_range():
    images = np.arange(2 * 3 * 2 * 1, dtype=np.uint8).reshape(2, 3, 2, 1) * 20
    x = lp.flat_pixels(images)
    assert x.shape == (2, 6) and x.dtype == np.float32
    np.testing.assert_allclose(x[1], images[1].ravel() / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="non-empty array"):
        lp.flat_pixels(np.zeros((0, 4, 4, 1), np.uint8))


def test_more_pixel_epochs_than_epochs_is_refused():
    with pytest.raises(ValueError, match="pixel_epochs=3 must be at most epochs=2"):
        SemiSupervised(epochs=2, pixel_epochs=3)
    assert SemiSupervised(epochs=2, pixel_epochs=2).on_pixels(1)
