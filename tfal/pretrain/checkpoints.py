"""PRE's files in `RUN_DIR/checkpoints/pretrain/`: theta_0 and the latest finished epoch.

* `theta0.npz`: the pre-trained weights of the Trainer's model (Algorithm 1, line 2), written once
  and reused by every cycle, by a resumed campaign and (via `DeepCluster.reuse_path`) by other
  campaigns on the same data and model.
* `epoch-<N>.index` / `.data-*` (and TensorFlow's `checkpoint` file): a `tf.train` checkpoint of the
  state after N finished epochs (the model with its dropout RNG states, the cluster head, the
  optimizer and schedule step, the last assignment for the stability NMI), so a killed PRE resumes
  at epoch N exactly as if it had not stopped. Only the latest is kept.

Every write is atomic: a killed process leaves the previous file intact.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from tfal.atomic import savez_atomically
from tfal.training.checkpoints import CheckpointDirectory, latest

THETA0 = "theta0.npz"


@dataclasses.dataclass(frozen=True)
class Theta0:
    """theta_0 as stored: the weights, how many PRE epochs made them, and where they came from."""

    weights: list[np.ndarray]
    epochs: int
    num_clusters: int
    source: str


def save_theta0(
    path: str, weights: list[np.ndarray], *, epochs: int, num_clusters: int, source: str = ""
) -> None:
    """Writes theta_0 atomically; `source` names a reused file ("" when trained in this run)."""
    arrays = _numbered("weight", weights)
    arrays.update(
        epochs=np.int64(epochs), num_clusters=np.int64(num_clusters), source=np.str_(source)
    )
    _save_atomic(path, arrays)


def load_theta0(path: str, expected: list[np.ndarray]) -> Theta0:
    """Reads theta_0 and checks it fits a model whose weights look like `expected`.

    Raises:
      ValueError: one line naming the file and the first mismatching weight.
    """
    with np.load(path, allow_pickle=False) as f:
        weights = _unnumbered(f, "weight")
        theta = Theta0(weights, int(f["epochs"]), int(f["num_clusters"]), str(f["source"]))
    check_shapes(weights, expected, what=f"theta_0 file {path!r}")
    return theta


EPOCH_NAME = "epoch"


def epoch_checkpoints(directory: str, objects: dict[str, object]) -> CheckpointDirectory:
    """The epoch checkpoints (`epoch-<N>`, N finished epochs) of these named objects."""
    return CheckpointDirectory(directory, EPOCH_NAME, objects)


def has_epoch_checkpoint(directory: str) -> bool:
    return latest(directory) is not None


def check_shapes(found: list[np.ndarray], expected: list[np.ndarray], *, what: str) -> None:
    """Raises a one-line ValueError unless `found` has the count and shapes of `expected`."""
    if len(found) != len(expected):
        raise ValueError(
            f"{what} holds {len(found)} weight arrays but the model has {len(expected)}: "
            "a different model or dataset"
        )
    for i, (w, e) in enumerate(zip(found, expected, strict=True)):
        if w.shape != np.shape(e):
            raise ValueError(
                f"{what}: weight {i} has shape {w.shape} but the model expects "
                f"{np.shape(e)}: a different model or dataset"
            )


def _numbered(prefix: str, arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}_{i:04d}": np.asarray(a) for i, a in enumerate(arrays)}


def _unnumbered(f, prefix: str) -> list[np.ndarray]:
    keys = sorted(k for k in f.files if k.startswith(prefix + "_"))
    return [np.asarray(f[k]) for k in keys]


def _save_atomic(path: str, arrays: dict[str, np.ndarray]) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    savez_atomically(path, arrays)
