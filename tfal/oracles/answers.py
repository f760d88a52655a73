"""The answer files people fill in for a query: reading the CSV (as a spreadsheet saves it) safely.

A query's CSV has the columns `CSV_COLUMNS`; cells a spreadsheet would evaluate are written as text
(`spreadsheet_safe`); a file or a cell beyond the limits below is refused, not parsed: it is not a
filled-in query (a wrong file, a paste gone wrong). Every failure is a one-line ValueError naming
the file (what `tfal.main` prints); `integer` and `shown` are shared with the Label Studio reader:
how a number in an answer is read, and how a bad value is quoted.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Sequence

CSV_COLUMNS = ("pool_index", "file", "guess", "confidence", "label")
MAX_ANSWER_BYTES = 50_000_000
MAX_CELL_CHARS = 1_000

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): a file named
# "=HYPERLINK(...).png" must stay text. The OWASP remedy: a leading apostrophe, which spreadsheets hide.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INTEGER = re.compile(r"-?[0-9]{1,1000}")  # int() refuses more than 4,300 digits


SKIP_WORD = "skip"  # an answer that takes the image out of the pool
SKIP = -1  # its label value: the image leaves the pool, it is never a label (`tfal.loop.state`)
CANCELLED = "\x00cancelled"  # a task whose every annotation was cancelled (no file cell holds it)


def means_skip(text: str, class_names: Sequence[str]) -> bool:
    """Whether an answer is the reserved word "skip" (any case); a class of that name wins."""
    if text == CANCELLED:
        return True
    folded = text.strip().casefold()
    return folded == SKIP_WORD and all(name.casefold() != SKIP_WORD for name in class_names)


def class_of(text: str, class_names: Sequence[str]) -> int | None:
    """The label an answer names: a class name (exact, else case-insensitive if unique), a class
    id 0..c-1 (unless a class name looks like a number, which a spreadsheet may have turned into
    one), or "skip" (`SKIP`); None when it names none of them."""
    text = text.strip()
    if means_skip(text, class_names):
        return SKIP
    if text in class_names:
        return list(class_names).index(text)
    folded = [k for k, name in enumerate(class_names) if name.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    number = integer(text)
    ids_allowed = not any(looks_numeric(name) for name in class_names)
    return number if ids_allowed and number is not None and 0 <= number < len(class_names) else None


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

    Rows may end in LF, CR LF or a lone CR (old Mac spreadsheets); the file is UTF-8, with or
    without a BOM (or UTF-16 with its BOM, a spreadsheet's "Unicode text"). With `pool_files`,
    each row's `file` (when not blank) must be the pool's file at its `pool_index`: a label is
    bound to the image a person looked at, never moved to another one.

    Raises:
      ValueError: one line naming `path`: not such a CSV, or a row holds a bad value.
    """
    rows = _rows(path, _text(path))
    answers = []
    for line_num, row in rows:
        where = f"row {line_num}"
        for column, cell in row.items():
            for text in cell if isinstance(cell, list) else [cell]:  # a list: cells past the header
                if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
                    raise ValueError(
                        f"{path}: {where} has a {column or 'cell past the header'} of "
                        f"{len(text):,} characters; allowed: at most {MAX_CELL_CHARS:,}"
                    )
        raw = (row.get("pool_index") or "").strip()
        index = integer(raw)
        if index is None:
            if not raw and not (row.get("label") or "").strip():
                continue  # a blank line
            raise ValueError(
                f"{path}: {where} has pool_index {shown(raw)}; allowed: an integer pool index"
            )
        _check_file(path, where, index, (row.get("file") or "").strip(), pool_files)
        answers.append((index, row.get("label") or "", where))
    return answers


def integer(text: str) -> int | None:
    """`text` as a plain decimal integer (up to 1,000 ASCII digits, an optional '-'), else None.

    Stricter than `int`, which also takes '²'-like digits of other scripts (`str.isdigit` lets
    '²' through, and then `int` raises a ValueError that names no file), '1_000' or '--1'.
    """
    return int(text) if _INTEGER.fullmatch(text) else None


def shown(value, limit: int = 80) -> str:
    """`repr(value)` for a one-line error message: newlines escaped, cut near `limit` chars."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _text(path: str) -> str:
    with open(checked_size(path), "rb") as f:
        data = f.read()
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    try:
        return data.decode(encoding or "utf-8-sig")  # -sig: a BOM
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path}: byte {e.start:,} ({data[e.start : e.start + 1]!r}) is not "
            f"{encoding or 'UTF-8'}; allowed: a CSV saved as UTF-8 (a spreadsheet's 'CSV UTF-8')"
        ) from e


def _rows(path: str, text: str) -> list[tuple[int, dict]]:
    """(line number, row) per data row of the CSV `text`; the header must name the key columns."""
    # newline="": rows split at \n, \r\n and a lone \r alike (csv's own rule); a StringIO's
    # default splits at \n only, and csv refuses the lone \r it then finds inside a row.
    lines = io.StringIO(text, newline="")
    # Some spreadsheet locales save with ';' or tabs instead of ','.
    delimiter = max(",;\t", key=lines.readline().count)
    lines.seek(0)
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:  # the header too: csv reads it on the first access to fieldnames
        fields = [name.strip() for name in reader.fieldnames or []]
        if "pool_index" not in fields or "label" not in fields:
            raise ValueError(
                f"{path}: header {shown(fields)} lacks pool_index or label; expected "
                f"{','.join(CSV_COLUMNS)}"
            )
        reader.fieldnames = fields
        return [(reader.line_num, row) for row in reader]
    except csv.Error as e:  # e.g. a field larger than csv's limit, a stray quote
        raise ValueError(
            f"{path}: not a readable CSV near row {reader.reader.line_num}: {e}"
        ) from e


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
