"""The one way tfal writes a file that matters: whole or not at all, and still there after a crash.

Temp file in the same directory, fsync, rename over the target, fsync of the directory. A crash,
a kill or a full disk leaves the previous file intact, never a half-written one; once the call
returns, the new file survives a power loss (the rename itself is on disk). Used for state.json,
pool.npz, the config files, checkpoints, PRE's theta_0, the oracle's query files and sweep.json.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from tfal import write_errors


def write_atomically(path: str, data: bytes) -> None:
    """Replaces `path` with `data` atomically and durably."""
    write_atomically_with(path, lambda f: f.write(data))


def write_atomically_with(path: str, write: Callable[[BinaryIO], object]) -> None:
    """Replaces `path` with what `write(file)` writes (e.g. `np.savez`), atomically and durably."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise write_errors.naming(e, path) from e
        raise
    fsync_directory(directory)


def fsync_directory(directory: str) -> None:
    """Makes a rename (or a new file) in `directory` durable; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not fsync directories; the rename is still atomic
    finally:
        os.close(fd)


def savez_atomically(path: str, arrays: dict) -> None:
    """`np.savez(path, **arrays)`, atomically and durably."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())
