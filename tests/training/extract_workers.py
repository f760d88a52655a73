"""Run as a script by test_exact_updates.py: the pool's embeddings and probabilities from
`Trainer.predict` on one worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG set by the
caller) or, with `--mirrored`, over two logical CPUs of this process; then on one device of the
same process. Saves them as `shared_*` and `single_*` in OUT.npz (one process start for both) and
prints the replicas."""

import argparse

import numpy as np
import tensorflow as tf

from tfal.data.pipeline import Augmentation, InputPipeline
from tfal.models import small_cnn
from tfal.training import Trainer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mirrored", action="store_true")
    args = parser.parse_args()
    if args.mirrored:
        cpu = tf.config.list_physical_devices("CPU")[0]  # before any op initialises the devices
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    else:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    out = {f"{name}_{k}": v for name, o in (("shared", _extract(strategy)), ("single", _extract(None)))
           for k, v in o.items()}  # fmt: skip
    np.savez(args.out, **out)
    print("REPLICAS", strategy.num_replicas_in_sync)


def _extract(strategy) -> dict:
    x = np.random.default_rng(0).integers(0, 256, size=(37, 12, 12, 1)).astype(np.uint8)
    pipe = InputPipeline(x, np.array([0.5], np.float32), np.array([0.3], np.float32), Augmentation())
    trainer = Trainer(
        3, (12, 12, 1), model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a), strategy=strategy
    )
    return trainer.predict(pipe.inference_batches(10))  # 37 = 3 batches of 10 and one of 7


if __name__ == "__main__":
    main()
