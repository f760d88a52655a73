"""Run as a script by test_exact_updates.py: one worker of a MultiWorkerMirroredStrategy cluster
(TF_CONFIG set by the caller), or `--single` for the one-worker reference. Trains a tiny dense
model on the same global batches with weight decay, then saves the weights to OUT.npz.
"""

import argparse

import numpy as np
import tensorflow as tf
from tiny_models import dense_model

from tfal.training import Trainer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--single", action="store_true")
    args = parser.parse_args()
    strategy = None if args.single else tf.distribute.MultiWorkerMirroredStrategy()
    trainer = Trainer(
        3,
        (4, 4, 1),
        model_fn=dense_model,
        learning_rate=0.1,
        weight_decay=0.2,
        steps_per_call=3,
        strategy=strategy,
        seed=0,
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4, 4, 1)).astype(np.float32)
    y = rng.integers(0, 3, 128).astype(np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32, drop_remainder=True).repeat()
    options = tf.data.Options()
    # Each global batch of 32 split across the workers, every worker seeing every batch index.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    trainer.start_phase(6)
    trainer.train(dataset.with_options(options), 6)
    np.savez(args.out, *trainer.model.get_weights())
    print("REPLICAS", trainer.strategy.num_replicas_in_sync)


if __name__ == "__main__":
    main()
