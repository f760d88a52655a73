"""Run as a script by test_exact_updates.py: one worker of a MultiWorkerMirroredStrategy cluster
(TF_CONFIG set by the caller), or `--single` for the one-worker reference. Trains a tiny dense
model on the same global batches with weight decay, then saves the weights to OUT.npz.
"""

import argparse

import numpy as np
import tensorflow as tf
from tiny_models import train_dense


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--single", action="store_true")
    args = parser.parse_args()
    strategy = None if args.single else tf.distribute.MultiWorkerMirroredStrategy()
    np.savez(args.out, *train_dense(strategy, 0.2))
    replicas = strategy.num_replicas_in_sync if strategy else 1
    print("REPLICAS", replicas)


if __name__ == "__main__":
    main()
