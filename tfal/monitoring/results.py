"""Append-only JSON-lines log of a campaign: one object per event (cycle, SEMI epoch, PRE epoch)."""

from __future__ import annotations

import json
import os
from typing import Any


class ResultsWriter:
    """Appends one JSON object per line to `RUN_DIR/results.jsonl`.

    Each line is flushed and fsynced. A process killed mid-write (or a full disk) can still leave a
    torn last line; the next write first ends it, so the torn row stays one unreadable line that
    `read` skips and is never merged into the next row. The campaign state, not this log, is the
    source of truth.
    """

    def __init__(self, path: str):
        self.path = path

    def write(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, sort_keys=True, default=_to_builtin)
        with open(self.path, "a+b") as f:
            prefix = b"\n" if _ends_torn(f) else b""
            f.write(prefix + line.encode("utf-8") + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def read(self) -> list[dict[str, Any]]:
        return read_results(self.path)


def read_results(path: str) -> list[dict[str, Any]]:
    """All complete rows of a results.jsonl file (a torn last line is ignored)."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def _ends_torn(f) -> bool:
    """Whether the open file's last byte is not a newline (a row cut short by a crash)."""
    end = f.seek(0, os.SEEK_END)
    if end == 0:
        return False
    f.seek(end - 1)
    return f.read(1) != b"\n"


def _to_builtin(value: Any) -> Any:
    """numpy scalars and arrays to plain Python for json."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
