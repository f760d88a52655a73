"""Where a pool's decoded images live: in memory (a numpy array) or on disk (`DiskImages`).

Both give the same campaign (the same labels, the same pixels by pool index); they differ in what
the process holds. In memory, the pool costs about twice its size in the resident set (the array and
the training pipeline's tensor copy) and every batch is a `tf.gather`; on disk it costs a few chunks,
and batches are read by index from the page cache. `storage = 'auto'` keeps a pool of up to
`memory_limit_bytes` (2 GiB: CIFAR-10's 150 MB and SVHN's 220 MB stay in memory; a folder of 100,000
RGB 96x96 images, 2.8 GB, streams) in memory and streams a larger one.
"""

from __future__ import annotations

from typing import Annotated

from tfal.config_types import OneOf, Range, configurable

STORAGES = ("auto", "memory", "disk")
DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024**3


@configurable(module="tfal.data")
class PoolStorage:
    """The choice between an in-memory and an on-disk pool, made from the pool's decoded size.

    Args:
      storage: 'memory', 'disk', or 'auto' (disk above `memory_limit_bytes`).
      memory_limit_bytes: the largest pool (uint8 bytes, n * H * W * C) 'auto' keeps in memory;
        also the largest pixel-feature matrix (float32) LP on pixels may build from a pool on disk.
    """

    def __init__(
        self,
        storage: Annotated[str, OneOf(STORAGES)] = "auto",
        memory_limit_bytes: Annotated[int, Range(0, 2**62)] = DEFAULT_MEMORY_LIMIT_BYTES,
    ):
        self.storage = storage
        self.memory_limit_bytes = int(memory_limit_bytes)

    def on_disk(self, nbytes: int) -> bool:
        """Whether a pool of `nbytes` decoded bytes streams from disk."""
        if self.storage == "auto":
            return nbytes > self.memory_limit_bytes
        return self.storage == "disk"
