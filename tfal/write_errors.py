"""A failed write is an OSError naming the file, however it was written.

Python's own writes raise OSError. TensorFlow's (SavedModel export, tf.train checkpoints,
TensorBoard events) raise `tf.errors.OpError` subclasses (ResourceExhaustedError for a full disk)
whose message holds the file and the C library's error text among graph details; the CLI turns
them into the same one-line error as any other write (`tfal: error: ...`, exit 2). Nothing is lost
by such a stop: every file that matters is replaced atomically, so the campaign resumes once
there is space.
"""

from __future__ import annotations

import errno
import re

# The C library's texts of the errors a write can meet, and their numbers.
_WRITE_ERRORS = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
    "Operation not permitted": errno.EPERM,
    "Input/output error": errno.EIO,
    "File too large": errno.EFBIG,
}
# "{{function_node ...device:CPU:0}} /run/export/...; No space left on device [Op:SaveV2]": the path
# starts after a space, not at the "/job:localhost" of the graph details.
_IN_MESSAGE = re.compile(
    r"(?:^|\s)(?P<path>/[^;\n]*?)(?:\.tempstate\d+)?; (?P<text>"
    + "|".join(map(re.escape, _WRITE_ERRORS))
    + ")"
)


def as_os_error(error: BaseException) -> BaseException:
    """`error` as an OSError naming its file when it is a TensorFlow write error; else `error`."""
    if isinstance(error, OSError) or type(error).__module__.split(".")[0] != "tensorflow":
        return error
    match = _IN_MESSAGE.search(str(error))
    if match is None:
        return error
    text = match["text"]
    converted = OSError(_WRITE_ERRORS[text], f"cannot write {match['path']}: {text}")
    converted.__cause__ = error
    return converted


def naming(error: OSError, path: str) -> OSError:
    """`error` with `path` as its file when it names none (a write's ENOSPC names none)."""
    if error.filename is not None or error.errno is None:
        return error
    named = type(error)(error.errno, error.strerror, path)
    named.__cause__ = error
    return named
