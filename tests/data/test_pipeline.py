import numpy as np
import pytest
import tensorflow as tf

from tfal.data import sampling
from tfal.data.pipeline import Augmentation, InputPipeline, flip, translate


def _reference_translate(img, dy, dx, p):
    padded = np.pad(img, [(p, p), (p, p), (0, 0)], mode="reflect")
    h, w = img.shape[:2]
    return padded[dy : dy + h, dx : dx + w]


def test_translate_matches_numpy_reflection_crop():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(6, 12, 10, 3)).astype(np.uint8)
    shifts = rng.integers(0, 9, size=(6, 2)).astype(np.int32)
    out = translate(tf.constant(images), tf.constant(shifts), 4).numpy()
    for i in range(6):
        np.testing.assert_array_equal(out[i], _reference_translate(images[i], *shifts[i], 4))
    # offset (p, p) is the identity
    same = translate(tf.constant(images), tf.fill([6, 2], 4), 4).numpy()
    np.testing.assert_array_equal(same, images)


def test_flip_only_flagged_images():
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4, 1).astype(np.float32)
    out = flip(tf.constant(images), tf.constant([True, False])).numpy()
    np.testing.assert_array_equal(out[0], images[0, :, ::-1])
    np.testing.assert_array_equal(out[1], images[1])


@pytest.mark.parametrize("threads", [{}, {"parallel_calls": 2, "prefetch": 4}])
def test_train_dataset_keeps_labels_aligned_with_images(threads):
    # image i is filled with the value i, so the pixel tells which example arrived
    n = 50
    images = np.repeat(np.arange(n, dtype=np.uint8), 8 * 8).reshape(n, 8, 8, 1)
    pipe = InputPipeline(
        images,
        np.zeros(1, np.float32),
        np.full(1, 1 / 255.0, np.float32),
        Augmentation(max_shift=2),
        **threads,
    )
    rng = np.random.default_rng(1)
    b = sampling.supervised_batches(
        np.arange(n), np.arange(n) % 7, batch_size=5, num_steps=4, rng=rng
    )
    ds = pipe.train_dataset(b, rng)
    assert ds.element_spec[0].shape == (5, 8, 8, 1) and ds.element_spec[1].shape == (5,)
    for step, (x, y) in enumerate(ds.take(4)):
        ids = np.round(x.numpy()[:, 0, 0, 0]).astype(int)
        np.testing.assert_array_equal(ids, b.indices[step])
        np.testing.assert_array_equal(y.numpy(), ids % 7)


def test_inference_batches_are_the_normalised_pool_in_order():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(23, 5, 5, 3), dtype=np.uint8)
    mean, std = np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.3, 0.4])
    pipe = InputPipeline(images, mean, std, Augmentation())
    batches = [b.numpy() for b in pipe.inference_batches(10)]
    assert [len(b) for b in batches] == [10, 10, 3]
    expected = (images / 255.0 - mean) / std
    np.testing.assert_allclose(np.concatenate(batches), expected, rtol=1e-5, atol=1e-5)
    via_dataset = np.concatenate([b.numpy() for b in pipe.inference_dataset(10)])
    np.testing.assert_array_equal(np.concatenate(batches), via_dataset)
    other = [b.numpy() for b in pipe.inference_batches(4, images[:6])]
    assert [len(b) for b in other] == [4, 2]


@pytest.mark.parametrize("option, value", [("parallel_calls", 0), ("prefetch", 1.5)])
def test_bad_pipeline_thread_option_is_refused_by_name(option, value):
    images = np.zeros((4, 2, 2, 1), np.uint8)
    with pytest.raises(ValueError, match=f"InputPipeline.{option}={value}"):
        InputPipeline(images, np.zeros(1), np.ones(1), Augmentation(), **{option: value})
