import numpy as np
import pytest
import tensorflow as tf

from tfal.data import sampling
from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.models import small_cnn
from tfal.training import Trainer, TrainingDivergedError


def _toy(n=200, seed=0):
    """Two classes a linear model separates: bright top half vs bright bottom half."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.integers(0, 60, size=(n, 12, 12, 1)).astype(np.uint8)
    x[y == 0, :6] += 150
    x[y == 1, 6:] += 150
    return x, y


def _trainer(**kw):
    kw.setdefault("learning_rate", 0.05)
    return Trainer(
        2,
        (12, 12, 1),
        model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a),
        steps_per_call=10,
        **kw,
    )


def _run(trainer, pipe, x, y, steps, seed, batch=16):
    rng = np.random.default_rng(seed)
    b = sampling.supervised_batches(
        np.arange(len(x)), y, batch_size=batch, num_steps=steps, rng=rng
    )
    trainer.start_phase(steps)
    return trainer.train(pipe.train_dataset(b, rng), steps)


def test_loss_falls_and_one_trace_serves_every_cycle():
    x, y = _toy()
    pipe = InputPipeline(
        x, np.array([0.3], np.float32), np.array([0.3], np.float32), Augmentation(max_shift=1)
    )
    trainer = _trainer()
    first = _run(trainer, pipe, x, y, 10, seed=0)
    _run(trainer, pipe, x, y, 40, seed=1)
    last = _run(trainer, pipe, x, y, 10, seed=2)
    assert last < 0.5 * first
    for cycle in range(3):  # new cycles: reset, new datasets, new step counts
        trainer.reset()
        _run(trainer, pipe, x, y, 7 + cycle, seed=10 + cycle)
    assert trainer.trace_count == 1
    acc = (trainer.predict(pipe.inference_dataset(64))["probs"].argmax(1) == y).mean()
    assert acc > 0.6


def test_reset_restores_initial_weights_and_the_fresh_optimizer():
    x, y = _toy(64)
    pipe = InputPipeline(
        x, np.array([0.3], np.float32), np.array([0.3], np.float32), Augmentation(max_shift=0)
    )
    trainer = _trainer()
    _run(trainer, pipe, x, y, 5, seed=0)
    trainer.reset()
    for w, w0 in zip(trainer.model.get_weights(), trainer.initial_weights, strict=False):
        np.testing.assert_array_equal(w, w0)
    momenta = [v for v in trainer.optimizer.variables if "momentum" in v.path]
    assert momenta and all(not np.any(v.numpy()) for v in momenta)
    assert int(trainer.optimizer.iterations.numpy()) == 0


def test_reset_keeps_the_loss_scale_of_mixed_float16():
    trainer = _trainer(precision="mixed_float16")
    [scale] = [v for v in trainer.optimizer.variables if v.path.endswith("dynamic_scale")]
    before = float(scale.numpy())
    trainer.reset()
    assert before > 1 and float(scale.numpy()) == before


def test_nan_loss_raises():
    x, y = _toy(64)
    x[:] = 0
    pipe = InputPipeline(
        x, np.array([0.0], np.float32), np.array([0.0], np.float32), Augmentation(max_shift=0)
    )
    with pytest.raises(TrainingDivergedError, match="loss is nan"):
        _run(_trainer(), pipe, x, y, 3, seed=0)


def test_cosine_schedule_reaches_zero_after_the_phase():
    trainer = _trainer(learning_rate=0.2)
    trainer.start_phase(200)
    assert trainer.learning_rate() == pytest.approx(0.2)
    trainer._phase_step.assign(200)
    # 200 of 210 epochs: 0.2 * 0.5 * (1 + cos(pi * 200/210))
    assert trainer.learning_rate() == pytest.approx(
        0.2 * 0.5 * (1 + np.cos(np.pi * 200 / 210)), rel=1e-4
    )
    assert tf.distribute.has_strategy() is False


def test_mc_dropout_varies_the_masks_not_the_batch_norm_and_leaves_training_unchanged():
    import keras

    from tfal.training import Trainer

    def model_fn(num_classes, input_shape, seed):
        inputs = keras.Input(input_shape)
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(16, kernel_initializer=keras.initializers.GlorotUniform(seed))(x)
        x = keras.layers.BatchNormalization()(x)
        embedding = keras.layers.Dropout(0.5, seed=seed)(x)
        logits = keras.layers.Dense(
            num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed + 1)
        )(embedding)
        return keras.Model(inputs, {"embedding": embedding, "logits": logits})

    trainer = Trainer(3, (4, 4, 1), model_fn=model_fn, seed=0)
    images = np.random.default_rng(0).normal(size=(8, 4, 4, 1)).astype(np.float32)
    before = [v.numpy().copy() for v in trainer.model.variables]
    mc = trainer.predict_mc([images[:5], images[5:]], samples=6, seed=3)
    assert mc.shape == (6, 8, 3) and np.allclose(mc.sum(axis=2), 1.0, atol=1e-5)
    assert not np.allclose(mc[0], mc[1])  # dropout on: the passes differ
    again = trainer.predict_mc([images[:5], images[5:]], samples=6, seed=3)
    np.testing.assert_array_equal(mc, again)  # the seed fixes the masks
    for a, b in zip(before, trainer.model.variables, strict=True):
        np.testing.assert_array_equal(a, b.numpy())  # BN statistics, seed generators put back
    assert all(layer.trainable for layer in trainer.model.layers)


def test_a_cycle_checkpoint_restores_every_variable_and_names_them(tmp_path):
    """tf.train checkpoint of the whole trainer (model, dropout seed states, optimizer, schedule):
    what training changed after the save is undone exactly, and the file is readable by name."""
    from tfal.loop.checkpoints import CycleCheckpoints

    x, y = _toy(64)
    pipe = InputPipeline(
        x, np.array([0.3], np.float32), np.array([0.3], np.float32), Augmentation(max_shift=1)
    )
    trainer = _trainer()  # small_cnn has dropout: its seed states must come back too
    _run(trainer, pipe, x, y, 10, seed=0)
    checkpoints = CycleCheckpoints(str(tmp_path))
    checkpoints.save(trainer, cycle=3, epochs_done=2)

    def everything():
        variables = [*trainer.model.variables, *trainer.optimizer.variables]
        return [np.array(v.numpy()) for v in variables] + [
            trainer._phase_step.numpy(),
            trainer._rampdown_steps.numpy(),
        ]

    saved = everything()
    _run(trainer, pipe, x, y, 7, seed=1)  # moves weights, momentum, step, dropout seeds
    assert any(not np.array_equal(a, b) for a, b in zip(saved, everything(), strict=True))
    assert checkpoints.restore(trainer, cycle=3) == 2
    for a, b in zip(saved, everything(), strict=True):
        np.testing.assert_array_equal(a, b)
    names = [name for name, _ in tf.train.list_variables(checkpoints.path(3))]
    assert any(n.startswith("model/") and "kernel" in n for n in names), names
    assert any(n.startswith("dropout_seeds/") for n in names), names
    assert any(n.startswith("training/optimizer/") for n in names), names
    assert checkpoints.restore(trainer, cycle=4) is None
    checkpoints.remove(3)
    assert checkpoints.restore(trainer, cycle=3) is None


def test_a_checkpoint_of_another_model_is_refused_in_one_line(tmp_path):
    from tfal.loop.checkpoints import CycleCheckpoints

    checkpoints = CycleCheckpoints(str(tmp_path))
    checkpoints.save(_trainer(), cycle=0, epochs_done=1)
    wider = Trainer(2, (12, 12, 1), model_fn=lambda **a: small_cnn(widths=(4, 8, 16), **a))
    with pytest.raises(ValueError, match="does not fit this campaign's model") as info:
        checkpoints.restore(wider, cycle=0)
    assert "\n" not in str(info.value) and "cycle-0" in str(info.value)
