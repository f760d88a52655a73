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


def train_dense(strategy, weight_decay: float, *, steps: int = 6) -> list:
    """Weights of `dense_model` after `steps` SGD steps on four fixed global batches of 32.

    Each global batch is split across the replicas (and workers: DATA sharding), so any strategy
    sees exactly what one device sees.
    """
    import numpy as np
    import tensorflow as tf

    from tfal.training import Trainer

    trainer = Trainer(
        3,
        (4, 4, 1),
        model_fn=dense_model,
        learning_rate=0.1,
        weight_decay=weight_decay,
        steps_per_call=3,
        strategy=strategy,
        seed=0,
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4, 4, 1)).astype(np.float32)
    y = rng.integers(0, 3, 128).astype(np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    trainer.start_phase(steps)
    trainer.train(dataset.with_options(options), steps)
    return trainer.model.get_weights()
