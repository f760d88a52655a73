"""The pool a campaign's labels belong to: state.json keeps pool indices, so the pool must not move.

`RUN_DIR/pool.npz` records, when a campaign starts, a digest of every pool image (in pool order),
the class names and, for an image folder, the file of each pool index. A resumed campaign whose pool
differs in any of these (an image added, removed or replaced in the folder, a class renamed, the
same classes in another order) is refused, naming what changed: otherwise every label given so far
would silently move to another image or class.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os

import numpy as np

from tfal import run_dir as run_dir_layout
from tfal.atomic import savez_atomically
from tfal.data.disk_images import DiskImages, chunks
from tfal.data.sources import Dataset
from tfal.loop.state import CampaignState, StateError, load_checked

FILE_NAME = run_dir_layout.POOL
_SHOW = 3  # changed indices named in the error
# A labeled folder without test_root is split by a seeded draw over all its images: adding images
# draws it again, so files the pool recorded may now be test images although none was deleted.
_SPLIT_DRAWN_AGAIN = (
    " (or, for image_folder_dataset's split of root by test_fraction, added images drew the split"
    " again and moved these to the test split: a pool that grows needs its test images in"
    " image_folder_dataset.test_root)"
)


def image_digests(images: np.ndarray | DiskImages) -> np.ndarray:
    """uint64 [n]: an 8-byte BLAKE2b digest of each image's bytes (shape and content), a chunk
    of the pool at a time (a pool on disk is never read whole)."""
    digests = [_row_digests(block) for block in chunks(images)]
    return np.concatenate(digests) if digests else np.zeros(0, np.uint64)


def _row_digests(images: np.ndarray) -> np.ndarray:
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


def check(run_dir: str, data: Dataset, *, grow: bool = False) -> tuple[Dataset, bool]:
    """(the pool to go on with, whether pool.npz records exactly it); refuses a changed pool.

    With `grow`, images added since the campaign started are appended after the recorded ones,
    in file order, so every recorded pool index (and its label) stays with its image; an image
    removed or changed is still refused. Nothing recorded yet: (data, False).
    """
    path = os.path.join(run_dir, FILE_NAME)
    if not os.path.exists(path):
        return data, False
    with np.load(path) as saved:
        digests, names, files = saved["digests"], saved["class_names"], saved["files"]
    names, files = tuple(names.tolist()), tuple(files.tolist())
    if grow:
        data = _appended(run_dir, files, len(digests), data)
    problem = _difference(digests, names, files, data, prefix=grow)
    if problem:
        raise StateError(
            f"the pool of {run_dir} changed since the campaign started ({problem}); labels are "
            "bound to pool indices, so this campaign cannot go on with this pool: restore it or "
            "start a new run directory"
            + ("" if grow else " (added images only: ActiveLearningLoop.grow_pool = True)")
        )
    return data, len(data.x_pool) == len(digests)


def _appended(run_dir: str, files: tuple, recorded: int, data: Dataset) -> Dataset:
    """`data` with the recorded files first, in recorded order, then the new ones."""
    now = tuple(data.pool_files or ())
    if files and now:
        removed = sorted(set(files) - set(now))
        if removed:
            raise StateError(
                f"the pool of {run_dir} lost {len(removed)} images since the campaign started "
                f"({removed[:_SHOW]}); a pool may grow, never shrink: restore them"
                + ("" if data.y_pool is None else _SPLIT_DRAWN_AGAIN)
            )
        position = {f: k for k, f in enumerate(now)}
        order = np.array(
            [position[f] for f in files] + [position[f] for f in now if f not in set(files)],
            dtype=np.int64,
        )
        data = dataclasses.replace(
            data,
            x_pool=data.x_pool.take(order, axis=0),  # a pool on disk: a view, nothing read
            y_pool=None if data.y_pool is None else data.y_pool[order],
            pool_files=tuple(now[k] for k in order),
        )
    if len(data.x_pool) > recorded:
        logging.info(
            "pool grown: %d new images at pool indices %d..%d; the %d recorded keep theirs",
            len(data.x_pool) - recorded,
            recorded,
            len(data.x_pool) - 1,
            recorded,
        )
    return data


def _difference(
    digests: np.ndarray, names: tuple, files: tuple, data: Dataset, *, prefix: bool = False
) -> str | None:
    """What differs between the recorded pool and `data` (only its first images with `prefix`)."""
    if names != tuple(data.class_names):
        reordered = sorted(names) == sorted(data.class_names)
        return f"class names {list(names)} are now {list(data.class_names)}" + (
            " (the same names in another order: every class id would name another class)"
            if reordered
            else ""
        )
    now_files = tuple(data.pool_files or ())
    if prefix:
        now_files = now_files[: len(files)]
    if files and now_files and files != now_files:
        added = sorted(set(now_files) - set(files))
        removed = sorted(set(files) - set(now_files))
        return f"{len(added)} files added {added[:_SHOW]}, {len(removed)} removed {removed[:_SHOW]}"
    if len(digests) != len(data.x_pool) and not (prefix and len(data.x_pool) > len(digests)):
        return f"{len(digests)} images then, {len(data.x_pool)} now"
    changed = np.flatnonzero(digests != image_digests(data.x_pool)[: len(digests)])
    if changed.size:
        where = [f"{i} ({files[i]})" if files else str(i) for i in changed[:_SHOW].tolist()]
        return f"{changed.size} images differ, at pool indices {', '.join(where)}"
    return None


def check_resumed(
    run_dir: str, state_path: str, data: Dataset, *, grow: bool
) -> tuple[Dataset, bool, CampaignState | None]:
    """A resumed campaign's checks, before anything is written: (the pool to go on with, whether
    pool.npz records exactly it, the checked state); a new campaign: (data, False, None)."""
    if not os.path.exists(state_path):
        return data, False, None
    data, recorded = check(run_dir, data, grow=grow)
    state = load_checked(state_path, pool_size=len(data.x_pool), num_classes=data.num_classes)
    return data, recorded, state
