"""Run as a script by test_exact_updates.py: MirroredStrategy on two logical CPUs vs one device.

Prints MAXDIFF <replicas> <max |w_mirrored - w_one_device|> <max |w_one_device - w_no_decay|> after
a few steps on the same global batches, with a weight decay large enough to matter.
"""

import numpy as np
import tensorflow as tf
from tiny_models import train_dense


def main() -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]  # before any op initialises the devices
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    two = train_dense(mirrored, 0.2)
    one = train_dense(None, 0.2)
    no_decay = train_dense(None, 0.0)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(two, one, strict=True))
    moved = max(float(np.abs(a - b).max()) for a, b in zip(one, no_decay, strict=True))
    print("MAXDIFF", mirrored.num_replicas_in_sync, diff, moved)


if __name__ == "__main__":
    main()
