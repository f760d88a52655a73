"""DeepCluster PRE on real MNIST: it learns, it resumes exactly, it reuses theta_0."""

import os

import gin
import numpy as np
import pytest

from tfal.data import sources
from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.models import small_cnn
from tfal.monitoring.results import ResultsWriter
from tfal.pretrain import DeepCluster, checkpoints, cluster_head, deepcluster
from tfal.training import Trainer

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

SMALL = dict(batch_size=64, learning_rate=0.05, extract_batch_size=500)


@pytest.fixture(scope="module")
def mnist():
    path = os.environ.get("TFDS_DATA_DIR")
    if not path or not os.path.isdir(os.path.join(path, "mnist")):
        pytest.skip(
            "real MNIST not found: set TFDS_DATA_DIR to a TFDS data_dir holding mnist/3.0.1"
        )
    ds = sources.tfds_dataset("mnist", data_dir=path, download=False, pool_size=2000, subset_seed=0)
    mean, std = ds.channel_stats()
    return ds, InputPipeline(ds.x_pool, mean, std, Augmentation(max_shift=2))


@pytest.fixture(scope="module")
def small_pool(mnist):
    """The first 1,000 images: enough for the mechanics (resume, reuse, traces), twice as fast."""
    ds, _ = mnist
    mean, std = ds.channel_stats()
    return InputPipeline(ds.x_pool[:1000], mean, std, Augmentation(max_shift=2))


def _trainer(widths=(8, 16, 32)):
    return Trainer(
        10, (28, 28, 1), model_fn=lambda **kw: small_cnn(widths=widths, **kw), steps_per_call=50
    )


def _run(pre, trainer, pipeline, run_dir, labels=None, on_epoch=None):
    os.makedirs(run_dir, exist_ok=True)
    results = ResultsWriter(os.path.join(run_dir, "results.jsonl"))
    theta = pre.run(
        trainer,
        pipeline,
        run_dir=str(run_dir),
        results=results,
        seed=3,
        diagnostic_labels=labels,
        on_epoch=on_epoch,
    )
    return theta, [r for r in results.read() if r["stage"] == "pretrain"]


def _knn_accuracy(embeddings, labels, k=20):
    """k-NN (cosine, majority vote) of the first quarter of the pool against the rest."""
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    q = len(labels) // 4
    nearest = np.argsort(-(e[:q] @ e[q:].T), axis=1)[:, :k]
    votes = labels[q:][nearest]
    predicted = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return float(np.mean(predicted == labels[:q]))


def test_pretraining_learns_clusters_that_carry_class_information(mnist, tmp_path, monkeypatch):
    ds, pipeline = mnist
    created = []

    class Spy(cluster_head.ClusterHeadTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(deepcluster, "ClusterHeadTrainer", Spy)
    trainer = _trainer()
    initial = [w.copy() for w in trainer.model.get_weights()]
    seen = []
    theta, rows = _run(
        DeepCluster(epochs=4, **SMALL), trainer, pipeline, tmp_path, ds.y_pool, seen.append
    )
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3] and seen == rows
    assert len(created) == 1 and created[0].trace_count == 1  # one compiled loop for every epoch
    assert all(r["num_clusters"] == 50 and r["empty_clusters"] >= 0 for r in rows)
    # The network learns to predict its own clusters (chance: ln 50 = 3.91) ...
    assert rows[-1]["loss"] < rows[0]["loss"] - 0.03
    # ... the clustering settles ([5], Fig. 2b) ...
    assert "nmi_prev" not in rows[0] and rows[-1]["nmi_prev"] > rows[1]["nmi_prev"]
    # ... and the clusters carry class information (an independent labeling scores ~0.02).
    assert all(r["nmi"] > 0.2 for r in rows)
    for w, t in zip(trainer.model.get_weights(), theta, strict=True):
        np.testing.assert_array_equal(w, t)
    assert any(not np.allclose(w, w0) for w, w0 in zip(theta, initial, strict=True))
    embeddings = trainer.predict(pipeline.inference_dataset(500))["embedding"]
    assert _knn_accuracy(embeddings, ds.y_pool) > 0.3  # chance is 0.1


