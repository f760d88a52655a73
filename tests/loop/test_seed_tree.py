"""ActiveLearningLoop.seed reaches the network's initial weights (tfal.seeds, stream "init")."""

import numpy as np

from tfal import campaign
from tfal.loop import ActiveLearningLoop

SMALL = ["tfds_dataset.pool_size = 600", "tfds_dataset.test_size = 500"]


def _loop(repo_root, tmp_path, seed):
    campaign.parse_gin(
        [str(repo_root / "gin_configs/testing/tiny.gin")],
        [*SMALL, f"ActiveLearningLoop.seed = {seed}"],
    )
    return ActiveLearningLoop(str(tmp_path / f"seed{seed}"))


def test_the_campaign_seed_draws_the_initial_weights(repo_root, tmp_path, tfds_data_dir):
    first, second, again = (_loop(repo_root, tmp_path, s) for s in (0, 1, 0))
    pairs = list(zip(first.trainer.initial_weights, second.trainer.initial_weights, strict=True))
    assert any(a.ndim > 1 and not np.allclose(a, b) for a, b in pairs)
    for a, b in zip(first.trainer.initial_weights, again.trainer.initial_weights, strict=True):
        np.testing.assert_array_equal(a, b)
