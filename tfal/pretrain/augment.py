"""PRE-only augmentation: random stroke-width jitter, DeepCluster's [5] Sobel for digits.

[5] (section 3.4 and 5) removes colour with a Sobel filter because k-means on raw features would
otherwise cluster by colour, an easy cue the network then learns to amplify. On MNIST the same
happens with the amount of ink: the global-average-pooled embedding of a random small CNN grows with
stroke width, k-means on it splits the pool by thickness, and PRE learns thickness instead of digits
(measured: clusters carried more information about ink-amount deciles than about classes). A random
dilation or erosion of every training image (a 2x2 max- or min-filter) makes the cluster of an image
unpredictable from its thickness, so the network has to use shape.

Only the learning half of PRE is augmented; features for k-means are extracted from clean images.
Every draw comes from the epoch's numpy generator, so a resumed PRE repeats the same epoch.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import tensorflow as tf

from tfal.config_types import Probability, Range, configurable


@configurable(module="tfal.pretrain")
class StrokeJitter:
    """Dilates or erodes each PRE training image with probability `probability` (half each).

    Args:
      probability: chance that an image is dilated or eroded; 0 turns the jitter off. Meant for
        thin-stroke images (digits); on natural images a min/max filter is no useful invariance.
      size: side of the square max/min filter in pixels (2: strokes grow or shrink by one pixel).
    """

    def __init__(self, probability: Probability = 2 / 3, size: Annotated[int, Range(2, 64)] = 2):
        self.probability = probability
        self.size = size

    def draws(self, num_steps: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """int32 [num_steps, batch_size] per image: 0 unchanged, 1 dilated, 2 eroded."""
        u = rng.random((num_steps, batch_size))
        half = self.probability / 2
        return np.where(u < half, 1, np.where(u < self.probability, 2, 0)).astype(np.int32)

    def apply(self, images: tf.Tensor, choice: tf.Tensor) -> tf.Tensor:
        """images [B, H, W, C] (any monotone normalisation), choice int32 [B] from `draws`."""
        dilated = tf.nn.max_pool2d(images, self.size, 1, "SAME")
        eroded = -tf.nn.max_pool2d(-images, self.size, 1, "SAME")
        choice = choice[:, None, None, None]
        return tf.where(choice == 1, dilated, tf.where(choice == 2, eroded, images))

    def wrap(
        self, dataset: tf.data.Dataset, num_steps: int, batch_size: int, rng: np.random.Generator
    ) -> tf.data.Dataset:
        """The repeating (images, labels) `dataset` of one epoch with each image jittered.

        Step i of the epoch gets row i of `draws`; both sides repeat with period `num_steps`, so
        they stay aligned for exactly the epoch's steps.
        """
        choices = tf.data.Dataset.from_tensor_slices(self.draws(num_steps, batch_size, rng))
        zipped = tf.data.Dataset.zip((dataset, choices.repeat()))
        return zipped.map(
            lambda batch, choice: (self.apply(batch[0], choice), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        ).prefetch(tf.data.AUTOTUNE)
