"""A pool of images on disk, read by pool index: the streaming pool of pools larger than memory.

`DiskImages` opens a decoded uint8 `.npy` file (a TFDS split from `tfal.data.split_cache`, an image
folder decoded by `tfal.data.folder_cache`) and answers what the library asks of `Dataset.x_pool`:
`shape`, `len`, rows by an int, a slice or an index array (an in-memory copy of just those rows),
`take` (a view reordered or subset by pool index, nothing read) and `chunks` (the pool in order,
a bounded block at a time). Reads go through `os.preadv` into the returned array, not `np.memmap`:
the pages of a mapping count in the process's resident set as they are touched (a SEMI epoch touches
the whole pool), the page cache behind `pread` does not, and the kernel drops it under pressure.

`chunks(images, size)` iterates numpy arrays and `DiskImages` alike, so a computation over the pool
(digests, statistics, pixels) is written once. Converting a `DiskImages` to one numpy array
(`np.asarray`) raises: a pool on disk is there because it does not fit in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

# Rows read per block by `chunks`: 1,024 RGB 96x96 images are 28 MB.
DEFAULT_CHUNK = 1024
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


class DiskImages:
    """Read-only uint8 [n, H, W, C] rows of a `.npy` file, optionally through a row map.

    Args:
      path: a C-ordered `.npy` file of ndim >= 2 (the library's pools are uint8 [n, H, W, C]).
      rows: int64 [m]: pool index i is row rows[i] of the file; None is the identity.
    """

    def __init__(self, path: str, rows: np.ndarray | None = None):
        self.path = os.path.abspath(path)
        with open(self.path, "rb") as f:
            read_header = _HEADER_READERS.get(np.lib.format.read_magic(f))
            if read_header is None:
                raise ValueError(f"{path}: a .npy of an unknown format version")
            shape, fortran, dtype = read_header(f)
            self._offset = f.tell()
        if fortran or dtype.hasobject or len(shape) < 2:
            raise ValueError(
                f"{path}: a C-ordered array of ndim >= 2 without objects expected, got shape "
                f"{shape}, dtype {dtype}, fortran_order {fortran}"
            )
        self._file_rows = int(shape[0])
        self.row_shape = tuple(int(s) for s in shape[1:])
        self.dtype = np.dtype(dtype)
        self._row_bytes = int(np.prod(self.row_shape)) * self.dtype.itemsize
        expected = self._offset + self._file_rows * self._row_bytes
        if os.path.getsize(self.path) < expected:
            raise ValueError(f"{path}: truncated ({os.path.getsize(self.path)} < {expected} bytes)")
        if rows is not None:
            rows = np.asarray(rows, np.int64)
            if rows.ndim != 1 or (
                rows.size and not 0 <= rows.min() <= rows.max() < self._file_rows
            ):
                raise ValueError(
                    f"rows must be 1-d indices into the {self._file_rows} rows of {path}"
                )
        self._rows = rows
        self._fd = os.open(self.path, os.O_RDONLY)

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def __reduce__(self):  # a new file descriptor in the other process
        return DiskImages, (self.path, self._rows)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"a pool on disk ({self.path}, {self.nbytes:,} bytes) is not converted to one numpy "
            "array: read it by index (images[idx]) or by `chunks`; for a pool in memory bind "
            "PoolStorage.storage = 'memory'"
        )

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self), *self.row_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.row_shape)

    @property
    def nbytes(self) -> int:
        return len(self) * self._row_bytes

    def __len__(self) -> int:
        return self._file_rows if self._rows is None else len(self._rows)

    def __repr__(self) -> str:
        return f"DiskImages({self.path!r}, shape={self.shape}, dtype={self.dtype})"

    def __getitem__(self, key) -> np.ndarray:
        """Rows `key` (an int, a slice or an int array / list) as a new in-memory array."""
        if isinstance(key, int | np.integer):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"index {key} is out of bounds for a pool of {n} images")
            return self._read(np.array([int(key) % n]))[0]
        if isinstance(key, slice):
            return self._read(np.arange(len(self))[key])
        if isinstance(key, tuple):
            raise TypeError("DiskImages takes one index (rows), not a tuple")
        return self._read(self._pool_indices(key))

    def take(self, indices, axis: int = 0) -> DiskImages:
        """A view of rows `indices` in that order (what `np.ndarray.take(indices, axis=0)` is to
        an array): reorders or subsets the pool without reading it."""
        if axis != 0:
            raise ValueError(f"DiskImages.take works along axis 0 (rows), got axis={axis}")
        idx = self._pool_indices(indices)
        return DiskImages(self.path, idx if self._rows is None else self._rows[idx])

    def chunks(self, size: int = DEFAULT_CHUNK) -> Iterator[np.ndarray]:
        """The pool in order, `size` rows (the last fewer) at a time, each an in-memory array."""
        for start in range(0, len(self), size):
            yield self[start : start + size]

    def _pool_indices(self, key) -> np.ndarray:
        idx = np.asarray(key)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise IndexError(f"boolean index of shape {idx.shape} for {len(self)} images")
            return np.flatnonzero(idx)
        if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
            raise IndexError(f"DiskImages takes 1-d integer indices, got {idx.dtype} {idx.shape}")
        idx = idx.astype(np.int64)
        n = len(self)
        if idx.size and not (-n <= idx.min() and idx.max() < n):
            raise IndexError(
                f"indices out of bounds for a pool of {n} images: {idx.min()}..{idx.max()}"
            )
        return idx % n if n else idx

    def _read(self, pool_idx: np.ndarray) -> np.ndarray:
        """Rows at pool indices `pool_idx`, runs of consecutive file rows read in one call."""
        file_rows = pool_idx if self._rows is None else self._rows[pool_idx]
        out = np.empty((len(file_rows), *self.row_shape), self.dtype)
        if not len(file_rows):
            return out
        flat = out.reshape(len(file_rows), -1).view(np.uint8)
        # A run ends where the next row is not the next file row: a slice is one read, a batch
        # of scattered indices one read per image.
        breaks = np.flatnonzero(np.diff(file_rows) != 1) + 1
        for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(file_rows)], strict=True):
            self._pread_into(memoryview(flat[lo:hi]).cast("B"), int(file_rows[lo]))
        return out

    def _pread_into(self, buffer: memoryview, row: int) -> None:
        offset, done = self._offset + row * self._row_bytes, 0
        while done < len(buffer):  # preadv may return short on large reads
            got = os.preadv(self._fd, [buffer[done:]], offset + done)
            if got <= 0:
                raise OSError(f"{self.path}: unexpected end of file at byte {offset + done}")
            done += got


def chunks(images: np.ndarray | DiskImages, size: int = DEFAULT_CHUNK) -> Iterator[np.ndarray]:
    """Consecutive blocks of `size` rows of `images` (views of an array; copies of a DiskImages)."""
    if isinstance(images, DiskImages):
        yield from images.chunks(size)
        return
    for start in range(0, len(images), size):
        yield images[start : start + size]


def write_npy(path: str, shape: tuple[int, ...], blocks, dtype=np.uint8) -> None:
    """Writes a `.npy` of `shape` from `blocks` (arrays in row order), never holding all of it;
    fsync'd, so a rename after it publishes a complete file. Raises ValueError on a row count or
    shape that differs from `shape`."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": tuple(int(s) for s in shape)}  # fmt: skip
    written = 0
    with open(path, "wb") as f:
        np.lib.format.write_array_header_2_0(f, header)
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=dtype)
            if block.shape[1:] != tuple(shape[1:]):
                raise ValueError(
                    f"{path}: a block of shape {block.shape}, rows of {shape[1:]} expected"
                )
            f.write(block.tobytes())
            written += len(block)
        f.flush()
        os.fsync(f.fileno())
    if written != shape[0]:
        raise ValueError(f"{path}: {written} rows written, {shape[0]} expected")
