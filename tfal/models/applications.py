"""A user's own backbone: any `keras.applications` network behind tfal's model interface.

tfal's models map normalised images `[B, H, W, C]` to `{"embedding": [B, d], "logits": [B, c]}`:
the embedding is what LP, CoreSet and jLP work on. This wraps a `keras.applications` constructor
(global-average-pooled, no top) and a linear classifier into that interface, so
`Trainer.model_fn = @tfal.models.keras_application` and `keras_application.name = 'ResNet50'`
train, propagate, acquire and export like the paper's network.
"""

from __future__ import annotations

from typing import Annotated

import keras
from keras import layers

from tfal.config_types import BelowOne, OneOf, configurable

# Every constructor keras.applications offers (ResNet50, MobileNetV2, EfficientNetB0, ...).
APPLICATIONS = tuple(
    sorted(
        name
        for name in dir(keras.applications)
        if name[0].isupper() and callable(getattr(keras.applications, name))
    )
)
# Most applications refuse inputs smaller than this; smaller images are resized up in the model.
_MIN_SIDE = 32


@configurable(module="tfal.models", denylist=["num_classes", "input_shape", "seed"])
def keras_application(
    num_classes: int,
    input_shape: tuple[int, int, int],
    *,
    name: Annotated[str, OneOf(APPLICATIONS)] = "ResNet50",
    weights: Annotated[str, OneOf(("imagenet",))] | None = None,
    dropout: BelowOne = 0.0,
    seed: int = 0,
) -> keras.Model:
    """`keras.applications.<name>` (no top, average-pooled) + dropout + a dense classifier.

    Args:
      num_classes, input_shape: of the dataset (the loop passes them).
      name: the `keras.applications` constructor.
      weights: None (random initial weights) or "imagenet" (downloaded on first use; those
        networks expect their own input preprocessing, while tfal feeds images normalised with the
        pool's mean and std, so fine-tuning starts a little off their training distribution).
      dropout: rate before the classifier.
      seed: initial weights (the backbone's through Keras' global seed, set here; the classifier's
        and dropout's own).

    Grey images are repeated to three channels and images smaller than 32 pixels a side are
    resized up, inside the model, since most applications need both.
    """
    keras.utils.set_random_seed(seed)  # the applications' initializers take no seed of their own
    inputs = keras.Input(input_shape)
    x = inputs
    if input_shape[-1] == 1:
        x = layers.Concatenate(name="grey_to_rgb")([x, x, x])
    height, width = input_shape[:2]
    if min(height, width) < _MIN_SIDE:
        x = layers.Resizing(max(height, _MIN_SIDE), max(width, _MIN_SIDE), name="upsize")(x)
    backbone = getattr(keras.applications, name)(
        include_top=False, weights=weights, input_shape=tuple(x.shape[1:]), pooling="avg"
    )
    embedding = backbone(x)
    h = layers.Dropout(dropout, seed=seed + 20, name="head_dropout")(embedding)
    logits = layers.Dense(
        num_classes,
        dtype="float32",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 30),
        name="logits",
    )(h)
    return keras.Model(
        inputs, {"embedding": embedding, "logits": logits}, name=f"keras_{name.lower()}"
    )
