"""Decoded TFDS splits kept on disk, so a campaign's start does not decode every image again.

Decoding MNIST's 70,000 PNGs through tf.data takes about 6.6 s of each CLI start on a 2-core
machine; reading them back as .npy takes milliseconds. An entry is keyed by the dataset's name,
version, prepared files (path and the modification time of their dataset_info.json), split and
image size, so a re-prepared dataset or another data_dir is decoded afresh. Entries are written
atomically (a temporary folder renamed into place): two processes decoding at once both succeed
and readers never see half an entry. A damaged entry is decoded again and replaced. A pool kept on
disk (`PoolStorage`) is the entry's x.npy itself, opened by `open_images` without reading it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable

import numpy as np

from tfal.data.disk_images import DiskImages, write_npy

ENV = "TFAL_CACHE_DIR"


def default_dir() -> str:
    """$TFAL_CACHE_DIR, else $XDG_CACHE_HOME/tfal, else ~/.cache/tfal (the XDG convention)."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tfal")


def entry_key(builder, split: str, image_size) -> str | None:
    """A file-name-safe key for one decoded split, or None when `builder` has no prepared files
    on disk (tfds.testing.mock_data generates its examples: nothing to key them by)."""
    info = os.path.join(str(builder.data_dir), "dataset_info.json")
    try:
        stamp = os.stat(info).st_mtime_ns
    except OSError:
        return None
    ident = json.dumps(
        [builder.name, str(builder.version), os.path.abspath(str(builder.data_dir)), stamp,
         split, None if image_size is None else [int(s) for s in image_size]]
    )  # fmt: skip
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return f"{builder.name}-{builder.version}-{digest}"


def load_or_decode(
    cache_dir: str | None,
    key: str | None,
    decode: Callable[[], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """The split's (images, labels) from `cache_dir`, or `decode()` stored there for next time.

    With `cache_dir` or `key` None, decodes without caching. A cache that cannot be written
    (read-only, full) costs nothing but the warning: the decoded split is returned.
    """
    if not cache_dir or key is None:
        return decode()
    entry = os.path.join(cache_dir, key)
    cached = _read(entry)
    if cached is not None:
        return cached
    x, y = decode()
    try:
        _write(cache_dir, entry, lambda folder: _save_arrays(folder, x, y))
    except OSError as e:
        logging.warning("could not cache the decoded split in %s (%s); decoding each time", entry, e)
    return x, y


def open_images(cache_dir: str | None, key: str | None) -> tuple[DiskImages, np.ndarray] | None:
    """The entry's images on disk (only the header read) and its labels (in memory), or None
    when caching is off or the entry is missing or damaged."""
    if not cache_dir or key is None:
        return None
    return _read(os.path.join(cache_dir, key), DiskImages)


def _load(path: str) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _read(entry: str, images=_load) -> tuple[np.ndarray, np.ndarray] | None:
    """The entry's images (as `images(path)` opens x.npy: in memory, or DiskImages) and labels,
    or None when it is missing or damaged (then it is decoded again)."""
    try:
        x = images(os.path.join(entry, "x.npy"))
        y = np.load(os.path.join(entry, "y.npy"), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if x.dtype != np.uint8 or y.dtype != np.int64 or x.ndim != 4 or len(x) != len(y):
        return None
    return x, y


def write_batches(
    cache_dir: str,
    key: str,
    shape: tuple[int, int, int, int],
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
) -> None:
    """Writes the entry `key`, uint8 images of `shape`, from (images, labels) batches, holding one
    batch of images at a time: a split larger than memory is decoded straight into the cache
    (`PoolStorage`'s disk pool). A row count other than shape[0] is a ValueError."""

    def fill(folder: str) -> None:
        labels = []

        def images():
            for x_batch, y_batch in batches:
                labels.append(np.asarray(y_batch, np.int64))
                yield x_batch

        write_npy(os.path.join(folder, "x.npy"), shape, images())
        _save_arrays(folder, y=np.concatenate(labels) if labels else np.zeros(0, np.int64))

    _write(cache_dir, os.path.join(cache_dir, key), fill)


def _save_arrays(folder: str, x: np.ndarray | None = None, y: np.ndarray | None = None) -> None:
    """x.npy and y.npy (those given) in `folder`, fsync'd."""
    for name, array in (("x.npy", x), ("y.npy", y)):
        if array is None:
            continue
        with open(os.path.join(folder, name), "wb") as f:
            np.save(f, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())


def _write(cache_dir: str, entry: str, fill: Callable[[str], None]) -> None:
    """Fills a temporary folder (`fill(folder)`) and renames it into place as the entry (atomic)."""
    os.makedirs(cache_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".partial-", dir=cache_dir)
    try:
        fill(staging)
        if os.path.isdir(entry):  # a damaged entry: replace it
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.rename(staging, entry)
        except OSError:
            if not os.path.isdir(entry):  # else another process wrote it first: theirs stands
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
