"""Freed heap memory handed back to the operating system.

glibc's malloc keeps what numpy, scipy and faiss free inside its heap, so the resident set only
grows: label propagation builds and drops a kNN graph of the whole pool every SEMI epoch, and a
100,000-image campaign on disk stayed about 0.1-0.2 GB above what it held after each LP.
`release()` (glibc's `malloc_trim(0)`) returns those free pages, and `few_arenas()` keeps the
threads of tf.data and TensorFlow from each growing a heap of their own (glibc's default: 8 per
core), whose free space the others cannot reuse; elsewhere both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_ARENA_MAX = -8  # glibc's malloc.h


@functools.cache
def _libc_function(name: str):
    """glibc's function `name`, or None (another C library, or none found)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def few_arenas(count: int = 2) -> bool:
    """Caps malloc's heaps (arenas) at `count` for threads started after this call; False where
    that cannot be done. Call it before TensorFlow starts its threads."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and mallopt(_M_ARENA_MAX, count) == 1


def release() -> bool:
    """Returns the heap's free pages to the operating system; False where that cannot be done."""
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
