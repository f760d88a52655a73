"""Constraints between parameters and the data are refused when the loop is built: before any write."""

import os

import pytest

from tfal import campaign
from tfal.loop import ActiveLearningLoop

SMALL = ["tfds_dataset.pool_size = 200", "tfds_dataset.test_size = 100"]


@pytest.mark.parametrize(
    "bindings, message",
    [
        (["ActiveLearningLoop.labels_per_class = 19"], "labels_per_class=19: class '.' has only"),
        (["ActiveLearningLoop.budget = 195"], "budget=195 must be smaller than the unlabeled pool"),
        (
            ["include 'gin_configs/setting/semi.gin'", "SemiSupervised.k = 200"],
            "SemiSupervised.k=200 neighbours needs a pool of more than 200 examples; this pool has 200",
        ),
    ],
)
def test_parameters_that_do_not_fit_the_pool(repo_root, tmp_path, tfds_data_dir, bindings, message):
    campaign.parse_gin(
        [str(repo_root / "gin_configs/testing/tiny.gin")],
        [*SMALL, *bindings],
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(ValueError, match=message):
        ActiveLearningLoop(str(run_dir))
    assert os.listdir(run_dir) == []


def test_whitened_lp_on_a_small_pool_is_warned_about(repo_root, tmp_path, tfds_data_dir, caplog):
    """Measured in results/small_pool: whitening collapses SEMI on 1,000-2,000-image pools."""
    campaign.parse_gin(
        [str(repo_root / "gin_configs/testing/tiny.gin")],
        [*SMALL, "include 'gin_configs/setting/semi.gin'", "SemiSupervised.whiten = True"],
    )
    with caplog.at_level("WARNING"):
        ActiveLearningLoop(str(tmp_path / "run"))
    (warning,) = [r.getMessage() for r in caplog.records if "whiten" in r.getMessage()]
    assert "pool of 200 images" in warning and "SemiSupervised.whiten = False" in warning
