"""What a campaign's logger writes to TensorBoard, read back from the event files: the tag groups,
a description on every scalar, the HParams columns TensorBoard lists first, the test metrics.

The logger is driven directly with the events of a two-cycle SEMI campaign (no training): seconds.
"""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.plugins.hparams import backend_context, plugin_data_pb2

from tfal.loop.evaluation import evaluation
from tfal.loop.logger import CampaignLogger, SemiEpoch
from tfal.loop.state import CampaignState
from tfal.lp import LPResult
from tfal.lp.propagation import LPDiagnostics
from tfal.monitoring import tags
from tfal.training import Chunk

CLASSES = ["cat", "dog", "red fox"]  # a space: not a tag character


def _values(logdir):
    """[(tag, step, value proto)] of every summary value under `logdir`."""
    out = []
    for path in sorted(glob.glob(f"{logdir}/**/events.out.tfevents.*", recursive=True)):
        for event in tf.compat.v1.train.summary_iterator(path):
            out.extend((v.tag, event.step, v) for v in event.summary.value)
    return out


def _lp_result(n, labeled, rng):
    pseudo = rng.integers(0, len(CLASSES), n)
    diagnostics = LPDiagnostics(
        cg_iterations=7, cg_residual=1e-5, knn_seconds=0.1, graph_seconds=0.2, cg_seconds=0.3,
        total_seconds=0.6, index="exact", n=n, k=5,
    )  # fmt: skip
    return LPResult(
        probs=np.full((n, len(CLASSES)), 1 / len(CLASSES), np.float32),
        pseudo_labels=pseudo.astype(np.int64),
        weights=rng.uniform(size=n).astype(np.float32),
        class_weights=None,
        graph=None,
        diagnostics=diagnostics,
    )


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Two cycles of a SEMI campaign with a simulated oracle, as the loop reports them; returns
    (event values, the cycles' Evaluations with their probabilities and labels)."""
    import gin

    import tfal.loop.cycle  # noqa: F401  (registers ActiveLearningLoop with gin)

    # Bindings that differ from their defaults become hparams; their names sort before "dataset".
    gin.parse_config(["ActiveLearningLoop.budget = 7", "ActiveLearningLoop.model_name = 'toy'"])
    run_dir = str(tmp_path_factory.mktemp("campaign") / "run")
    os.makedirs(run_dir)
    rng = np.random.default_rng(0)
    n, truth = 40, rng.integers(0, len(CLASSES), 40)
    state = CampaignState(dataset="toy", strategy="random", setting="semi", seed=3, num_cycles=2)
    log = CampaignLogger(run_dir, num_cycles=2, seed=3, class_names=CLASSES)
    log.campaign_started(step_offset=0)
    evaluations = []
    for cycle in range(2):
        labeled = np.arange(3 * (cycle + 1))
        unlabeled = np.arange(len(labeled), n)
        for step in (5, 10):  # SUP: two compiled calls
            log.sup_steps(Chunk(steps=5, loss=2.0 / step, step=step, learning_rate=0.1))
        log.sup(cycle, steps=10, loss=0.3, num_examples=len(labeled), learning_rate=0.0)
        for epoch in range(2):
            log.semi_steps(Chunk(steps=4, loss=0.5, step=14 + 4 * epoch, learning_rate=0.05))
            log.semi_epoch(
                SemiEpoch(
                    cycle=cycle, epoch=epoch, last_of_cycle=epoch == 1,
                    result=_lp_result(n, labeled, rng), unlabeled=unlabeled, features="embedding",
                    extract_seconds=0.4, lp_seconds=0.7, train_seconds=0.5, loss=0.5, steps=4,
                    batch_size=8, learning_rate=0.05, global_step=log.global_step(14 + 4 * epoch),
                ),
                true_labels=truth,
            )  # fmt: skip
        labels = rng.integers(0, len(CLASSES), 30)
        labels[labels == 2] = 1  # class 2 has no test image: no scalar for it
        probs = rng.dirichlet(np.ones(len(CLASSES)), 30).astype(np.float32)
        probs[0] = [1.0, 0.0, 0.0]  # a certain image: clipped, not log(0)
        result = evaluation(probs, labels, len(CLASSES))
        evaluations.append((result, probs, labels))
        state.labeled_idx = labeled.tolist()
        log.cycle_steps_done(22)
        log.cycle(
            cycle, state, num_labeled=len(labeled), evaluation=result,
            timings={"sup": 1.0, "extract": 0.8, "lp": 1.4, "semi_train": 1.0, "evaluate": 0.2},
            signals={"stop_kappa": 0.5} if cycle else {},
        )  # fmt: skip
    log.tensorboard.close()
    gin.clear_config()
    return _values(os.path.join(run_dir, "tensorboard")), evaluations


def _scalars(values):
    return {tag for tag, _, v in values if v.metadata.plugin_data.plugin_name == "scalars"}


def test_scalars_are_grouped_by_what_they_measure(campaign):
    values, _ = campaign
    scalars = _scalars(values)
    assert {t.split("/")[0] for t in scalars} == {
        "train", "semi", "lp", "cycle", "final", "test_class_accuracy", "time", "stop",
    }  # fmt: skip
    # SEMI's training is its own group; LP's group holds LP's diagnostics only
    assert {"semi/loss", "semi/learning_rate", "semi/epoch_loss", "semi/images_per_second",
            "semi/train_seconds"} <= scalars  # fmt: skip
    assert {t for t in scalars if t.startswith("lp/")} == {
        "lp/lp_accuracy", "lp/mean_weight", "lp/cg_iterations", "lp/cg_residual",
        "lp/extract_seconds", "lp/lp_seconds", "lp/knn_seconds", "lp/graph_seconds",
        "lp/cg_seconds",
    }  # fmt: skip
    assert {t for t in scalars if t.startswith("train/")} == {"train/loss", "train/learning_rate"}
    assert {"time/sup_seconds", "time/semi_train_seconds", "time/evaluate_seconds"} <= scalars
    sup_steps = [s for t, s, _ in values if t == "train/loss"]
    semi_steps = [s for t, s, _ in values if t == "semi/loss"]
    assert sup_steps == [5, 10, 27, 32] and semi_steps == [14, 18, 36, 40]  # campaign steps


def test_every_scalar_says_what_it_is_and_oracle_diagnostics_say_so(campaign):
    values, _ = campaign
    described = {}
    for tag, _, value in values:
        if value.metadata.plugin_data.plugin_name == "scalars":
            described.setdefault(tag, value.metadata.summary_description)
    assert described and all(described.values()), [t for t, d in described.items() if not d]
    oracle = {t for t, d in described.items() if "Oracle diagnostic" in d}
    assert oracle == {"lp/lp_accuracy"}
    (confusion,) = {v.metadata.summary_description for t, _, v in values if t == "lp/confusion"}
    assert "Oracle diagnostic" in confusion
    with pytest.raises(ValueError, match="no description"):
        tags.description("lp/steps")


def test_hparams_list_and_tick_the_campaign_first(campaign):
    values, _ = campaign
    (content,) = [
        v.metadata.plugin_data.content for t, _, v in values if t == "_hparams_/experiment"
    ]
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    # TensorBoard's backend orders the columns (differs first, then by name) ...
    backend_context._sort_and_reduce_to_hparams_limit(experiment)
    names = [h.name for h in experiment.hparam_infos]
    assert sorted(names[:4]) == ["dataset", "seed", "setting", "strategy"], names
    assert names[4:] == ["ActiveLearningLoop.budget", "ActiveLearningLoop.model_name"]
    # ... and its HParams dashboard ticks the first five after a stable sort on `differs`
    ticked = sorted(experiment.hparam_infos, key=lambda h: not h.differs)[:5]
    assert {"dataset", "seed", "setting", "strategy"} <= {h.name for h in ticked}
    assert all(h.description for h in experiment.hparam_infos[:4])
    metrics = {m.name.tag: m.description for m in experiment.metric_infos}
    assert set(metrics) == {"cycle/test_accuracy", "final/test_accuracy"} and all(metrics.values())


def test_test_loss_and_per_class_accuracy_are_the_cycles_predictions(campaign):
    values, evaluations = campaign
    logged = {(t, s): float(tf.make_ndarray(v.tensor)) for t, s, v in values
              if v.metadata.plugin_data.plugin_name == "scalars"}  # fmt: skip
    for num_labeled, (result, probs, labels) in zip((3, 6), evaluations, strict=True):
        # an independent loss: Keras' crossentropy on the same probabilities
        keras_loss = tf.keras.losses.sparse_categorical_crossentropy(labels, probs)
        assert logged["cycle/test_loss", num_labeled] == pytest.approx(
            float(np.mean(keras_loss)), rel=1e-5
        )
        # per-class accuracy: the confusion matrix's diagonal over its rows
        matrix = np.zeros((3, 3), np.int64)
        np.add.at(matrix, (labels, probs.argmax(1)), 1)
        for c, tag in enumerate(["test_class_accuracy/cat", "test_class_accuracy/dog"]):
            assert logged[tag, num_labeled] == pytest.approx(matrix[c, c] / matrix[c].sum())
        assert ("test_class_accuracy/red_fox", num_labeled) not in logged  # no test image
        accuracy = np.trace(matrix) / matrix.sum()
        assert logged["cycle/test_accuracy", num_labeled] == pytest.approx(accuracy)
        assert result.class_accuracy[2] is None


def test_class_tags_are_valid_and_distinct():
    assert tags.class_accuracy_tags(["a b", "c/d", "e"]) == [
        "test_class_accuracy/a_b", "test_class_accuracy/c_d", "test_class_accuracy/e",
    ]  # fmt: skip
    assert tags.class_accuracy_tags(["a b", "a/b"]) == [
        "test_class_accuracy/0_a_b", "test_class_accuracy/1_a_b",
    ]  # fmt: skip