def test_resume_continues_from_the_last_finished_epoch_and_equals_a_straight_run(
    small_pool, tmp_path
):
    pipeline = small_pool
    straight, straight_rows = _run(
        DeepCluster(epochs=3, **SMALL), _trainer(), pipeline, tmp_path / "a"
    )
    _, first = _run(DeepCluster(epochs=2, **SMALL), _trainer(), pipeline, tmp_path / "b")
    directory = tmp_path / "b" / "checkpoints" / "pretrain"
    assert sorted(os.listdir(directory)) == [*_epoch_files(2), "theta0.npz"]
    resumed, rows = _run(DeepCluster(epochs=3, **SMALL), _trainer(), pipeline, tmp_path / "b")
    assert [r["epoch"] for r in rows] == [0, 1, 2]  # epochs 0-1 were not redone
    assert sorted(os.listdir(directory)) == [*_epoch_files(3), "theta0.npz"]  # only the latest kept
    assert rows[2]["nmi_prev"] == pytest.approx(straight_rows[2]["nmi_prev"])
    assert rows[2]["loss"] == pytest.approx(straight_rows[2]["loss"], rel=1e-6)
    for a, b in zip(resumed, straight, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _epoch_files(n: int) -> list[str]:
    """A tf.train checkpoint after n PRE epochs: TensorFlow's state file, data and index."""
    return ["checkpoint", f"epoch-{n}.data-00000-of-00001", f"epoch-{n}.index"]


def test_a_killed_run_resumes_after_its_last_checkpoint(small_pool, tmp_path):
    class Killed(Exception):
        pass

    def kill_after_epoch_0(row):
        if row["epoch"] == 0:
            raise Killed

    with pytest.raises(Killed):
        _run(
            DeepCluster(epochs=2, **SMALL),
            _trainer(),
            small_pool,
            tmp_path,
            on_epoch=kill_after_epoch_0,
        )
    directory = tmp_path / "checkpoints" / "pretrain"
    assert sorted(os.listdir(directory)) == _epoch_files(1)  # no theta_0 yet
    seen = []
    _, rows = _run(
        DeepCluster(epochs=2, **SMALL), _trainer(), small_pool, tmp_path, on_epoch=seen.append
    )
    assert [r["epoch"] for r in rows] == [0, 1] and [r["epoch"] for r in seen] == [1]
    assert sorted(os.listdir(directory)) == [*_epoch_files(2), "theta0.npz"]


def test_finished_theta0_is_reused_without_training(small_pool, tmp_path):
    pipeline = small_pool
    theta, rows = _run(DeepCluster(epochs=1, **SMALL), _trainer(), pipeline, tmp_path)
    seen = []
    trainer = _trainer()
    again, rows_again = _run(
        DeepCluster(epochs=1, **SMALL), trainer, pipeline, tmp_path, on_epoch=seen.append
    )
    assert rows_again == rows and seen == []
    for a, b, w in zip(again, theta, trainer.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(w, b)
    other = tmp_path / "other_campaign"
    reused, other_rows = _run(
        DeepCluster(epochs=250, reuse_path=str(tmp_path / "checkpoints/pretrain/theta0.npz")),
        _trainer(),
        pipeline,
        other,
    )
    assert other_rows == [] and os.path.exists(other / "checkpoints" / "pretrain" / "theta0.npz")
    for a, b in zip(reused, theta, strict=True):
        np.testing.assert_array_equal(a, b)


def test_reusing_theta0_of_another_model_fails_in_one_line(small_pool, tmp_path):
    pipeline = small_pool
    _run(DeepCluster(epochs=1, **SMALL), _trainer(), pipeline, tmp_path)
    pre = DeepCluster(reuse_path=str(tmp_path / "checkpoints" / "pretrain" / "theta0.npz"))
    with pytest.raises(ValueError) as e:
        _run(pre, _trainer(widths=(8, 16, 16)), pipeline, tmp_path / "other")
    message = str(e.value)
    assert "\n" not in message and "theta0.npz" in message and "different model" in message


@pytest.mark.parametrize("name,semi", [("pre", False), ("pre_semi", True)])
def test_setting_files_bind_deepcluster(name, semi, repo_root):
    import tfal.loop  # noqa: F401  (registers ActiveLearningLoop and SemiSupervised)

    gin.parse_config_file(str(repo_root / "gin_configs" / "setting" / f"{name}.gin"))
    assert gin.query_parameter("ActiveLearningLoop.pretrain").configurable.name == "DeepCluster"
    bound_semi = gin.query_parameter("ActiveLearningLoop.semi")
    assert (bound_semi is not None) == semi


def test_bad_settings_name_the_value():
    with pytest.raises(ValueError, match=r"DeepCluster.epochs=0: expected an int in \[1, "):
        DeepCluster(epochs=0)
    with pytest.raises(ValueError, match="DeepCluster.num_clusters=1"):
        DeepCluster(num_clusters=1)
    with pytest.raises(ValueError, match="reuse_path='/nope/theta0.npz' is not a file"):
        DeepCluster(reuse_path="/nope/theta0.npz")


def test_checkpoint_writes_are_atomic(tmp_path):
    path = str(tmp_path / "theta0.npz")
    weights = [np.ones((2, 3), np.float32), np.zeros(3, np.float32)]
    checkpoints.save_theta0(path, weights, epochs=5, num_clusters=50)
    assert os.listdir(tmp_path) == ["theta0.npz"]  # no temp file left behind
    theta = checkpoints.load_theta0(path, weights)
    assert theta.epochs == 5 and theta.num_clusters == 50 and theta.source == ""
    with pytest.raises(
        ValueError, match=r"weight 0 has shape \(2, 3\) but the model expects \(3, 2\)"
    ):
        checkpoints.load_theta0(path, [np.ones((3, 2)), np.zeros(3)])
