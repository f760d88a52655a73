"""Named points of a campaign where a test injects a fault: a crash, Ctrl-C, a full disk.

What a campaign survives is tested at known points, not at wall-clock fractions of a run that land
elsewhere on another machine. The loop calls `reached(point, cycle)` at each point of `POINTS`;
without `TFAL_FAULT` in the environment that is all it does.

`TFAL_FAULT="<point>[@<cycle>][#<n>]:<action>"`, several separated by ",": at the n-th time (default
the first) that `point` is reached in `cycle` (default any), do `action`:

* `kill`: SIGKILL, a crash that runs no Python cleanup;
* `sigint`, `sigterm`: what Ctrl-C and `kill PID` send (`tfal.interrupt` handles them);
* `fill_disk`: fill the file system holding the file `TFAL_FAULT_FILL` until it is full, so the
  campaign's next writes fail with ENOSPC.

A spec is for tests only: it is read at each point, never written by tfal.
"""

from __future__ import annotations

import dataclasses
import os
import signal

ENV = "TFAL_FAULT"
FILL_ENV = "TFAL_FAULT_FILL"

POINTS = (
    "sup_done",  # SUP trained, its checkpoint not yet written
    "sup_checkpoint",  # SUP's checkpoint written
    "semi_train",  # a SEMI epoch's LP done, its training not yet started
    "evaluated",  # the cycle's test accuracy computed, its export not yet written
    "export_written",  # the SavedModel written, not yet renamed into place (cycle = version - 1)
    "results_row",  # the cycle's results row written, state.json not yet
)
ACTIONS = ("kill", "sigint", "sigterm", "fill_disk")


@dataclasses.dataclass(frozen=True)
class Fault:
    point: str
    cycle: int | None
    nth: int
    action: str


def parse(spec: str) -> list[Fault]:
    """The faults of a `TFAL_FAULT` value; ValueError names a bad one."""
    faults = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        where, _, action = item.rpartition(":")
        where, _, nth = where.partition("#")
        point, _, cycle = where.partition("@")
        if point not in POINTS or action not in ACTIONS:
            raise ValueError(
                f"bad {ENV} entry {item!r}: points {', '.join(POINTS)}; actions {', '.join(ACTIONS)}"
            )
        faults.append(Fault(point, int(cycle) if cycle else None, int(nth or 1), action))
    return faults


_counts: dict[tuple[str, int | None], int] = {}  # times each (point, cycle) was reached


def reached(point: str, cycle: int | None = None) -> None:
    """Marks `point` (one of `POINTS`) as reached in `cycle`; does what a matching fault says."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    key = (point, cycle)
    _counts[key] = _counts.get(key, 0) + 1
    any_cycle = sum(n for (p, _), n in _counts.items() if p == point)
    for fault in parse(spec):
        if fault.point != point or (fault.cycle is not None and fault.cycle != cycle):
            continue
        if (_counts[key] if fault.cycle is not None else any_cycle) == fault.nth:
            _act(fault.action)


def _act(action: str) -> None:
    if action == "fill_disk":
        _fill(os.environ[FILL_ENV])
        return
    number = {"kill": signal.SIGKILL, "sigint": signal.SIGINT, "sigterm": signal.SIGTERM}[action]
    os.kill(os.getpid(), number)


def _fill(path: str) -> None:
    """Appends to `path` until its file system has no space left (unbuffered: each write lands)."""
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 16, 1):  # big blocks, then the last bytes that fit
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                continue
