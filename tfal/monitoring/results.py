"""Append-only JSON-lines log of a campaign: one object per event (cycle, SEMI epoch, PRE epoch)."""

from __future__ import annotations

import json
import os
from typing import Any


class ResultsWriter:
    """Appends one JSON object per line to `RUN_DIR/results.jsonl`.

    Each line is flushed and fsynced so a killed process leaves whole lines only; `read` skips a torn
    last line rather than failing, since the campaign state (not this log) is the source of truth.
    """

    def __init__(self, path: str):
        self.path = path

    def write(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, sort_keys=True, default=_to_builtin)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
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


def _to_builtin(value: Any) -> Any:
    """numpy scalars and arrays to plain Python for json."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
