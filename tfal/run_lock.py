"""One campaign per run directory: an exclusive lock on the directory, taken before anything else.

The kernel's flock on the directory itself: released when the holder exits however it exits, and
taking it writes nothing. The CLI takes it before TensorFlow is imported (when --run_dir is given),
so a second process is refused at once. The refusal names the live holder: the kernel's own record
(/proc/locks on Linux), else RUN_DIR/.lock (pid and host, written once a campaign is accepted) when
that process is still alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator

from tfal import run_dir as run_dir_layout
from tfal.atomic import write_atomically


class RunDirectoryBusy(OSError):
    """Another process holds the run directory's lock: two campaigns would overwrite each other."""


class _Held:
    """The directories this process holds, by (device, inode): a flock is per open file, so a
    second `hold` of the same directory by its holder must not take it again (it would refuse
    itself). Process-wide, like the locks the kernel keeps."""

    counts: dict[tuple[int, int], int] = {}


@contextlib.contextmanager
def hold(run_dir: str) -> Iterator[None]:
    """Holds the run directory's lock for the block (re-entrant within this process).

    Raises:
      RunDirectoryBusy: another process holds it (the message names that process).
    """
    os.makedirs(run_dir, exist_ok=True)
    fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY)
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    if _Held.counts.get(key):
        os.close(fd)
        _Held.counts[key] += 1
        try:
            yield
        finally:
            _Held.counts[key] -= 1
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunDirectoryBusy(
            f"run directory {run_dir} is in use by {holder(run_dir)}; wait for it to finish or"
            " use another --run_dir"
        ) from None
    _Held.counts[key] = 1
    try:
        yield
    finally:
        del _Held.counts[key]
        os.close(fd)  # releases the lock


def holder(run_dir: str) -> str:
    """Who holds `run_dir`'s lock, for a refusal's message."""
    pid = _kernel_holder(run_dir)
    recorded = _recorded_holder(run_dir)
    if pid is not None:
        if recorded and recorded.get("pid") == pid:
            return f"pid {pid} on {recorded['host']}"
        return f"pid {pid} on {socket.gethostname()}"
    if recorded and _alive(recorded["pid"]):
        return f"pid {recorded['pid']} on {recorded['host']}"
    return "another process"


def write_holder(run_dir: str) -> None:
    """RUN_DIR/.lock: this process, once its campaign is accepted (never by a refused run)."""
    text = f"pid {os.getpid()} on {socket.gethostname()}\n"
    write_atomically(run_dir_layout.path(run_dir, run_dir_layout.LOCK), text.encode("utf-8"))


def _kernel_holder(run_dir: str) -> int | None:
    """The pid of the flock on `run_dir` in /proc/locks (Linux), or None."""
    try:
        st = os.stat(run_dir)
        with open("/proc/locks", encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    ident = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 5737 fe:00:2148154 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == ident:
            with contextlib.suppress(ValueError):
                return int(fields[4])
    return None


def _recorded_holder(run_dir: str) -> dict | None:
    """RUN_DIR/.lock's pid and host, or None when it is missing or unreadable."""
    try:
        with open(run_dir_layout.path(run_dir, run_dir_layout.LOCK), encoding="utf-8") as f:
            words = f.read().split()
    except OSError:
        return None
    if len(words) == 4 and words[0] == "pid" and words[1].isdigit() and words[2] == "on":
        return {"pid": int(words[1]), "host": words[3]}
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
