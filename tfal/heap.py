"""Freed heap memory handed back to the operating system, and TensorFlow's tensors kept out of it.

glibc's malloc keeps what numpy, scipy and faiss free inside its heap, so the resident set only
grows: label propagation builds and drops a kNN graph of the whole pool every SEMI epoch.
`few_arenas()` keeps the threads of tf.data and TensorFlow from each growing a heap of their own
(glibc's default: up to 8 per core), whose free space the others cannot reuse, and `release()`
(glibc's `malloc_trim(0)`) then returns the free pages. Measured on 100,000 RGB 96x96 images
(docs/scale.md): peak RSS 1,737 MB without either, 1,637 MB with both, and 3,110 MB with the trim
alone (a later extraction grew freed heap again across many arenas), so `release()` trims only in
a process whose arenas `few_arenas()` capped. Elsewhere (another C library) both do nothing.

`pooled_tensors()` gives TensorFlow's CPU tensors a pool of their own (its BFC allocator, the one
it uses on a GPU) instead of malloc: an inference batch of 128 96x96 images allocates and frees
about 40 MB per conv layer, and glibc's heap kept growing under that churn through every
extraction. Through the CLI (2 SEMI cycles, RGB 96x96 images, docs/scale.md) the peak RSS fell
from 1,452 to 1,103 MB on 20,000 images and from 1,637 to 1,257 MB on 100,000, with the same
labels and accuracies and no slower SEMI epochs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

_M_ARENA_MAX = -8  # glibc's malloc.h
_ARENAS = 2
TF_BFC = "TF_CPU_ALLOCATOR_USE_BFC"  # read by TensorFlow once, at its first CPU tensor


@functools.cache
def few_arenas() -> bool:
    """Caps malloc's heaps (arenas) at 2 for threads started after the first call; False where
    that cannot be done. Call it before TensorFlow starts its threads."""
    mallopt = _libc_function("mallopt")
    return mallopt is not None and mallopt(_M_ARENA_MAX, _ARENAS) == 1


@functools.cache
def _libc_function(name: str):
    """glibc's function `name`, or None (another C library, or none found)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def release() -> bool:
    """Returns the heap's free pages to the operating system; False where that cannot be done or
    the arenas were not capped (`few_arenas`) in this process."""
    trim = _libc_function("malloc_trim")
    capped = few_arenas.cache_info().currsize > 0 and few_arenas()  # called, and took effect
    if trim is None or not capped:
        return False
    trim(0)
    return True


def pooled_tensors() -> bool:
    """Asks TensorFlow for its BFC allocator on the CPU (module docstring) unless the environment
    already says which; True when it is asked for. Takes effect only before TensorFlow's first
    tensor in this process (its import is fine): the `tfal` command calls it first thing."""
    os.environ.setdefault(TF_BFC, "true")
    return os.environ[TF_BFC].strip().lower() in ("1", "true")
