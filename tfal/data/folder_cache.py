"""An image folder's pool decoded once into a `.npy` on disk, a chunk at a time: the streaming pool.

A folder of 200,000 photos decoded at 224x224 is 30 GB: it cannot be one array in memory. Here the
images are decoded (in threads, `_DECODE_THREADS` at a time) and appended to a `.npy` chunk by chunk,
so the process holds one chunk, and the file is renamed into place when complete (a reader never
sees half a pool; two processes decoding at once both succeed). The entry is keyed by every file's
path, size and modification time, the image size and the channels: an image added, removed,
replaced or touched decodes the pool afresh; the next start of the same campaign opens it at once.
Entries live next to the decoded TFDS splits (`tfal.data.split_cache.default_dir`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tfal.data.disk_images import DiskImages, write_npy

# Images decoded per chunk: 1,024 RGB 224x224 images are 150 MB.
CHUNK = 1024


def entry_key(paths: Sequence[str], shape: tuple[int, ...]) -> str:
    """A file-name-safe key of the decoded pool: each file's absolute path, size and mtime, and
    the decoded row shape (H, W, C)."""
    h = hashlib.sha256(json.dumps([int(s) for s in shape]).encode())
    for path in paths:
        st = os.stat(path)
        h.update(json.dumps([os.path.abspath(path), st.st_size, st.st_mtime_ns]).encode())
    return f"folder-{h.hexdigest()[:24]}"


def decoded_pool(
    paths: Sequence[str],
    *,
    shape: tuple[int, int, int],
    decode: Callable[[str], np.ndarray],
    cache_dir: str,
    threads: int,
) -> DiskImages:
    """The images of `paths`, in order, as a `DiskImages` of uint8 [len(paths), *shape].

    Args:
      paths: image files, in pool order.
      shape: (H, W, C) of every decoded image; a grey image (C 1) is repeated into C 3.
      decode: one file to uint8 [H, W, 1 or 3] (raises ValueError naming a bad file).
      cache_dir: where entries live (created if missing).
      threads: decoding threads.
    """
    entry = os.path.join(cache_dir, entry_key(paths, shape) + ".npy")
    if os.path.exists(entry):
        try:
            images = DiskImages(entry)
            if images.shape == (len(paths), *shape) and images.dtype == np.uint8:
                return images
        except (OSError, ValueError):
            pass
        logging.warning("%s is damaged: decoding the pool again", entry)
    os.makedirs(cache_dir, exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix=".partial-", suffix=".npy", dir=cache_dir)
    os.close(fd)
    try:
        logging.info("decoding %d pool images into %s", len(paths), entry)
        write_npy(staging, (len(paths), *shape), _decoded_chunks(paths, shape, decode, threads))
        os.replace(staging, entry)  # atomic: a concurrent writer's identical entry is replaced
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return DiskImages(entry)


def _decoded_chunks(
    paths: Sequence[str], shape: tuple[int, int, int], decode, threads: int
) -> Iterator[np.ndarray]:
    """uint8 [<= CHUNK, H, W, C] blocks of `paths`, in order; a file of another size is refused."""
    with ThreadPoolExecutor(threads) as pool:
        for start in range(0, len(paths), CHUNK):
            part = paths[start : start + CHUNK]
            block = np.empty((len(part), *shape), np.uint8)
            for i, (path, a) in enumerate(zip(part, pool.map(decode, part), strict=True)):
                if a.shape[:2] != shape[:2]:
                    raise ValueError(
                        f"{path} has shape {a.shape}, expected {shape[:2]} (the shape of "
                        f"{paths[0]}): set image_folder_dataset.image_size = (H, W) to resize "
                        "all images to one size"
                    )
                block[i] = a  # broadcasting repeats a grey channel
            yield block
