"""Classes covered by each label-free L0 selection on MNIST's pool (tfal.loop.initial.choose).

    TFDS_DATA_DIR=... python results/cold_start_campaigns/coverage_of_l0.py [seeds]
"""

import sys
import time

import numpy as np

from tfal.data.sources import tfds_dataset
from tfal.loop import initial
from tfal.seeds import rng


class _NoLabels:
    def true_labels_for_diagnostics(self):
        return None


def main(seeds: int = 5) -> None:
    data = tfds_dataset("mnist")
    truth = np.asarray(data.y_pool)
    for selection in ("typiclust", "probcover", "random"):
        covered, seconds = [], []
        for seed in range(seeds):
            start = time.perf_counter()
            picks = initial.choose(selection, oracle=_NoLabels(), images=data.x_pool, num_classes=10,
                                   labels_per_class=1, rng=rng(seed, 0, "initial"))
            seconds.append(time.perf_counter() - start)
            covered.append(len(set(truth[picks].tolist())))
        print(f"{selection}: classes {covered}, mean {np.mean(covered):.1f}; "
              f"{np.median(seconds):.1f} s median")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
