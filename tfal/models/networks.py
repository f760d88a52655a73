"""The paper's 13-layer network (Laine & Aila's "conv-large") and a small CNN for CPU runs."""

from __future__ import annotations

from typing import Annotated

import keras
from keras import layers

from tfal.config_types import BelowOne, Probability, Range, configurable

Width = Annotated[int, Range(1, 4096)]  # channels of a conv layer


def _conv_bn(x, filters: int, kernel: int, padding: str, slope: float, name: str, seed: int):
    """Conv (no bias: batch norm follows) + batch norm + leaky ReLU, as in conv-large."""
    init = keras.initializers.HeNormal(seed=seed)
    x = layers.Conv2D(
        filters,
        kernel,
        padding=padding,
        use_bias=False,
        kernel_initializer=init,
        name=f"{name}_conv",
    )(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    return layers.LeakyReLU(negative_slope=slope, name=f"{name}_act")(x)


def _head(x, num_classes: int, l2_normalize: bool, seed: int):
    """Embedding (global average pool) and the linear classifier on it."""
    embedding = layers.GlobalAveragePooling2D(name="embedding_pool")(x)
    embedding = layers.Activation("linear", dtype="float32", name="embedding")(embedding)
    features = (
        layers.UnitNormalization(name="l2_normalize")(embedding) if l2_normalize else embedding
    )
    logits = layers.Dense(
        num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="classifier",
    )(features)
    logits = layers.Activation("linear", dtype="float32", name="logits")(logits)
    return {"embedding": embedding, "logits": logits}


@configurable(module="tfal.models", denylist=["num_classes", "input_shape", "seed"])
def conv_large(
    num_classes: int,
    input_shape: tuple[int, int, int],
    *,
    dropout: BelowOne = 0.5,
    leaky_slope: Probability = 0.1,
    l2_normalize_embedding: bool = False,
    seed: int = 0,
) -> keras.Model:
    """The 13-layer network of [18] used for every experiment (section 6.1).

    3x conv128 3x3, max-pool, dropout, 3x conv256 3x3, max-pool, dropout, conv512 3x3 valid,
    conv256 1x1, conv128 1x1, global average pool (the 128-d embedding), dense. The authors'
    weight normalisation is not reproduced (batch norm follows every conv); their default
    L2-normalisation of the embedding before the classifier is `l2_normalize_embedding`.
    `seed` (initial weights, dropout) is the Trainer's, derived from the campaign seed: not a
    gin parameter.

    Args:
      dropout: dropout rate after each max-pool.
      leaky_slope: the leaky ReLUs' negative slope (0.1, as the authors').
      l2_normalize_embedding: L2-normalise the embedding before the classifier (the authors'
        default; off here).
    """
    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    for i in range(3):
        x = _conv_bn(x, 128, 3, "same", leaky_slope, f"block1_{i}", seed + i)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Dropout(dropout, seed=seed + 20, name="block1_dropout")(x)
    for i in range(3):
        x = _conv_bn(x, 256, 3, "same", leaky_slope, f"block2_{i}", seed + 3 + i)
    x = layers.MaxPooling2D(2, name="block2_pool")(x)
    x = layers.Dropout(dropout, seed=seed + 21, name="block2_dropout")(x)
    x = _conv_bn(x, 512, 3, "valid", leaky_slope, "block3_0", seed + 6)
    x = _conv_bn(x, 256, 1, "valid", leaky_slope, "block3_1", seed + 7)
    x = _conv_bn(x, 128, 1, "valid", leaky_slope, "block3_2", seed + 8)
    return keras.Model(
        inputs, _head(x, num_classes, l2_normalize_embedding, seed + 30), name="conv_large"
    )


@configurable(module="tfal.models", denylist=["num_classes", "input_shape", "seed"])
def small_cnn(
    num_classes: int,
    input_shape: tuple[int, int, int],
    *,
    widths: tuple[Width, Width, Width] = (32, 64, 128),
    dropout: BelowOne = 0.25,
    leaky_slope: Probability = 0.1,
    l2_normalize_embedding: bool = False,
    seed: int = 0,
) -> keras.Model:
    """A conv-large in miniature (same block structure, fewer and narrower layers) for 2-core CPUs.

    conv w0 3x3, max-pool, dropout, conv w1 3x3, max-pool, dropout, conv w2 3x3 valid, global
    average pool (the embedding), dense.

    Args:
      widths: the three conv layers' channels (w0, w1, w2).
      dropout: dropout rate after each max-pool.
      leaky_slope: the leaky ReLUs' negative slope.
      l2_normalize_embedding: L2-normalise the embedding before the classifier.
    """
    inputs = keras.Input(shape=input_shape, name="images")
    x = _conv_bn(inputs, widths[0], 3, "same", leaky_slope, "block1_0", seed)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Dropout(dropout, seed=seed + 20, name="block1_dropout")(x)
    x = _conv_bn(x, widths[1], 3, "same", leaky_slope, "block2_0", seed + 1)
    x = layers.MaxPooling2D(2, name="block2_pool")(x)
    x = layers.Dropout(dropout, seed=seed + 21, name="block2_dropout")(x)
    x = _conv_bn(x, widths[2], 3, "valid", leaky_slope, "block3_0", seed + 6)
    return keras.Model(
        inputs, _head(x, num_classes, l2_normalize_embedding, seed + 30), name="small_cnn"
    )
