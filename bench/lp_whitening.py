"""LP pseudo-label accuracy with and without PCA whitening of the embeddings, on real MNIST.

tfal's improvement beyond the paper (`tfal.lp.pca_whiten`, `SemiSupervised.whiten`): for each
seed, the model of `--gin_file` at initialisation (θ0, what the first LP of a SEMI campaign without
SUP sees) embeds the 60,000-image pool, and LP runs from that seed's initial labeled set L0 (1
label per class) on the raw and on the whitened embeddings. Prints LP accuracy on U for both and
the time of each LP, all in one run. Run (TFDS_DATA_DIR pointing at a data_dir holding mnist):

  python bench/lp_whitening.py --gin_file=gin_configs/mnist_1label_cpu.gin --seeds=0,1,2
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np

from tfal import campaign, lp, seeds
from tfal.loop import ActiveLearningLoop


def theta0_embeddings(
    gin_file: str, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pool embeddings of θ0, L0 with its labels, and the pool's true labels (for scoring only)."""
    campaign.parse_gin(
        [gin_file, "gin_configs/setting/semi.gin"],
        [f"ActiveLearningLoop.seed = {seed}"],
    )
    with tempfile.TemporaryDirectory() as run_dir:
        loop = ActiveLearningLoop(run_dir)
        truth = loop.oracle.true_labels_for_diagnostics()
        initial = loop.oracle.initial_labeled_set(
            loop.labels_per_class,
            seeds.rng(loop.seed, 0, "initial"),  # the campaign's own L0
        )
        loop.trainer.reset(None)
        features = loop._predict_pool()["embedding"]
    initial = np.asarray(initial, dtype=np.int64)
    return features, initial, truth[initial], truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gin_file", default="gin_configs/mnist_1label_cpu.gin")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    print("seed | LP accuracy raw | whitened | LP seconds raw | whitened")
    gains = []
    for seed in (int(s) for s in args.seeds.split(",")):
        features, labeled, labels, truth = theta0_embeddings(args.gin_file, seed)
        unlabeled = np.setdiff1d(np.arange(len(truth)), labeled)
        row = []
        for whiten in (False, True):
            result = lp.propagate(features, labeled, labels, int(truth.max()) + 1, whiten=whiten)
            accuracy = np.mean(result.pseudo_labels[unlabeled] == truth[unlabeled])
            row.append((accuracy, result.diagnostics.total_seconds))
        gains.append(row[1][0] - row[0][0])
        print(f"{seed} | {row[0][0]:.3f} | {row[1][0]:.3f} | {row[0][1]:.1f} | {row[1][1]:.1f}")
    print(f"mean gain from whitening: {np.mean(gains):+.3f}")


if __name__ == "__main__":
    main()
