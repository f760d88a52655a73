"""The label-free L0 selections on a pool on disk (`tfal.data.DiskImages`): the same picks as on
the same pool in memory, read a chunk at a time, never turned into one pool-sized array."""

import gin
import numpy as np
import pytest

from tfal.data.disk_images import DiskImages
from tfal.loop import initial
from tfal.lp import features as lp_features
from tfal.pretrain import imsat  # noqa: F401  (registers IMSAT with gin)


def _blob_pool(tmp_path, sizes=(40, 35, 30), side=6, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    d = side * side * channels
    centres = rng.uniform(0, 255, (len(sizes), d))
    blobs = [c + rng.normal(0, 12, (s, d)) for c, s in zip(centres, sizes, strict=True)]
    x = np.clip(np.concatenate(blobs), 0, 255)
    images = x.astype(np.uint8).reshape(-1, side, side, channels)
    path = tmp_path / "pool.npy"
    np.save(path, images)
    return images, DiskImages(str(path)), np.repeat(np.arange(len(sizes)), sizes)


@pytest.mark.parametrize("max_inputs", [10_000, 27])  # flattened as they are; shrunk 6x6x3 -> 3x3x3
def test_pixel_vectors_read_by_chunks_equal_the_whole_array_at_once(tmp_path, max_inputs):
    images, disk, _ = _blob_pool(tmp_path, channels=3)
    whole = lp_features.pixel_vectors(images, max_inputs, chunk=len(images))
    np.testing.assert_array_equal(lp_features.pixel_vectors(disk, max_inputs, chunk=7), whole)
    np.testing.assert_array_equal(lp_features.pixel_vectors(images, max_inputs, chunk=7), whole)
    if max_inputs > images[0].size:  # not shrunk: LP's own pixel features
        np.testing.assert_array_equal(whole, lp_features.flat_pixels(images))
    else:
        assert whole.shape == (len(images), 27) and 0.0 <= whole.min() and whole.max() <= 1.0
    with pytest.raises(TypeError):
        np.asarray(disk)  # what a pool-sized read would do: the selections above never did


@pytest.mark.parametrize("selection", ["typiclust", "probcover", "imsat"])
def test_a_pool_on_disk_gets_the_l0_it_gets_in_memory(tmp_path, selection):
    gin.bind_parameter("IMSAT.hidden", (32,))
    gin.bind_parameter("IMSAT.epochs", 3)
    gin.bind_parameter("IMSAT.min_steps", 0)
    gin.bind_parameter("IMSAT.batch_size", 50)
    images, disk, labels = _blob_pool(tmp_path)
    picks = {}
    for name, pool in (("memory", images), ("disk", disk)):
        picks[name] = initial.choose(
            selection, oracle=None, images=pool, num_classes=3, labels_per_class=1,
            rng=np.random.default_rng(4),
        )  # fmt: skip
    np.testing.assert_array_equal(picks["disk"], picks["memory"])
    assert len(picks["disk"]) == 3
