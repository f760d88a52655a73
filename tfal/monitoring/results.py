"""JSON-lines log of a campaign: one object per event (cycle, SEMI epoch, PRE epoch).

Each event appears once. A row is identified by its stage, cycle and epoch (`row_key`); written
again — a cycle or epoch that a killed campaign redoes on resume — it replaces the earlier row, so
`pandas.read_json(path, lines=True)` sees each cycle once. `read_results` applies the same rule to
files written before it (the last row of a key counts, at its place).
"""

from __future__ import annotations

import json
import os
from typing import Any

from tfal import write_errors
from tfal.atomic import write_atomically


def row_key(row: dict[str, Any]) -> tuple:
    """What identifies a row: (stage, cycle, epoch), None for a field the stage has not."""
    return row.get("stage"), row.get("cycle"), row.get("epoch")


class ResultsWriter:
    """Appends one JSON object per line to `RUN_DIR/results.jsonl`; a repeated key replaces.

    Each line is flushed and fsynced. A process killed mid-write (or a full disk) can still leave a
    torn last line; the next write first ends it, so the torn row stays one unreadable line that
    `read` skips and is never merged into the next row. A row whose key the file already holds is
    written by replacing the file atomically (`tfal.atomic`) without the earlier row. The campaign
    state, not this log, is the source of truth.
    """

    def __init__(self, path: str):
        self.path = path
        self._keys: set[tuple] | None = None  # read at the first write, not by a refused run

    def write(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, sort_keys=True, default=_to_builtin)
        if self._keys is None:
            self._keys = {row_key(r) for r in _rows(self.path)}
        key = row_key(row)
        if key in self._keys:
            kept = [json.dumps(r, sort_keys=True) for r in _rows(self.path) if row_key(r) != key]
            write_atomically(self.path, "".join(f"{text}\n" for text in [*kept, line]).encode())
            return
        self._keys.add(key)
        try:
            with open(self.path, "a+b") as f:
                prefix = b"\n" if _ends_torn(f) else b""
                f.write(prefix + line.encode("utf-8") + b"\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise write_errors.naming(e, self.path) from e

    def read(self) -> list[dict[str, Any]]:
        return read_results(self.path)


def read_results(path: str) -> list[dict[str, Any]]:
    """The rows of a results.jsonl file, one per key (`row_key`: the last one written, at its
    place); a torn line is ignored."""
    rows = _rows(path)
    last = {row_key(r): i for i, r in enumerate(rows)}
    return [r for i, r in enumerate(rows) if last[row_key(r)] == i]


def _rows(path: str) -> list[dict[str, Any]]:
    """Every complete row, as written."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                rows.append(row)
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
