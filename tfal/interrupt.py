"""Ctrl-C (SIGINT) and SIGTERM stop a campaign at the next safe point, in one line.

A campaign survives a crash anywhere (atomic writes, checkpoints per SEMI epoch), so stopping is
safe at any Python statement; what is not safe is an exception raised by the signal handler
itself: Python ignores one that lands in a destructor (`Exception ignored in:
AtomicFunction.__del__ ... KeyboardInterrupt`) and the campaign runs on. So while a campaign works
(`deferred()`), the handler only records the signal, and the campaign raises `Interrupted` itself
where it checks (`check`: every unit of a progress stage — a chunk of training steps, a batch of
extraction — and the start of each cycle). Before and after that work, and on a second signal, the
handler raises at once. The CLI prints one line and exits 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt: `except Exception` lets it by)
    """The campaign was asked to stop by `signum`; `where` names the stage it stopped in."""

    def __init__(self, signum: int, where: str = ""):
        super().__init__(signum, where)
        self.signum = signum
        self.where = where

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        during = f" during {self.where}" if self.where else ""
        return f"interrupted{during} ({signal.Signals(self.signum).name}); the same command resumes"


class _Requests:
    """The process's stop request: signals are process-wide, and so is what their handler records."""

    signum: int | None = None
    defer: int = 0  # nesting depth of `deferred()`


_requests = _Requests()


def _handle(signum: int, frame) -> None:
    del frame
    if _requests.defer and _requests.signum is None:
        _requests.signum = signum  # honoured at the next `check`
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def handlers() -> Iterator[None]:
    """Installs the handler for SIGINT and SIGTERM (the CLI's; a notebook keeps its own)."""
    previous = {s: signal.signal(s, _handle) for s in HANDLED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _requests.signum = None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """While the block runs, a first signal is recorded and raised by the next `check`."""
    _requests.defer += 1
    try:
        yield
    finally:
        _requests.defer -= 1


def check(where: str) -> None:
    """Raises `Interrupted` if a stop was requested; `where` names the stage for the message."""
    if _requests.signum is not None:
        signum, _requests.signum = _requests.signum, None
        raise Interrupted(signum, where)
