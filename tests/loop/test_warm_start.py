"""SemiSupervised.warm_epochs: each cycle after the first starts from the previous cycle's model."""

import json
import os

import numpy as np
import pytest

from tfal import campaign
from tfal.loop import ActiveLearningLoop, estimate
from tfal.loop.checkpoints import CycleCheckpoints
from tfal.loop.semi import SemiSupervised
from tfal.training import Trainer

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

WARM = [
    "include 'gin_configs/setting/semi.gin'",
    "tfds_dataset.pool_size = 600",
    "tfds_dataset.test_size = 200",
    "ActiveLearningLoop.num_cycles = 3",
    "ActiveLearningLoop.sup_epochs = 3",
    "small_cnn.widths = (4, 8, 8)",
    "SemiSupervised.epochs = 2",
    "SemiSupervised.warm_epochs = 1",
]


def test_each_cycle_starts_from_the_last_ones_final_model(
    tmp_path, repo_root, tfds_data_dir, monkeypatch
):
    starts, finals = [], {}
    reset, save_final = Trainer.reset, CycleCheckpoints.save_final

    def recording_reset(self, weights=None, **kwargs):
        starts.append(None if weights is None else [w.copy() for w in weights])
        return reset(self, weights, **kwargs)

    def recording_save_final(self, weights, *, cycle):
        finals[cycle] = [w.copy() for w in weights]
        return save_final(self, weights, cycle=cycle)

    monkeypatch.setattr(Trainer, "reset", recording_reset)
    monkeypatch.setattr(CycleCheckpoints, "save_final", recording_save_final)
    campaign.parse_gin([str(repo_root / "gin_configs/testing/tiny.gin")], WARM)
    loop = ActiveLearningLoop(str(tmp_path / "run"))
    loop.run()

    assert len(starts) == 3 and starts[0] is None  # cycle 0 from theta_0 (no PRE)
    for cycle in (1, 2):
        assert all(
            np.array_equal(a, b) for a, b in zip(starts[cycle], finals[cycle - 1], strict=True)
        )
    assert not all(
        np.array_equal(a, b) for a, b in zip(finals[0], loop.trainer.initial_weights, strict=True)
    )  # cycle 0 trained: a warm start is not theta_0 again
    rows = [json.loads(line) for line in open(tmp_path / "run" / "results.jsonl")]
    semi = [r["cycle"] for r in rows if r["stage"] == "semi"]
    assert semi == [0, 0, 1, 2]  # epochs 2, then warm_epochs 1
    # only the last cycle's final model is left (a longer resumed campaign starts from it)
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["final-2.npz"]
    logged = sum(r["steps"] for r in rows if r["stage"] in ("sup", "semi"))
    assert estimate.planned_work(loop).train_steps == logged


def test_without_warm_epochs_every_cycle_starts_from_theta0(
    tmp_path, repo_root, tfds_data_dir, monkeypatch
):
    starts = []
    reset = Trainer.reset
    monkeypatch.setattr(
        Trainer, "reset", lambda self, w=None, **k: starts.append(w) or reset(self, w, **k)
    )
    bindings = [b for b in WARM if "warm_epochs" not in b] + ["ActiveLearningLoop.num_cycles = 2"]
    campaign.parse_gin([str(repo_root / "gin_configs/testing/tiny.gin")], bindings)
    ActiveLearningLoop(str(tmp_path / "run")).run()
    assert starts == [None, None]
    rows = [json.loads(line) for line in open(tmp_path / "run" / "results.jsonl")]
    assert [r["cycle"] for r in rows if r["stage"] == "semi"] == [0, 0, 1, 1]
    assert not os.path.exists(tmp_path / "run" / "checkpoints" / "final-1.npz")


def test_warm_epochs_apply_to_the_cycles_after_the_first():
    semi = SemiSupervised(epochs=5, warm_epochs=1)
    assert [semi.epochs_of(j) for j in range(3)] == [5, 1, 1]
    assert [semi.warm(j) for j in range(3)] == [False, True, True]
    paper = SemiSupervised(epochs=5)
    assert [paper.epochs_of(j) for j in range(3)] == [5, 5, 5] and not paper.warm(1)
    with pytest.raises(ValueError, match=r"warm_epochs=0: expected an int in \[1, "):
        SemiSupervised(warm_epochs=0)


def test_a_missing_final_model_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="final-3.npz is missing: cycle 4 starts from"):
        CycleCheckpoints(str(tmp_path)).final_weights(3)
