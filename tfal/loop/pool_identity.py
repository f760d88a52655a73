"""The pool a campaign's labels belong to: state.json keeps pool indices, so the pool must not move.

`RUN_DIR/pool.npz` records, when a campaign starts, a digest of every pool image (in pool order),
the class names and, for an image folder, the file of each pool index. A resumed campaign whose pool
differs in any of these (an image added, removed or replaced in the folder, a class renamed) is
refused, naming what changed: otherwise every label given so far would silently move to another
image.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from tfal.atomic import savez_atomically
from tfal.data.sources import Dataset
from tfal.loop.state import StateError

FILE_NAME = "pool.npz"
_SHOW = 3  # changed indices named in the error


def image_digests(images: np.ndarray) -> np.ndarray:
    """uint64 [n]: an 8-byte BLAKE2b digest of each image's bytes (shape and content)."""
    rows = np.ascontiguousarray(images).reshape(len(images), -1)
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little")
            for row in rows
        ],
        dtype=np.uint64,
    )


def record(run_dir: str, data: Dataset) -> None:
    """Writes RUN_DIR/pool.npz for `data`, atomically."""
    arrays = {
        "digests": image_digests(data.x_pool),
        "class_names": np.array(data.class_names, dtype=str),
        "files": np.array(data.pool_files or (), dtype=str),
    }
    savez_atomically(os.path.join(run_dir, FILE_NAME), arrays)


def check(run_dir: str, data: Dataset) -> bool:
    """Refuses a pool that is not the recorded one; False when nothing was recorded yet."""
    path = os.path.join(run_dir, FILE_NAME)
    if not os.path.exists(path):
        return False
    with np.load(path) as saved:
        digests, names, files = saved["digests"], saved["class_names"], saved["files"]
    problem = _difference(digests, tuple(names.tolist()), tuple(files.tolist()), data)
    if problem:
        raise StateError(
            f"the pool of {run_dir} changed since the campaign started ({problem}); labels are "
            "bound to pool indices, so this campaign cannot go on with this pool: restore it or "
            "start a new run directory"
        )
    return True


def _difference(digests: np.ndarray, names: tuple, files: tuple, data: Dataset) -> str | None:
    if names != tuple(data.class_names):
        return f"class names {list(names)} are now {list(data.class_names)}"
    now_files = tuple(data.pool_files or ())
    if files and now_files and files != now_files:
        added = sorted(set(now_files) - set(files))
        removed = sorted(set(files) - set(now_files))
        return f"{len(added)} files added {added[:_SHOW]}, {len(removed)} removed {removed[:_SHOW]}"
    if len(digests) != len(data.x_pool):
        return f"{len(digests)} images then, {len(data.x_pool)} now"
    changed = np.flatnonzero(digests != image_digests(data.x_pool))
    if changed.size:
        where = [f"{i} ({files[i]})" if files else str(i) for i in changed[:_SHOW].tolist()]
        return f"{changed.size} images differ, at pool indices {', '.join(where)}"
    return None
