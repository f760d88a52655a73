"""PRE's files in `RUN_DIR/checkpoints/pretrain/`: theta_0 and the latest finished epoch.

* `theta0.npz`: the pre-trained weights of the Trainer's model (Algorithm 1, line 2), written once
  and reused by every cycle, by a resumed campaign and (via `DeepCluster.reuse_path`) by other
  campaigns on the same data and model.
* `epoch-<N>.npz`: the state after N finished epochs (every model variable, dropout RNG states
  included, the cluster head, the optimizer state, the last assignment for the stability NMI), so
  a killed PRE resumes at epoch N exactly as if it had not stopped. Only the latest is kept.

Every write is atomic (temp file + rename): a killed process leaves the previous file intact.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re

import numpy as np

from tfal.atomic import savez_atomically

THETA0 = "theta0.npz"
_EPOCH_RE = re.compile(r"epoch-(\d+)\.npz$")


@dataclasses.dataclass(frozen=True)
class Theta0:
    """theta_0 as stored: the weights, how many PRE epochs made them, and where they came from."""

    weights: list[np.ndarray]
    epochs: int
    num_clusters: int
    source: str


@dataclasses.dataclass(frozen=True)
class EpochCheckpoint:
    """State after `epochs_done` finished PRE epochs; `weights` are all of `model.variables`."""

    epochs_done: int
    weights: list[np.ndarray]
    head: list[np.ndarray]
    optimizer: list[np.ndarray]
    assignment: np.ndarray


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


def save_epoch_checkpoint(directory: str, checkpoint: EpochCheckpoint) -> str:
    """Writes `epoch-<N>.npz` atomically, then deletes older epoch checkpoints; returns its path."""
    arrays = _numbered("weight", checkpoint.weights)
    arrays.update(_numbered("head", checkpoint.head))
    arrays.update(_numbered("optimizer", checkpoint.optimizer))
    arrays.update(epochs_done=np.int64(checkpoint.epochs_done), assignment=checkpoint.assignment)
    path = os.path.join(directory, f"epoch-{checkpoint.epochs_done}.npz")
    _save_atomic(path, arrays)
    for old in glob.glob(os.path.join(directory, "epoch-*.npz")):
        if old != path:
            os.remove(old)
    return path


def latest_epoch_checkpoint(directory: str) -> str | None:
    """Path of the epoch checkpoint with the most finished epochs, or None."""
    found = [
        (int(m.group(1)), p)
        for p in glob.glob(os.path.join(directory, "epoch-*.npz"))
        if (m := _EPOCH_RE.search(p))
    ]
    return max(found)[1] if found else None


def load_epoch_checkpoint(path: str, *, like: EpochCheckpoint) -> EpochCheckpoint:
    """Reads an epoch checkpoint, checking its shapes against `like` (the current state)."""
    with np.load(path, allow_pickle=False) as f:
        ckpt = EpochCheckpoint(
            int(f["epochs_done"]),
            _unnumbered(f, "weight"),
            _unnumbered(f, "head"),
            _unnumbered(f, "optimizer"),
            np.asarray(f["assignment"], np.int64),
        )
    check_shapes(ckpt.weights, like.weights, what=f"PRE checkpoint {path!r}")
    changed = f"PRE checkpoint {path!r} (num_clusters changed?)"
    check_shapes(ckpt.head, like.head, what=f"cluster head in {changed}")
    check_shapes(ckpt.optimizer, like.optimizer, what=f"optimizer state in {changed}")
    return ckpt


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
