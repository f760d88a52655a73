"""A pool on disk gives what the same pool in memory gives: folder pixels and order, batches,
statistics, digests, pixel features; and nothing reads it whole."""

import os
import pathlib

import gin
import numpy as np
import pytest
from PIL import Image

from tfal.data import folder_cache, folders, sampling
from tfal.data.disk_images import DiskImages
from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.data.sources import Dataset
from tfal.loop import pool_identity
from tfal.loop.pool_model import pixel_features


def _save(path: pathlib.Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _folder(root: pathlib.Path) -> None:
    """Three classes of images of two sizes, one of them grey (promoted to RGB)."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(("cat", "dog", "owl")):
        for k in range(6 + 2 * c):
            shape = (9, 7, 3) if k % 2 else (12, 10, 3)
            _save(root / name / f"{k:02d}.png", rng.integers(0, 256, shape, dtype=np.uint8))
    _save(root / "dog" / "grey.png", rng.integers(0, 256, (9, 7), dtype=np.uint8))


def _storage(value: str, limit: int | None = None) -> None:
    gin.clear_config()
    gin.bind_parameter("tfal.data.PoolStorage.storage", value)
    if limit is not None:
        gin.bind_parameter("tfal.data.PoolStorage.memory_limit_bytes", limit)


@pytest.fixture
def recording(monkeypatch):
    """The largest number of images any single read of a DiskImages returned."""
    most = [0]
    read = DiskImages._read

    def counted(self, pool_idx):
        most[0] = max(most[0], len(pool_idx))
        return read(self, pool_idx)

    monkeypatch.setattr(DiskImages, "_read", counted)
    return most


@pytest.mark.parametrize("unlabeled", [False, True])
def test_a_folder_pool_on_disk_is_the_in_memory_pool(tmp_path, unlabeled):
    _folder(tmp_path / "root")
    kwargs = dict(image_size=(8, 6), cache_dir=str(tmp_path / "cache"))
    if unlabeled:
        _folder(tmp_path / "pool")
        kwargs["unlabeled_root"] = str(tmp_path / "pool")
    _storage("memory")
    memory = folders.image_folder_dataset(str(tmp_path / "root"), **kwargs)
    _storage("disk")
    disk = folders.image_folder_dataset(str(tmp_path / "root"), **kwargs)
    assert isinstance(disk.x_pool, DiskImages) and isinstance(memory.x_pool, np.ndarray)
    assert disk.x_pool.shape == memory.x_pool.shape == (len(memory.pool_files), 8, 6, 3)
    np.testing.assert_array_equal(disk.x_pool[:], memory.x_pool)
    assert isinstance(disk.x_test, DiskImages)  # a tenth of a large pool is large too
    np.testing.assert_array_equal(disk.x_test[:], memory.x_test)
    assert disk.pool_files == memory.pool_files and disk.class_names == memory.class_names
    np.testing.assert_array_equal(disk.y_test, memory.y_test)
    if not unlabeled:
        np.testing.assert_array_equal(disk.y_pool, memory.y_pool)


@pytest.mark.parametrize("rgb_in", ["pool", "test"])
def test_grey_images_become_rgb_when_either_split_holds_colour(tmp_path, rgb_in):
    """The first pool image is grey: the channels come from every image of both splits."""
    rng = np.random.default_rng(1)
    for split in ("pool", "test"):
        for k in range(3):
            _save(tmp_path / split / "a" / f"{k}.png", rng.integers(0, 256, (6, 5), dtype=np.uint8))
    _save(tmp_path / rgb_in / "a" / "9.png", rng.integers(0, 256, (6, 5, 3), dtype=np.uint8))
    kwargs = dict(test_root=str(tmp_path / "test"), cache_dir=str(tmp_path / "cache"))
    _storage("memory")
    memory = folders.image_folder_dataset(str(tmp_path / "pool"), **kwargs)
    _storage("disk")
    disk = folders.image_folder_dataset(str(tmp_path / "pool"), **kwargs)
    assert disk.x_pool.shape[-1] == disk.x_test.shape[-1] == 3
    np.testing.assert_array_equal(disk.x_pool[:], memory.x_pool)
    np.testing.assert_array_equal(disk.x_test[:], memory.x_test)


def test_the_decoded_folder_is_reused_until_a_file_changes(tmp_path, monkeypatch):
    _folder(tmp_path / "root")
    _storage("disk")
    load = lambda: folders.image_folder_dataset(  # noqa: E731
        str(tmp_path / "root"), image_size=(8, 6), cache_dir=str(tmp_path / "cache")
    )
    first = load()
    decoded = []
    real = folder_cache._decoded_chunks
    monkeypatch.setattr(
        folder_cache, "_decoded_chunks", lambda *a: decoded.append(1) or real(*a)
    )
    assert load().x_pool.path == first.x_pool.path and not decoded
    touched = tmp_path / "root" / "cat" / "00.png"
    os.utime(touched, ns=(1, 1))
    assert load().x_pool.path != first.x_pool.path and decoded == [1]
    assert [p for p in os.listdir(tmp_path / "cache") if p.startswith(".partial")] == []


def test_auto_storage_streams_a_folder_above_the_limit(tmp_path):
    _folder(tmp_path / "root")
    kwargs = dict(image_size=(8, 6), cache_dir=str(tmp_path / "cache"))
    n = 20  # pool images of the default 20 % split of 25
    _storage("auto", limit=n * 8 * 6 * 3)
    assert isinstance(folders.image_folder_dataset(str(tmp_path / "root"), **kwargs).x_pool, np.ndarray)
    _storage("auto", limit=n * 8 * 6 * 3 - 1)
    assert isinstance(folders.image_folder_dataset(str(tmp_path / "root"), **kwargs).x_pool, DiskImages)


@pytest.fixture
def both(tmp_path):
    """(pool in memory, the same pool on disk): 50 images 8x8x3, image i mostly the value i."""
    x = np.random.default_rng(3).integers(0, 40, (50, 8, 8, 3), dtype=np.uint8)
    x += (np.arange(50, dtype=np.uint8) * 4)[:, None, None, None]
    np.save(tmp_path / "x.npy", x)
    return x, DiskImages(str(tmp_path / "x.npy"))


def _pipelines(both):
    mean, std = np.array([0.4, 0.5, 0.6], np.float32), np.array([0.2, 0.3, 0.25], np.float32)
    aug = Augmentation(max_shift=2, horizontal_flip=True)
    return [InputPipeline(x, mean, std, aug, parallel_calls=2, prefetch=4) for x in both]


def test_training_batches_from_disk_are_the_in_memory_ones(both, recording):
    memory, disk = _pipelines(both)
    batches = sampling.supervised_batches(
        np.arange(50), np.arange(50) % 5, batch_size=16, num_steps=6, rng=np.random.default_rng(0)
    )
    a = memory.train_dataset(batches, np.random.default_rng(1))
    b = disk.train_dataset(batches, np.random.default_rng(1))
    assert a.element_spec == b.element_spec
    for (xa, ya), (xb, yb) in zip(a.take(8), b.take(8), strict=True):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    assert 0 < recording[0] <= 16  # one batch per read


def test_inference_from_disk_is_the_in_memory_one(both, recording):
    memory, disk = _pipelines(both)
    for how in ("inference_batches", "inference_dataset"):
        a = [t.numpy() for t in getattr(memory, how)(16)]
        b = [t.numpy() for t in getattr(disk, how)(16)]
        assert [len(t) for t in b] == [16, 16, 16, 2]
        np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))
    assert recording[0] <= 16


def _dataset(x) -> Dataset:
    return Dataset("d", x, None, np.zeros((1, 8, 8, 3), np.uint8), np.zeros(1, np.int64), ("a",))


def test_channel_stats_digests_and_pixels_from_disk_equal_the_in_memory_ones(both, recording):
    memory, disk = both
    for a, b in zip(_dataset(memory).channel_stats(), _dataset(disk).channel_stats(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_array_equal(
        pool_identity.image_digests(memory), pool_identity.image_digests(disk)
    )
    np.testing.assert_array_equal(pixel_features(memory), pixel_features(disk))
    assert recording[0] <= 1024  # chunks, never the whole pool at once of a larger pool


def test_pixel_features_of_a_pool_on_disk_above_the_limit_are_refused(both):
    _storage("auto", limit=50 * 8 * 8 * 3 * 4 - 1)
    with pytest.raises(ValueError, match="SemiSupervised.pixel_epochs = 0"):
        pixel_features(both[1])


def test_a_grown_folder_pool_on_disk_is_reordered_without_reading_it(tmp_path, recording):
    _folder(tmp_path / "pool")
    _folder(tmp_path / "labeled")
    kwargs = dict(
        unlabeled_root=str(tmp_path / "pool"), image_size=(8, 6), cache_dir=str(tmp_path / "c")
    )
    _storage("disk")
    data = folders.image_folder_dataset(str(tmp_path / "labeled"), **kwargs)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pool_identity.record(str(run_dir), data)
    _save(tmp_path / "pool" / "aaa" / "new.png", np.zeros((8, 6, 3), np.uint8))  # sorts first
    grown = folders.image_folder_dataset(str(tmp_path / "labeled"), **kwargs)
    assert grown.pool_files[0] == "aaa/new.png"
    recording[0] = 0
    kept, recorded = pool_identity.check(str(run_dir), grown, grow=True)
    assert isinstance(kept.x_pool, DiskImages) and not recorded
    assert kept.pool_files == (*data.pool_files, "aaa/new.png")
    np.testing.assert_array_equal(kept.x_pool[: len(data.x_pool)], data.x_pool[:])
    assert recording[0] <= 1024


def test_a_tfds_pool_on_disk_is_the_decoded_split_cache_and_the_in_memory_pool(
    tfds_data_dir, tmp_path
):
    from tfal.data import sources

    kwargs = dict(data_dir=tfds_data_dir, download=False, pool_size=300, test_size=50,
                  cache_dir=str(tmp_path / "cache"))  # fmt: skip
    _storage("memory")
    memory = sources.tfds_dataset("mnist", **kwargs)
    _storage("disk")
    disk = sources.tfds_dataset("mnist", **kwargs)
    assert isinstance(disk.x_pool, DiskImages) and disk.x_pool.path.startswith(str(tmp_path))
    np.testing.assert_array_equal(disk.x_pool[:], memory.x_pool)
    np.testing.assert_array_equal(disk.y_pool, memory.y_pool)
    np.testing.assert_array_equal(disk.x_test, memory.x_test)
    for a, b in zip(disk.channel_stats(), memory.channel_stats(), strict=True):
        np.testing.assert_array_equal(a, b)  # float32-equal on MNIST


def test_a_tfds_pool_going_on_disk_is_decoded_in_batches_straight_into_the_cache(
    tfds_data_dir, tmp_path, monkeypatch
):
    """With no cache entry yet, a pool that goes on disk is never decoded whole into memory
    (`_load_split`, the in-memory decode, is not called for its split), and its x.npy holds the
    in-memory decode of the whole split."""
    from tfal.data import sources

    whole = sources._load_split
    decoded_whole = []
    monkeypatch.setattr(sources, "_load_split",
                        lambda b, split, *a: decoded_whole.append(split) or whole(b, split, *a))  # fmt: skip
    kwargs = dict(data_dir=tfds_data_dir, download=False, pool_size=300, test_size=50)
    _storage("disk")
    disk = sources.tfds_dataset("mnist", cache_dir=str(tmp_path / "cache"), **kwargs)
    assert decoded_whole == ["test"] and isinstance(disk.x_pool, DiskImages)
    _storage("memory")
    memory = sources.tfds_dataset("mnist", cache_decoded=False, **kwargs)
    np.testing.assert_array_equal(disk.x_pool[:], memory.x_pool)
    np.testing.assert_array_equal(disk.y_pool, memory.y_pool)
    import tensorflow_datasets as tfds

    x, _ = whole(tfds.builder("mnist", data_dir=tfds_data_dir), "train")
    np.testing.assert_array_equal(np.load(disk.x_pool.path), x)


def test_batches_written_to_the_cache_read_back_as_their_concatenation(tmp_path):
    from tfal.data import split_cache

    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 256, (n, 5, 3, 2), dtype=np.uint8), rng.integers(0, 9, n))
               for n in (7, 7, 3)]  # fmt: skip
    split_cache.write_batches(str(tmp_path), "entry", (17, 5, 3, 2), iter(batches))
    x, y = split_cache._read(str(tmp_path / "entry"))
    np.testing.assert_array_equal(x, np.concatenate([b[0] for b in batches]))
    np.testing.assert_array_equal(y, np.concatenate([b[1] for b in batches]))
    assert y.dtype == np.int64 and os.listdir(tmp_path) == ["entry"]
    assert sorted(os.listdir(tmp_path / "entry")) == ["x.npy", "y.npy"]
    with pytest.raises(ValueError, match="17 rows written, 18 expected"):
        split_cache.write_batches(str(tmp_path), "short", (18, 5, 3, 2), iter(batches))
    assert os.listdir(tmp_path) == ["entry"]  # nothing of the refused entry is left
