"""Run as a script by test_hardware.py: MirroredStrategy over two logical CPU devices."""

import numpy as np
import tensorflow as tf

from tfal.data import sampling
from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.models import small_cnn
from tfal.training import Trainer


def main() -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]  # before any op initialises the devices
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    x = rng.integers(0, 60, size=(256, 12, 12, 1)).astype(np.uint8)
    x[y == 0, :6] += 150
    x[y == 1, 6:] += 150
    pipe = InputPipeline(
        x, np.array([0.3], np.float32), np.array([0.3], np.float32), Augmentation(max_shift=1)
    )
    trainer = Trainer(
        2,
        (12, 12, 1),
        model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a),
        learning_rate=0.05,
        steps_per_call=10,
        strategy=strategy,
    )
    batches = sampling.supervised_batches(np.arange(256), y, batch_size=32, num_steps=60, rng=rng)
    trainer.start_phase(60)
    first = trainer.train(pipe.train_dataset(batches, rng), 10)
    last = trainer.train(pipe.train_dataset(batches, rng), 50)
    acc = (trainer.predict(pipe.inference_dataset(64))["probs"].argmax(1) == y).mean()
    print(
        "REPLICAS",
        strategy.num_replicas_in_sync,
        "LOSS",
        first,
        last,
        "ACC",
        acc,
        "PHASE",
        int(trainer._phase_step.numpy()),
    )


if __name__ == "__main__":
    main()
