"""StrokeJitter: PRE's dilate/erode augmentation is reproducible and does what it says."""

import numpy as np
import pytest
import tensorflow as tf

from tfal.pretrain import StrokeJitter


def test_draws_follow_the_probability_and_the_generator():
    jitter = StrokeJitter(probability=0.5)
    draws = jitter.draws(100, 64, np.random.default_rng(0))
    assert draws.shape == (100, 64) and draws.dtype == np.int32
    shares = np.bincount(draws.ravel(), minlength=3) / draws.size
    np.testing.assert_allclose(shares, [0.5, 0.25, 0.25], atol=0.02)
    np.testing.assert_array_equal(draws, jitter.draws(100, 64, np.random.default_rng(0)))
    assert not StrokeJitter(probability=0.0).draws(10, 8, np.random.default_rng(0)).any()


def test_dilation_thickens_and_erosion_thins_a_stroke():
    image = np.full((1, 6, 6, 1), -1.0, np.float32)
    image[0, 2:4, 1:5, 0] = 2.0  # a 2-pixel-thick horizontal stroke on a dark background
    images = tf.constant(np.repeat(image, 3, axis=0))
    out = StrokeJitter().apply(images, tf.constant([0, 1, 2], tf.int32)).numpy()
    ink = (out > 0).sum(axis=(1, 2, 3))
    assert ink[0] == 8 and ink[1] > 8 and 0 < ink[2] < 8
    np.testing.assert_array_equal(out[0], image[0])


def test_wrap_keeps_labels_and_steps_aligned():
    images = np.zeros((3, 2, 4, 4, 1), np.float32)
    images[:, :, 1:3, 1:3] = 1.0
    labels = np.arange(6, dtype=np.int32).reshape(3, 2)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).repeat()
    jitter = StrokeJitter(probability=1.0)
    wrapped = list(jitter.wrap(dataset, 3, 2, np.random.default_rng(1)).take(6))
    choices = jitter.draws(3, 2, np.random.default_rng(1))
    for step, (x, y) in enumerate(wrapped):
        np.testing.assert_array_equal(y.numpy(), labels[step % 3])
        ink = (x.numpy() > 0.5).sum(axis=(1, 2, 3))
        np.testing.assert_array_equal(ink > 4, choices[step % 3] == 1)  # dilated grew


def test_bad_settings_name_the_value():
    with pytest.raises(ValueError, match="probability=1.5"):
        StrokeJitter(probability=1.5)
    with pytest.raises(ValueError, match="size=1"):
        StrokeJitter(size=1)
