"""Cold-start probe: PRE's θ0 (DeepCluster) as the features of a label-free L0 on MNIST.

    TFDS_DATA_DIR=... python results/cold_start_probe/theta0_l0.py RUN_DIR [RUN_DIR ...]

RUN_DIR: a campaign started with `mnist_1label_cpu.gin` + `setting/pre_semi.gin` through the CLI
(stopped once PRE wrote `checkpoints/pretrain/theta0.npz`). For each θ0, 10 label-free picks from
its embedding (PCA-whitened, as SEMI's LP sees it, and its spectral view) by TypiClust and ProbCover,
k-means seeds 0-4; prints the digits they cover and LP's accuracy from them on θ0's whitened
embedding (what PRE+SEMI's first LP sees), against a uniform draw. True labels only score.
"""

import sys

import numpy as np

from tfal import lp
from tfal.acquisition.coverage import probcover
from tfal.acquisition.typicality import typiclust
from tfal.data.pipeline import normalize
from tfal.data.sources import tfds_dataset
from tfal.lp import features as lpf
from tfal.lp import graph as lpg
from tfal.lp import knn
from tfal.models import small_cnn
from tfal.pretrain.checkpoints import load_theta0


def embedding(run_dir: str, data) -> np.ndarray:
    """θ0's embedding of the pool, normalised as the campaign's pipeline does."""
    model = small_cnn(10, data.image_shape, seed=0)
    theta = load_theta0(f"{run_dir}/checkpoints/pretrain/theta0.npz", model.get_weights())
    model.set_weights(theta.weights)
    mean, std = data.channel_stats()
    out = [
        np.asarray(
            model(normalize(data.x_pool[i : i + 2000], mean, std), training=False)["embedding"]
        )
        for i in range(0, len(data.x_pool), 2000)
    ]
    return np.concatenate(out).astype(np.float32)


def spectral(x: np.ndarray, seed: int, k: int = 10, dim: int = 20) -> np.ndarray:
    """`typicality.spectral_features`' view, on given features instead of the pixels."""
    import scipy.sparse.linalg as sla

    w = lpg.knn_graph(x, k=k, gamma=1.0, seed=seed).astype(np.float64)
    start = np.random.default_rng(seed).standard_normal(len(x))
    values, vectors = sla.eigsh(lpg.normalize_graph(w), k=dim + 1, which="LA", tol=1e-4, v0=start)
    return knn.l2_normalize(vectors[:, np.argsort(-values)][:, 1:]).astype(np.float32)


def score(picks, white: np.ndarray, truth: np.ndarray) -> tuple[int, float]:
    """Digits among the picks, and LP's accuracy from their true labels on the other images."""
    picks = np.sort(np.asarray(picks, np.int64))
    result = lp.propagate(white, picks, truth[picks], 10, whiten=False)
    rest = np.setdiff1d(np.arange(len(truth)), picks)
    return len(set(truth[picks].tolist())), float(
        np.mean(result.pseudo_labels[rest] == truth[rest])
    )


def main(*run_dirs: str) -> None:
    data = tfds_dataset("mnist")
    truth = np.asarray(data.y_pool)
    empty = np.zeros(0, np.int64)
    for run_dir in run_dirs:
        emb = embedding(run_dir, data)
        white = lpf.pca_whiten(emb, dim=min(64, emb.shape[1]))
        views = {"whitened": white, "spectral": spectral(white, 0)}

        rows = {}
        for view, x in views.items():
            for name, select in (("typiclust", typiclust), ("probcover", probcover)):
                extra = {"clusters": 10} if name == "probcover" else {}
                rows[f"{view} {name}"] = [
                    score(select(10, labeled_idx=empty, features=x, seed=s, **extra), white, truth)
                    for s in range(5)
                ]
        rows["uniform"] = [
            score(np.random.default_rng(s).choice(len(truth), 10, replace=False), white, truth)
            for s in range(5)
        ]
        for name, found in rows.items():
            digits = [d for d, _ in found]
            print(
                f"{run_dir} | {name} | digits {digits} (mean {np.mean(digits):.1f}) | "
                f"LP accuracy {100 * np.mean([a for _, a in found]):.1f} %",
                flush=True,
            )


if __name__ == "__main__":
    main(*sys.argv[1:])
