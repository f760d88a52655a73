"""A tiny dense model with the tfal contract, shared by the exact-update tests and their scripts.

No batch norm or dropout: per-replica batch statistics would differ from the global batch's, so
replica and one-device updates can only be compared exactly without them.
"""

import keras


def dense_model(num_classes, input_shape, seed):
    """Flatten -> Dense(8) "embedding" -> Dense(num_classes) "logits", seeded; float32 outputs."""
    inputs = keras.Input(input_shape)
    flat = keras.layers.Flatten()(inputs)
    embedding = keras.layers.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed))(
        flat
    )
    embedding = keras.layers.Activation("linear", dtype="float32", name="embedding")(embedding)
    logits = keras.layers.Dense(
        num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed + 1)
    )(embedding)
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(inputs, {"embedding": embedding, "logits": logits})
