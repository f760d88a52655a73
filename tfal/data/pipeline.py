"""tf.data pipelines over the pool: training batches with augmentation, and inference.

A pool in memory is one tensor, created once, and a batch is a `tf.gather` of it; a pool on disk
(`tfal.data.disk_images.DiskImages`) is read by index inside the map (`tf.numpy_function`, in the
same parallel calls and prefetch), and inference reads it a batch at a time, in order.

Augmentation follows section 6.1: random translations of up to `max_shift` pixels (reflection
padding, as the authors' code) and optional horizontal flips. Offsets and flips are drawn in numpy
(see `tfal.data.sampling`) so every batch is reproducible; the graph only applies them, vectorised
over the batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated

import numpy as np
import tensorflow as tf

from tfal.config_types import Range, configurable
from tfal.data import sampling
from tfal.data.disk_images import DiskImages


def normalize(images: tf.Tensor, mean: tf.Tensor, std: tf.Tensor) -> tf.Tensor:
    """uint8 [B, H, W, C] -> float32 (x / 255 - mean) / std per channel (also inside the export)."""
    return (tf.cast(images, tf.float32) / 255.0 - mean) / std


def translate(images: tf.Tensor, shifts: tf.Tensor, max_shift: int) -> tf.Tensor:
    """Shifts each image by its own offset in [-max_shift, max_shift], reflecting at the borders.

    Args:
      images: [B, H, W, C].
      shifts: int32 [B, 2] offsets into the padded image, in [0, 2 * max_shift].
    """
    if max_shift == 0:
        return images
    h, w = images.shape[1], images.shape[2]
    p = max_shift
    padded = tf.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
    rows = shifts[:, :1] + tf.range(h)[None, :]
    cols = shifts[:, 1:] + tf.range(w)[None, :]
    padded = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(padded, cols, axis=2, batch_dims=1)


def flip(images: tf.Tensor, flips: tf.Tensor) -> tf.Tensor:
    """Horizontal flip of the images whose flag is set."""
    return tf.where(flips[:, None, None, None], tf.reverse(images, axis=[2]), images)


@configurable(module="tfal.data")
class Augmentation:
    """Section 6.1 augmentation: translations up to `max_shift` px, flips where they make sense.

    The faithful configs flip CIFAR and SVHN... see gin_configs; digits are not flipped by default
    because a flipped digit is often another digit or none (the authors' code does flip: README, "Where the paper is silent").
    """

    def __init__(self, max_shift: Annotated[int, Range(0, 64)] = 4, horizontal_flip: bool = False):
        self.max_shift = max_shift
        self.horizontal_flip = horizontal_flip

    def params(self, num: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return sampling.augmentation_params(
            num, max_shift=self.max_shift, flip=self.horizontal_flip, rng=rng
        )


# Up to this many cores the training pipeline's parallelism is fixed, above it tf.data autotunes.
_FIXED_PARALLELISM_MAX_CORES = 4


def default_parallelism(cores: int | None = None) -> tuple[int, int]:
    """(map parallel calls, prefetched batches) for the training pipeline on `cores` cores.

    None: the cores this process may run on (its CPU affinity, what TensorFlow's thread pools
    size themselves to). Few cores: one map call per core, two batches per core prefetched;
    more: tf.data.AUTOTUNE for both.
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = max(1, int(cores or 1))
    if cores <= _FIXED_PARALLELISM_MAX_CORES:
        return cores, 2 * cores
    return tf.data.AUTOTUNE, tf.data.AUTOTUNE


@configurable(module="tfal.data", denylist=["images", "mean", "std", "augmentation"])
class InputPipeline:
    """Builds tf.data datasets over one pool: an in-memory one's tensor is created once, one on
    disk is read by index (module docstring).

    Args:
      parallel_calls, prefetch: of the training batches' map and prefetch; None derives them from
        the cores this process may use (`default_parallelism`): on a few cores one map call per
        core and two batches per core prefetched, where tf.data's AUTOTUNE fights the model for
        the cores (2 cores, small CNN: SEMI training at 0.50-1.00 of the constant-batch rate from
        run to run with AUTOTUNE, 1.00-1.09 with 2 and 4); AUTOTUNE on larger hosts (a GPU host).
    """

    def __init__(
        self,
        images: np.ndarray | DiskImages,
        mean: np.ndarray,
        std: np.ndarray,
        augmentation: Augmentation,
        *,
        parallel_calls: Annotated[int, Range(1, 1024)] | None = None,
        prefetch: Annotated[int, Range(1, 1024)] | None = None,
    ):
        self._images = _source(images)
        self._mean = tf.constant(mean, tf.float32)
        self._std = tf.constant(std, tf.float32)
        self.augmentation = augmentation
        default_calls, default_prefetch = default_parallelism()
        self._parallel_calls = default_calls if parallel_calls is None else parallel_calls
        self._prefetch = default_prefetch if prefetch is None else prefetch

    def train_dataset(self, batches: sampling.Batches, rng: np.random.Generator) -> tf.data.Dataset:
        """Repeating dataset of (images float32 [B, H, W, C], labels int32 [B]) following `batches`.

        Repeats so the trainer's iterator never runs dry mid-call; the caller takes exactly
        `batches.num_steps` steps. Shapes are static (drop_remainder semantics), so one trace serves
        every cycle.
        """
        steps, batch_size = batches.indices.shape
        shifts, flips = self.augmentation.params(steps * batch_size, rng)
        ds = tf.data.Dataset.from_tensor_slices(
            (
                batches.indices.astype(np.int32),
                batches.labels.astype(np.int32),
                shifts.reshape(steps, batch_size, 2),
                flips.reshape(steps, batch_size),
            )
        )
        max_shift = self.augmentation.max_shift

        def make_batch(idx, labels, shift, flip_flags):
            x = self._images.gather(idx)
            x = flip(translate(x, shift, max_shift), flip_flags)
            return normalize(x, self._mean, self._std), labels

        ds = ds.map(make_batch, num_parallel_calls=self._parallel_calls, deterministic=True)
        return ds.repeat().prefetch(self._prefetch)

    def inference_batches(
        self, batch_size: int, images: np.ndarray | None = None
    ) -> Iterator[tf.Tensor]:
        """Normalised, un-augmented batches of the pool (or of `images`), in order, one at a time.

        What extraction iterates: no tf.data threads run beside the model, whose own threads
        then have the cores. With `inference_dataset` the same 60,000-image extraction of the
        small CNN on 2 cores took 3.0 s or 5.2 s from one run to the next (a parallel map and
        prefetch competing with the forward pass); with this, 3.0-3.1 s every time.
        """
        source = self._images if images is None else _source(images)
        for batch in source.batches(batch_size):
            yield normalize(batch, self._mean, self._std)

    def inference_dataset(
        self, batch_size: int, images: np.ndarray | None = None
    ) -> tf.data.Dataset:
        """Normalised, un-augmented batches of the pool (or of `images`), in order.

        Slices whole batches out of the in-memory tensor: slicing it into single images first and
        re-batching them costs a third of the extraction time of a small network.
        """
        source = self._images if images is None else _source(images)
        starts = tf.data.Dataset.range(0, source.count, batch_size)
        ds = starts.map(
            lambda start: normalize(source.rows(start, batch_size), self._mean, self._std),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        return ds.prefetch(tf.data.AUTOTUNE)


class _TensorImages:
    """An in-memory pool as one constant tensor: batches gathered or sliced in the graph."""

    def __init__(self, images: np.ndarray):
        self.tensor = tf.constant(images)
        self.count = int(self.tensor.shape[0])

    def gather(self, idx: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.tensor, idx)

    def rows(self, start: tf.Tensor, size: int) -> tf.Tensor:
        return self.tensor[start : start + size]

    def batches(self, size: int) -> Iterator[tf.Tensor]:
        for start in range(0, self.count, size):
            yield self.tensor[start : start + size]


class _StreamedImages:
    """A pool on disk: the rows a batch needs are read by index (`tf.numpy_function`), so only
    the batches in flight are in memory; `os.preadv` releases the GIL for parallel map calls."""

    def __init__(self, images: DiskImages):
        self.images = images
        self.count = len(images)

    def gather(self, idx: tf.Tensor) -> tf.Tensor:
        x = tf.numpy_function(self.images.__getitem__, [idx], tf.uint8, stateful=False)
        return tf.ensure_shape(x, [*idx.shape, *self.images.row_shape])

    def rows(self, start: tf.Tensor, size: int) -> tf.Tensor:
        x = tf.numpy_function(
            lambda s: self.images[int(s) : int(s) + size], [start], tf.uint8, stateful=False
        )
        return tf.ensure_shape(x, [None, *self.images.row_shape])

    def batches(self, size: int) -> Iterator[tf.Tensor]:
        for block in self.images.chunks(size):
            yield tf.constant(block)


def _source(images: np.ndarray | DiskImages) -> _TensorImages | _StreamedImages:
    return _StreamedImages(images) if isinstance(images, DiskImages) else _TensorImages(images)
