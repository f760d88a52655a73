"""The run directory's layout, in one place: every name tfal writes there (a contract: later
versions add to it, never rename; docs/run-directory.md). Files that matter are written with
`tfal.atomic`.
"""

from __future__ import annotations

import errno
import os
import tempfile

COMMAND = "command.txt"  # every invocation, appended (an audit log)
LOCK = ".lock"  # the holder of the run directory's lock
CONFIG = "config.gin"  # the configuration the campaign started with
OPERATIVE_CONFIG = "operative_config.gin"  # what the last run used
STATE = "state.json"  # L, y, the cycle counter (tfal.loop.state)
POOL = "pool.npz"  # the pool the labels belong to (tfal.loop.pool_identity)
RESULTS = "results.jsonl"  # one JSON object per event
CHECKPOINTS = "checkpoints"  # cycle-<j>/ and pretrain/ (tf.train checkpoints, theta_0)
TENSORBOARD = "tensorboard"
EXPORT = "export"  # export/<model_name>/<version>: TF Serving
QUERIES = "queries"  # the human oracle's query and answer files
OBJECTS = "objects.json"  # what a campaign started from Python was given as objects (tfal.Campaign)

# What tfal writes at the top of a run directory, and the folders it writes below.
WRITTEN = (
    COMMAND, LOCK, CONFIG, OPERATIVE_CONFIG, STATE, POOL, RESULTS, CHECKPOINTS, TENSORBOARD, EXPORT,
    QUERIES, OBJECTS,
)  # fmt: skip
WRITTEN_BELOW = (CHECKPOINTS, EXPORT, QUERIES)


def path(run_dir: str, *parts: str) -> str:
    """RUN_DIR/<parts...>, e.g. `path(run_dir, STATE)`."""
    return os.path.join(run_dir, *parts)


def pretrain_dir(run_dir: str) -> str:
    """RUN_DIR/checkpoints/pretrain: PRE's epoch checkpoints and theta_0."""
    return path(run_dir, CHECKPOINTS, "pretrain")


def export_dir(run_dir: str, model_name: str) -> str:
    """RUN_DIR/export/<model_name>: one TF Serving version per cycle."""
    return path(run_dir, EXPORT, model_name)


def written_paths(run_dir: str) -> list[str]:
    """Every path tfal writes that exists or may: the names of `WRITTEN`, and what is directly
    inside each folder of `WRITTEN_BELOW` that is a real folder (not a link)."""
    paths = [path(run_dir, name) for name in WRITTEN]
    for folder in WRITTEN_BELOW:
        below = path(run_dir, folder)
        if os.path.isdir(below) and not os.path.islink(below):
            paths += [os.path.join(below, name) for name in os.listdir(below)]
    return paths


_FS_IOC_GETFLAGS = 0x80086601  # Linux: an inode's attribute flags (lsattr)
_UNREPLACEABLE = {0x10: "immutable", 0x20: "append-only"}  # FS_IMMUTABLE_FL, FS_APPEND_FL


def check_replaceable(run_dir: str) -> None:
    """Refuses a run directory where tfal could not write or replace its files, before any work.

    A campaign replaces state.json, pool.npz and the config files after each cycle; one that can
    not (an immutable file, a read-only folder) must be refused at the start, not after a cycle was
    trained. Probes each folder tfal writes in with a temporary file it removes at once, and reads
    each existing file's immutable / append-only attribute (Linux; skipped where unsupported).

    Raises:
      OSError: one line naming the path and how to fix it.
    """
    paths = written_paths(run_dir)
    for folder in [run_dir, *filter(os.path.isdir, paths)]:
        _probe_folder(folder)
    for file in (p for p in paths if not os.path.isdir(p)):
        attribute = _unreplaceable_attribute(file)
        if attribute:
            raise PermissionError(
                errno.EPERM,
                f"{file} is {attribute}, so tfal cannot replace it; run `chattr -i -a {file}` or "
                "use another --run_dir",
            )


def _probe_folder(folder: str) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".tfal-probe-", dir=folder)
    except OSError as e:
        raise type(e)(e.errno, f"cannot write in {folder}: {e.strerror}") from None
    os.close(fd)
    os.unlink(probe)


def _unreplaceable_attribute(file: str) -> str | None:
    import fcntl

    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None  # absent (written later) or unreadable, which the write itself reports
    try:
        flags = bytearray(8)
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags)
    except OSError:
        return None  # a file system without these attributes
    finally:
        os.close(fd)
    value = int.from_bytes(flags[:4], "little")
    return next((name for bit, name in _UNREPLACEABLE.items() if value & bit), None)
