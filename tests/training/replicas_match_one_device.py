"""Run as a script by test_exact_updates.py: MirroredStrategy on two logical CPUs vs one device.

Prints MAXDIFF <replicas> <max |w_mirrored - w_one_device|> <max |w_one_device - w_no_decay|> after
a few steps on the same global batches, with a weight decay large enough to matter.
"""

import numpy as np
import tensorflow as tf
from tiny_models import dense_model

from tfal.training import Trainer


def _weights(strategy, weight_decay):
    trainer = Trainer(
        3,
        (4, 4, 1),
        model_fn=dense_model,
        learning_rate=0.1,
        weight_decay=weight_decay,
        steps_per_call=2,
        strategy=strategy,
        seed=0,
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4, 4, 1)).astype(np.float32)
    y = rng.integers(0, 3, 32).astype(np.int32)
    trainer.start_phase(4)
    trainer.train(tf.data.Dataset.from_tensors((x, y)).repeat(), 4)
    return trainer.model.get_weights()


def main() -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]  # before any op initialises the devices
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    two = _weights(mirrored, 0.2)
    one = _weights(None, 0.2)
    no_decay = _weights(None, 0.0)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(two, one, strict=True))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(one, no_decay, strict=True))
    print("MAXDIFF", mirrored.num_replicas_in_sync, diff, moved)


if __name__ == "__main__":
    main()
