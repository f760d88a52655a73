"""The answer files people fill in for a query: reading the CSV (as a spreadsheet saves it) safely.

A query's CSV has the columns `CSV_COLUMNS`; cells a spreadsheet would evaluate are written as text
(`spreadsheet_safe`); a file or a cell beyond the limits below is refused, not parsed: it is not a
filled-in query (a wrong file, a paste gone wrong).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence

CSV_COLUMNS = ("pool_index", "file", "guess", "confidence", "label")
MAX_ANSWER_BYTES = 50_000_000
MAX_CELL_CHARS = 1_000

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): a file named
# "=HYPERLINK(...).png" must stay text. The OWASP remedy: a leading apostrophe, which spreadsheets hide.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def spreadsheet_safe(text: str) -> str:
    """`text` as a CSV cell a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def read_csv(path: str, pool_files: Sequence[str] | None = None) -> list[tuple[int, str, str]]:
    """(pool_index, label, "row N") per data row of a query CSV, as edited by people or a spreadsheet.

    With `pool_files`, each row's `file` (when not blank) must be the pool's file at its
    `pool_index`: a label is bound to the image a person looked at, never moved to another one.
    """
    with open(checked_size(path), encoding="utf-8-sig", newline="") as f:  # -sig: a BOM
        text = f.read()
    header = text.splitlines()[0] if text.strip() else ""
    # Some spreadsheet locales save with ';' or tabs instead of ','.
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = [name.strip() for name in reader.fieldnames or []]
    if "pool_index" not in fields or "label" not in fields:
        raise ValueError(
            f"{path}: header {fields} lacks pool_index or label; expected {','.join(CSV_COLUMNS)}"
        )
    reader.fieldnames = fields
    answers = []
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as e:  # e.g. a field larger than csv's limit
        raise ValueError(f"{path}: not a readable CSV near row {reader.line_num}: {e}") from e
    for line_num, row in rows:
        where = f"row {line_num}"
        for column, cell in row.items():
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise ValueError(
                    f"{path}: {where} has a {column} of {len(cell):,} characters; allowed: at "
                    f"most {MAX_CELL_CHARS:,}"
                )
        raw = (row.get("pool_index") or "").strip()
        if not raw.lstrip("-").isdigit():
            if not raw and not (row.get("label") or "").strip():
                continue  # a blank line
            raise ValueError(
                f"{path}: {where} has pool_index {raw!r}; allowed: an integer pool index"
            )
        _check_file(path, where, int(raw), (row.get("file") or "").strip(), pool_files)
        answers.append((int(raw), row.get("label") or "", where))
    return answers


def checked_size(path: str) -> str:
    size = os.path.getsize(path)
    if size > MAX_ANSWER_BYTES:
        raise ValueError(
            f"{path} is {size:,} bytes; an answer file is at most {MAX_ANSWER_BYTES:,}: is it the "
            "right file?"
        )
    return path


def listdir(directory: str) -> list[str]:
    return os.listdir(directory) if os.path.isdir(directory) else []


def _check_file(
    path: str, where: str, index: int, cell: str, pool_files: Sequence[str] | None
) -> None:
    if not cell or not pool_files or not 0 <= index < len(pool_files):
        return  # no file named, a pool without files, or an index _match reports
    name = cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS) else cell
    if name != pool_files[index]:
        raise ValueError(
            f"{path}: {where} labels file {name!r} at pool index {index}, but that index is "
            f"{pool_files[index]!r}; rows must keep their pool_index and file together"
        )
