"""Answer files as spreadsheets and editors save them: any line ending, a BOM, and one-line errors.

Each test answers the query files a `HumanOracle` wrote, then reads them the way a campaign step
does (`HumanOracle.label`, which calls `answers.read_csv` / `label_studio.read_export`).
"""

import csv
import io
import json

import numpy as np
import pytest

from tfal.data.sources import Dataset
from tfal.oracles import answers, label_studio
from tfal.oracles.human import HumanOracle, QueryFiles
from tfal.oracles.simulated import LabelsPending

CLASSES = ("cat", "dog", "owl")
QUERY = np.array([7, 2, 4])
LABELS = {7: "owl", 2: "Cat", 4: "1"}  # a name, another case, a class id
EXPECTED = [2, 0, 1]


def _oracle(tmp_path, **options) -> tuple[HumanOracle, QueryFiles]:
    """An oracle that has written the query QUERY of cycle 1: (oracle, its files)."""
    x = np.random.default_rng(0).integers(0, 256, (12, 6, 5, 3), dtype=np.uint8)
    files = tuple(f"img_{i}.png" for i in range(12))
    data = Dataset("mine", x, None, x[:3], np.array([0, 1, 2]), CLASSES, pool_files=files)
    oracle = HumanOracle(data, str(tmp_path), **options)
    probs = np.full((12, 3), 0.1)
    probs[np.arange(12), np.arange(12) % 3] = 0.8
    with pytest.raises(LabelsPending):
        oracle.label(QUERY, cycle=1, probs=probs)
    return oracle, QueryFiles.of(str(tmp_path / "queries"), 1)


def _answered(path, line_end: str, delimiter: str = ",") -> str:
    """The CSV the oracle wrote at `path`, its label column filled, rows ending in `line_end`."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "label"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(rows[0])
    writer.writerows([*row[:-1], LABELS[int(row[0])]] for row in rows[1:])
    return out.getvalue()


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no-bom", "bom"])
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr-only"])
def test_an_answered_query_csv_is_read_with_any_line_ending(tmp_path, line_end, bom):
    oracle, files = _oracle(tmp_path)
    text = bom + _answered(files.csv, line_end)
    assert text.count(line_end) == 4 and ("\n" not in text if line_end == "\r" else True)
    with open(files.csv, "wb") as f:
        f.write(text.encode("utf-8"))
    assert [(i, t) for i, t, _ in answers.read_csv(files.csv)] == list(LABELS.items())
    assert oracle.label(QUERY, cycle=1).tolist() == EXPECTED  # what the campaign step calls
    assert oracle.edited_answers(QUERY, EXPECTED) == []


def test_an_old_mac_csv_with_semicolons_blank_lines_and_no_final_line_end(tmp_path):
    oracle, files = _oracle(tmp_path)
    text = _answered(files.csv, "\r", delimiter=";").replace("\r", "\r\r", 1).rstrip("\r")
    with open(files.csv, "wb") as f:
        f.write(text.encode("utf-8"))
    assert [where for _, _, where in answers.read_csv(files.csv)] == ["row 3", "row 4", "row 5"]
    assert oracle.label(QUERY, cycle=1).tolist() == EXPECTED


def test_a_cr_only_csv_with_a_line_break_inside_a_quoted_cell(tmp_path):
    oracle, files = _oracle(tmp_path)
    text = _answered(files.csv, "\r").replace(",dog,", ',"d\ro\rg",', 1)  # a guess, not a label
    with open(files.csv, "wb") as f:
        f.write(text.encode("utf-8"))
    assert oracle.label(QUERY, cycle=1).tolist() == EXPECTED


def test_a_utf16_csv_saved_as_unicode_text_is_read(tmp_path):
    oracle, files = _oracle(tmp_path)
    text = _answered(files.csv, "\r\n", delimiter="\t")
    with open(files.csv, "wb") as f:
        f.write(text.encode("utf-16"))
    assert oracle.label(QUERY, cycle=1).tolist() == EXPECTED


def _refused(oracle, files, content: bytes, match: str) -> str:
    with open(files.csv, "wb") as f:
        f.write(content)
    with pytest.raises(ValueError, match=match) as e:
        oracle.label(QUERY, cycle=1)
    message = str(e.value)
    assert "\n" not in message and files.csv in message
    assert type(e.value) is ValueError  # not csv.Error, nor a UnicodeDecodeError naming no file
    return message


@pytest.mark.parametrize("line_end", ["\n", "\r"], ids=["lf", "cr-only"])
def test_csv_errors_in_the_header_are_one_line_errors_naming_the_file(tmp_path, line_end):
    oracle, files = _oracle(tmp_path)
    header = 'pool_index,"file' + "x" * 200_000 + '",label' + line_end  # over csv's field limit
    _refused(oracle, files, header.encode(), r"not a readable CSV near row 1: field larger")


def test_unreadable_bytes_and_non_ascii_digits_are_one_line_errors(tmp_path):
    oracle, files = _oracle(tmp_path)
    text = _answered(files.csv, "\r")
    message = _refused(oracle, files, text.encode("utf-8") + b"\xff\r", "is not UTF-8")
    assert f"byte {len(text.encode()):,} (b'\\xff')" in message
    _refused(oracle, files, text.replace("7", "²", 1).encode(), r"pool_index '²'; allowed: an int")
    _refused(oracle, files, text.replace("\r7", "\r--7", 1).encode(), r"pool_index '--7'; allowed")
    _refused(oracle, files, text.replace(",owl\r", ",²\r").encode(), r"has label '²'; allowed")


def test_label_studio_export_with_a_bom_and_crlf_is_read(tmp_path):
    oracle, files = _oracle(tmp_path, label_studio=True)
    with open(files.tasks) as f:
        tasks = json.load(f)
    exported = [
        {"id": k, **task, "annotations": [{"result": _choice(LABELS[task["data"]["pool_index"]])}]}
        for k, task in enumerate(tasks)
    ]
    text = "\ufeff" + json.dumps(exported, indent=1).replace("\n", "\r\n")
    with open(files.export, "wb") as f:
        f.write(text.encode("utf-8"))
    assert oracle.label(QUERY, cycle=1).tolist() == EXPECTED
    assert [i for i, _, _ in label_studio.read_export(files.export)] == QUERY.tolist()


def _choice(label: str) -> list[dict]:
    return [
        {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [label]}}
    ]
