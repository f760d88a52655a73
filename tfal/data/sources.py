"""Where images come from: TFDS datasets as uint8 arrays with stable pool indices.

The train split is the pool X of the paper (section 3), the test split is used for evaluation only.
The pool is an array in memory, or, when `PoolStorage` says so for its size, the decoded split's
cached `.npy` read by index (`DiskImages`); the test split is always in memory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Annotated

import gin
import numpy as np

from tfal.config_types import Count, Range, Seed, configurable
from tfal.data import split_cache
from tfal.data.disk_images import DiskImages, chunks
from tfal.data.pool_storage import PoolStorage

MAX_IMAGE_SIDE = 2048  # a cap on image_size: an image of more pixels is a typo or a bomb
ImageSide = Annotated[int, Range(1, MAX_IMAGE_SIDE)]

# TFDS names of the paper's four datasets (section 6.1, Table 1).
PAPER_DATASETS = ("mnist", "svhn_cropped", "cifar10", "cifar100")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A pool and a test split.

    Attributes:
      name: dataset name, recorded in the campaign state.
      x_pool: uint8 [n, H, W, C]; the index into it is the pool index used everywhere. A numpy
        array, or a `DiskImages` for a pool streamed from disk: read it by index or by
        `tfal.data.disk_images.chunks`, never as one array.
      y_pool: int64 [n] true labels, or None when the pool is unlabeled (a human oracle labels it).
        Only the oracle and oracle diagnostics may read it.
      x_test: uint8 [m, H, W, C]; on disk (DiskImages) with a folder pool on disk.
      y_test: int64 [m].
      class_names: one name per class, exported with the model.
      pool_files: file name per pool example when the pool is an image folder, else None.
      pool_root: the folder `pool_files` are relative to (absolute), where people see the
        originals at their own resolution (contact sheets, Label Studio tasks); else None.
    """

    name: str
    x_pool: np.ndarray | DiskImages
    y_pool: np.ndarray | None
    x_test: np.ndarray | DiskImages
    y_test: np.ndarray
    class_names: tuple[str, ...]
    pool_files: tuple[str, ...] | None = None
    pool_root: str | None = None

    def original(self, index: int) -> str | None:
        """The path of pool image `index`'s original file, when it is one and still exists."""
        if self.pool_files is None or self.pool_root is None:
            return None
        path = os.path.join(self.pool_root, self.pool_files[index])
        return path if os.path.isfile(path) else None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.x_pool.shape[1:])

    def channel_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and std of the pool in [0, 1] units (inputs are normalised with them)."""
        if isinstance(self.x_pool, DiskImages):
            return _chunked_channel_stats(self.x_pool)
        x = self.x_pool.reshape(-1, self.x_pool.shape[-1]).astype(np.float64) / 255.0
        std = x.std(axis=0)
        return x.mean(axis=0).astype(np.float32), np.maximum(std, 1e-3).astype(np.float32)


def _chunked_channel_stats(images: DiskImages) -> tuple[np.ndarray, np.ndarray]:
    """`Dataset.channel_stats` a chunk at a time: exact per-channel counts of each uint8 value,
    so the result does not depend on the chunking (float32-equal to the in-memory one)."""
    c = images.shape[-1]
    counts = np.zeros((c, 256), np.int64)
    for block in chunks(images):
        flat = block.reshape(-1, c)
        for k in range(c):
            counts[k] += np.bincount(flat[:, k], minlength=256)
    values = np.arange(256, dtype=np.float64) / 255.0
    total = counts.sum(axis=1)
    mean = counts @ values / total
    var = counts @ values**2 / total - mean**2
    std = np.sqrt(np.maximum(var, 0.0))
    return mean.astype(np.float32), np.maximum(std, 1e-3).astype(np.float32)


class DatasetNotFoundError(RuntimeError):
    """A dataset is neither in the data dir nor downloadable."""


@configurable(module="tfal.data")
def tfds_dataset(
    name: str = gin.REQUIRED,
    *,
    data_dir: str | None = None,
    download: bool = True,
    pool_size: Count | None = None,
    test_size: Count | None = None,
    subset_seed: Seed = 0,
    pool_split: str = "train",
    test_split: str = "test",
    image_size: tuple[ImageSide, ImageSide] | None = None,
    cache_decoded: bool = True,
    cache_dir: str | None = None,
) -> Dataset:
    """Loads a TFDS dataset (train split = pool, test split = evaluation) as uint8 arrays.

    Args:
      name: a TFDS name, e.g. one of PAPER_DATASETS.
      data_dir: TFDS data dir; None uses TFDS's own (the TFDS_DATA_DIR environment variable or ~/tensorflow_datasets).
      download: let TFDS download a missing dataset (False for offline machines: fail fast instead).
      pool_size: if set, a seeded class-stratified subset of the train split of this size (small CPU runs).
      test_size: if set, a seeded class-stratified subset of the test split of this size.
      subset_seed: seed of those subsets (fixed per experiment, independent of the campaign seed).
      pool_split, test_split: TFDS split names (any split expression, e.g. "train[:80%]" and
        "train[80%:]" for a dataset without a test split).
      image_size: (H, W) to resize every image to (bilinear, antialiased), for datasets whose
        images differ in size; None keeps the dataset's own (fixed) shape.
      cache_decoded: keep each decoded split on disk (`tfal.data.split_cache`): the next start
        reads MNIST in milliseconds instead of decoding 70,000 PNGs again (about 6.6 s here).
      cache_dir: where; None is $TFAL_CACHE_DIR, else $XDG_CACHE_HOME/tfal, else ~/.cache/tfal.

    Any TFDS image classification dataset with `image` and `label` features runs this way.
    """
    import tensorflow_datasets as tfds  # deferred: costs seconds

    data_dir = data_dir or os.environ.get("TFDS_DATA_DIR")
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as e:
        raise ValueError(
            f"unknown dataset {name!r}; TFDS datasets of the paper: {', '.join(PAPER_DATASETS)}"
        ) from e
    if not builder.is_prepared():
        if not download:
            raise DatasetNotFoundError(_missing_message(name, builder.data_dir))
        logging.info("downloading and preparing %s into %s", name, builder.data_dir)
        try:
            builder.download_and_prepare()
        except Exception as e:  # network errors come in many types; re-raise with the fix
            raise DatasetNotFoundError(
                f"{_missing_message(name, builder.data_dir)} ({type(e).__name__}: {e})"
            ) from e
    where = (cache_dir or split_cache.default_dir()) if cache_decoded else None
    x_pool, y_pool = _pool_split(builder, pool_split, image_size, where)
    x_test, y_test = _cached_split(builder, test_split, image_size, where)
    rng = np.random.default_rng(subset_seed)
    if pool_size is not None:
        keep = stratified_subset(y_pool, pool_size, rng)
        x_pool, y_pool = x_pool.take(keep, axis=0), y_pool[keep]  # a DiskImages stays on disk
    if test_size is not None:
        keep = stratified_subset(y_test, test_size, rng)
        x_test, y_test = x_test[keep], y_test[keep]
    class_names = tuple(builder.info.features["label"].names)
    logging.debug(  # the banner shows it
        "%s: pool %s, test %s, %d classes", name, x_pool.shape, x_test.shape, len(class_names)
    )
    return Dataset(name, x_pool, y_pool, x_test, y_test, class_names)


def _missing_message(name: str, data_dir: str) -> str:
    return (
        f"dataset {name!r} is not prepared in {data_dir} and could not be downloaded: "
        "set TFDS_DATA_DIR (or tfds_dataset.data_dir in gin) to a TFDS data dir that holds it"
    )


def _cached_split(builder, split: str, image_size, cache_dir: str | None):
    """`_load_split` through the on-disk cache of decoded splits (none when cache_dir is None)."""
    key = split_cache.entry_key(builder, split, image_size)
    return split_cache.load_or_decode(
        cache_dir, key, lambda: _load_split(builder, split, image_size)
    )


def _pool_split(builder, split: str, image_size, cache_dir: str | None):
    """The pool's (images, labels): in memory, or the decoded split's cached `.npy` read from disk
    when `PoolStorage` says so for the split's size (decided before `pool_size` subsets it).

    A cached split opens on disk without reading its pixels; a split whose decoded size (from
    the dataset's info) goes on disk is decoded a batch at a time straight into the cache.
    """
    key = split_cache.entry_key(builder, split, image_size)
    opened = split_cache.open_images(cache_dir, key)
    shape = _decoded_shape(builder, split, image_size)
    if opened is None and cache_dir and key and shape and PoolStorage().on_disk(np.prod(shape)):
        batches = _decode_batches(builder, split, image_size)
        split_cache.write_batches(cache_dir, key, shape, batches)
        opened = split_cache.open_images(cache_dir, key)
    if opened is not None and PoolStorage().on_disk(opened[0].nbytes):
        return opened
    images, labels = _cached_split(builder, split, image_size, cache_dir)
    if not PoolStorage().on_disk(images.nbytes):
        return images, labels
    del images  # written to the cache, read from there
    opened = split_cache.open_images(cache_dir, key)
    if opened is None:
        raise ValueError(
            f"a pool on disk (PoolStorage) is the decoded split's cache, and {builder.name}'s "
            "could not be written: set tfds_dataset.cache_decoded = True and a writable "
            "tfds_dataset.cache_dir, or PoolStorage.storage = 'memory'"
        )
    return opened


def _decoded_shape(builder, split: str, image_size) -> tuple[int, int, int, int] | None:
    """The split's decoded (n, H, W, C) from the dataset's info, or None where images vary in
    size."""
    try:
        count = int(builder.info.splits[split].num_examples)
        shape = tuple(builder.info.features["image"].shape)
    except (KeyError, AttributeError, TypeError):
        return None
    if image_size is not None:
        shape = (*image_size, *shape[2:])
    if count <= 0 or len(shape) != 3 or None in shape:
        return None
    return (count, *(int(d) for d in shape))


def _load_split(
    builder, split: str, image_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The split decoded into memory: (uint8 images, int64 labels)."""
    xs, ys = zip(*_decode_batches(builder, split, image_size), strict=False)
    return np.ascontiguousarray(np.concatenate(xs), dtype=np.uint8), np.concatenate(ys).astype(
        np.int64
    )


def _decode_batches(builder, split: str, image_size: tuple[int, int] | None = None):
    """The split's (uint8 images, labels) in batches of 4,096, resized to `image_size` if given."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    ds = builder.as_dataset(split=split, as_supervised=True, shuffle_files=False)
    if image_size is not None:
        size = [int(image_size[0]), int(image_size[1])]

        def resize(image, label):
            resized = tf.image.resize(tf.cast(image, tf.float32), size, antialias=True)
            return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8), label

        ds = ds.map(resize)
    # Batches of 4096 rather than batch_size=-1, which aborts on generator-backed (mock) datasets.
    ds = ds.batch(4096)
    yield from tfds.as_numpy(ds)


def stratified_subset(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a class-stratified random subset (class proportions kept, remainder spread).

    Args:
      labels: int [n].
      size: subset size, 1..n.
      rng: randomness of the draw.
    """
    n = len(labels)
    if not 0 < size <= n:
        raise ValueError(f"subset size {size} must be in 1..{n} (the split size)")
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * size / n).astype(int)
    # Hand the rounding remainder to the classes with the largest fractional parts.
    frac = counts * size / n - quota
    quota[np.argsort(-frac, kind="stable")[: size - quota.sum()]] += 1
    picked = [
        rng.choice(np.flatnonzero(labels == c), q, replace=False)
        for c, q in zip(classes, quota, strict=False)
    ]
    return np.sort(np.concatenate(picked))


def stratified_split(items: list, labels: np.ndarray, test_fraction: float, seed: int):
    """Pool items, pool labels, test items, test labels: a seeded class-stratified hold-out of
    `test_fraction` (image items of a folder, indices of arrays)."""
    n = len(items)
    test_size = int(round(test_fraction * n))
    if not 0 < test_size < n:
        raise ValueError(
            f"test_fraction={test_fraction} of {n} images leaves an empty pool or test split"
        )
    is_test = np.zeros(n, bool)
    is_test[stratified_subset(labels, test_size, np.random.default_rng(seed))] = True
    pool, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    return [items[i] for i in pool], labels[pool], [items[i] for i in test], labels[test]
