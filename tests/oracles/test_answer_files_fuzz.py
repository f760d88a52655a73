"""Property-based tests of the files people hand tfal: answer CSVs and Label Studio exports.

Each property starts from valid files (the query CSV as `HumanOracle` writes it, then answered; a
Label Studio JSON or JSON-MIN export of the tasks it wrote, with cancelled annotations and several
annotators who agree), mutates them (structure, serialisation, bytes) and reads them the way a
campaign step does (`HumanOracle.label`, `HumanOracle.edited_answers`). Allowed outcomes: labels
that satisfy the invariants (a class id each, aligned with the query, every queried index answered
exactly once and nothing else), `LabelsPending`, or an error `tfal.campaign.USER_ERRORS` reports
(ValueError, OSError) in one line naming the file. Anything else (csv.Error, KeyError, TypeError,
a UnicodeDecodeError that names no file, ...) is a bug of the parsers.
"""

import copy
import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tfal.data.sources import Dataset
from tfal.oracles import answers, label_studio
from tfal.oracles.human import HumanOracle, QueryFiles
from tfal.oracles.simulated import LabelsPending

CLASSES = ("cat", "dog", "owl")
QUERY = np.array([7, 2, 4])
CYCLE = 1
USER_ERRORS = (ValueError, OSError)  # what tfal.campaign.USER_ERRORS holds for these files


def _fuzz(examples: int):
    """Reproducible in CI (`derandomize`); no example database written into the checkout."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Asked:
    """An oracle that has written the query QUERY of cycle CYCLE into its own run directory."""

    def __init__(self, run_dir, label_studio: bool):
        x = np.random.default_rng(0).integers(0, 256, (12, 6, 5, 3), dtype=np.uint8)
        files = tuple(f"img_{i}.png" for i in range(12))
        data = Dataset("mine", x, None, x[:3], np.array([0, 1, 2]), CLASSES, pool_files=files)
        self.oracle = HumanOracle(data, str(run_dir), label_studio=label_studio)
        probs = np.full((12, 3), 0.1)
        probs[np.arange(12), np.arange(12) % 3] = 0.8
        with pytest.raises(LabelsPending):
            self.oracle.label(QUERY, cycle=CYCLE, probs=probs)
        self.files = QueryFiles.of(str(run_dir / "queries"), CYCLE)
        with open(self.files.csv, "rb") as f:
            self.written_csv = f.read()
        with open(self.files.csv, newline="", encoding="utf-8") as f:
            self.rows = list(csv.reader(f))
        self.tasks = []
        if label_studio:
            with open(self.files.tasks) as f:
                self.tasks = json.load(f)


@pytest.fixture(scope="module")
def csv_query(tmp_path_factory) -> Asked:
    return Asked(tmp_path_factory.mktemp("csv_run"), label_studio=False)


@pytest.fixture(scope="module")
def ls_query(tmp_path_factory) -> Asked:
    return Asked(tmp_path_factory.mktemp("label_studio_run"), label_studio=True)


# ---- valid answers -------------------------------------------------------------------------------
@st.composite
def answer_texts(draw) -> dict[int, tuple[int, str]]:
    """pool index -> (class id, how a person wrote it: a name in any case, padded, or the id)."""
    out = {}
    for index in QUERY.tolist():
        y = draw(st.integers(0, len(CLASSES) - 1))
        name = CLASSES[y]
        out[index] = (y, draw(st.sampled_from([name, name.upper(), f" {name.title()} ", str(y)])))
    return out


def _answered_rows(asked: Asked, texts: dict[int, tuple[int, str]]) -> list[list[str]]:
    header, *rows = asked.rows
    return [header, *([*row[:-1], texts[int(row[0])][1]] for row in rows)]


@st.composite
def serialised(draw, rows: list[list[str]]) -> str:
    """`rows` as a CSV a spreadsheet may save: any delimiter, quoting and line ending per row."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    same = draw(st.sampled_from(["\n", "\r\n", "\r", None]))  # None: a line ending per row
    out = io.StringIO()
    for k, row in enumerate(rows):
        end = same or draw(st.sampled_from(["\n", "\r\n", "\r"]))
        csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=end).writerow(row)
        if k and draw(st.integers(0, 9)) == 0:
            out.write(end)  # a blank line
    text = out.getvalue()
    return text.rstrip("\r\n") if draw(st.booleans()) else text


def _encoded(draw, text: str, encodings: list[str]) -> bytes:
    encoding = draw(st.sampled_from(encodings))
    return text.encode(encoding, errors="replace")


# ---- mutations -------------------------------------------------------------------------------
_FRAGMENTS = [
    b"\r", b"\n", b"\r\n", b'"', b",", b";", b"\t", b"\x00", b"\x00" * 64, b"\xef\xbb\xbf",
    b"\xff\xfe", b"\xc3", b"\xff", "²".encode(), "٣".encode(), "\u2028".encode(), b"\x85",
    "𝟙€ß".encode(), b"9" * 5000, b"[" * 100_000, b"{" * 3000, b"x" * 1500, b"y" * 140_000,
    b'"pool_index"', b"label", b"NaN", b"-", b"--", b"'=1",
]  # fmt: skip
# Values that broke, or could break, a parser: digits `int` takes but a regex of ASCII digits does
# not, line breaks inside a value, cells past the limits, a formula, a BOM inside a cell.
TRICKY_TEXT = [
    "", " ", "owl", "OWL", "1", "-1", "--1", "²", "٣", "1_0", "nan", "7", "\x00", "\ufeff", "'=1",
    '"', "a\nb", "a\rb", "\u2028", ";", "x" * 1001, "9" * 5000, "img_7.png",
]  # fmt: skip
JUNK_TEXT = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=12))
# For the cells tfal reads as numbers (pool_index, a class id in label).
NUMBER_LIKE = ["--1", "²", "٣", "-1", "1_0", " 7 ", "07", "1e3", "9" * 1000, "４"]


@st.composite
def mutated_rows(draw, rows: list[list[str]]) -> list[list[str]]:
    """`rows` after 0-3 edits a person, a spreadsheet or a paste gone wrong could make."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 3))):
        if not rows:
            break
        r = draw(st.integers(0, len(rows) - 1))
        last = max(len(rows[r]) - 1, 0)
        c = draw(st.sampled_from([0, last]) | st.integers(0, last))  # pool_index, label, any
        kind = draw(
            st.sampled_from(
                ["cell", "cell", "cell", "cell", "del_column", "del_row", "dup_row", "swap",
                 "new_row", "extra", "short", "huge"]
            )
        )  # fmt: skip
        if kind == "cell" and rows[r]:
            rows[r][c] = draw(st.sampled_from(NUMBER_LIKE) | JUNK_TEXT)
        elif kind == "del_column":
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif kind == "del_row":
            del rows[r]
        elif kind == "dup_row":
            rows.insert(draw(st.integers(0, len(rows))), list(rows[r]))
        elif kind == "swap":
            s = draw(st.integers(0, len(rows) - 1))
            rows[r], rows[s] = rows[s], rows[r]
        elif kind == "new_row":
            rows.insert(r, draw(st.lists(JUNK_TEXT, max_size=6)))
        elif kind == "extra":
            rows[r].append(draw(JUNK_TEXT))
        elif kind == "short":
            rows[r] = rows[r][:c]
        elif kind == "huge" and rows[r]:
            rows[r][c] = "z" * draw(st.sampled_from([1001, 131_072, 131_073, 300_000]))
    return rows


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """`data` after 0-3 byte-level accidents: flips, truncation, insertions, deletions, NULs."""
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 64)))
        kind = draw(
            st.sampled_from(["flip", "byte", "truncate", "insert", "random", "delete", "dup",
                             "nul", "empty"])
        )  # fmt: skip
        if kind == "flip" and i < len(data):
            data = data[:i] + bytes([data[i] ^ (1 << draw(st.integers(0, 7)))]) + data[i + 1 :]
        elif kind == "byte" and i < len(data):
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif kind == "truncate":
            data = data[:i]
        elif kind == "insert":
            data = data[:i] + draw(st.sampled_from(_FRAGMENTS)) + data[i:]
        elif kind == "random":
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i:]
        elif kind == "delete":
            data = data[:i] + data[j:]
        elif kind == "dup":
            data = data[:j] + data[i:j] + data[j:]
        elif kind == "nul":
            data = data[:i] + b"\x00" * (j - i) + data[j:]
        elif kind == "empty":
            data = b""
    return data


# ---- what a campaign step may do with them --------------------------------------------------
def _one_line(error: BaseException, *paths: str) -> None:
    message = str(error)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    assert any(p in message for p in paths), f"the message names no file: {message[:300]!r}"


def _parsed(read, path: str) -> list[tuple[int, str, str]] | None:
    """`read(path)` (the parser alone): typed answers, or None after a one-line user error."""
    try:
        parsed = read(path)
    except USER_ERRORS as e:
        _one_line(e, path)
        return None
    assert isinstance(parsed, list)
    for index, text, where in parsed:
        assert type(index) is int and type(text) is str and type(where) is str
        assert "\n" not in where
    return parsed


def _means(text: str, y: int) -> bool:
    text = text.strip()
    return text.casefold() == CLASSES[y].casefold() or (
        text.isascii() and text.isdigit() and int(text) == y
    )


def _campaign_step(asked: Asked, parsed) -> np.ndarray | None:
    """`HumanOracle.label` and `edited_answers` on the files as they are; labels or None."""
    try:
        labels = asked.oracle.label(QUERY, cycle=CYCLE)
    except LabelsPending as e:
        assert parsed is not None
        _one_line(e, asked.files.csv, asked.files.export)
        labels, error = None, e
    except USER_ERRORS as e:
        _one_line(e, asked.files.csv, asked.files.export)  # the export, its CSV, or both
        labels, error = None, e
    else:
        assert parsed is not None
        assert labels.dtype == np.int64 and labels.shape == QUERY.shape
        assert ((labels >= 0) & (labels < len(CLASSES))).all()
        indices = [index for index, _, _ in parsed]
        assert sorted(indices) == sorted(QUERY.tolist())  # each queried index once, no other
        position = {int(i): k for k, i in enumerate(QUERY)}
        assert all(_means(text, labels[position[index]]) for index, text, _ in parsed)
    event("labels" if labels is not None else f"refused: {type(error).__name__}")  # the mix read
    taken = labels if labels is not None else np.zeros(len(QUERY), np.int64)
    for message in asked.oracle.edited_answers(QUERY, taken):
        assert isinstance(message, str) and "\n" not in message
    if labels is not None:
        assert asked.oracle.edited_answers(QUERY, labels) == []
    return labels


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _csv_step(asked: Asked, data: bytes) -> np.ndarray | None:
    _write(asked.files.csv, data)
    parsed = _parsed(lambda p: answers.read_csv(p, asked.oracle.data.pool_files), asked.files.csv)
    return _campaign_step(asked, parsed)


# ---- answer CSVs ----------------------------------------------------------------------------
@_fuzz(300)
@given(data=st.data(), texts=answer_texts())
def test_any_spreadsheet_serialisation_of_an_answered_csv_gives_its_labels(csv_query, data, texts):
    """Line endings (LF, CR LF, CR alone, mixed), ';' or tabs, quoting, a BOM, UTF-16."""
    text = data.draw(serialised(_answered_rows(csv_query, texts)))
    raw = _encoded(data.draw, text, ["utf-8", "utf-8-sig", "utf-16"])
    labels = _csv_step(csv_query, raw)
    assert labels is not None and labels.tolist() == [texts[int(i)][0] for i in QUERY]


@_fuzz(1000)
@given(data=st.data(), texts=answer_texts())
def test_a_mutated_answer_csv_gives_valid_labels_or_a_one_line_error(csv_query, data, texts):
    rows = data.draw(mutated_rows(_answered_rows(csv_query, texts)))
    text = data.draw(serialised(rows))
    raw = _encoded(data.draw, text, ["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252"])
    _csv_step(csv_query, data.draw(mutated_bytes(raw)))


@_fuzz(300)
@given(data=st.data())
def test_the_unanswered_csv_as_written_mutated_bytewise(csv_query, data):
    _csv_step(csv_query, data.draw(mutated_bytes(csv_query.written_csv)))


# ---- Label Studio exports -------------------------------------------------------------------
_TEXT_RESULT = {
    "from_name": "comment",
    "to_name": "image",
    "type": "textarea",
    "value": {"text": ["?"]},
}


def _choice(label: str) -> list[dict]:
    return [
        {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [label]}}
    ]


@st.composite
def exports(draw, tasks: list[dict], texts: dict[int, tuple[int, str]]) -> list[dict]:
    """A valid Label Studio export of `tasks` answered with `texts`: JSON or JSON-MIN."""
    minimal = draw(st.booleans())
    exported = []
    for k in draw(st.permutations(range(len(tasks)))):
        task = tasks[k]
        y, text = texts[task["data"]["pool_index"]]
        if minimal:
            exported.append({"id": 100 + k, **task["data"], "label": text, "annotator": 2})
            continue
        annotations = [
            {"id": 10 * k + a, "completed_by": 2 + a, "was_cancelled": False, "lead_time": 1.5,
             "result": _choice(text) + (draw(st.sampled_from([[], [_TEXT_RESULT]])))}
            for a in range(draw(st.integers(1, 3)))
        ]  # fmt: skip
        for _ in range(draw(st.integers(0, 2))):  # cancelled: another class, never counted
            other = CLASSES[(y + 1) % len(CLASSES)]
            annotations.insert(
                draw(st.integers(0, len(annotations))),
                {"completed_by": 9, "was_cancelled": True, "result": _choice(other)},
            )
        exported.append({"id": 100 + k, **copy.deepcopy(task), "annotations": annotations})
    return exported


_RAW = "\x01raw JSON\x01"  # a value `_json_bytes` writes as one of the raw texts below
RAW_JSON = [
    "[" * 100_000, "{\"a\": " * 3000, "9" * 5000, "-" + "9" * 5000, "NaN", "-Infinity", "1e999",
    "[1,", "{}}", "tru", '"\\ud800"', '"\\u0000"', "0x1F", "01",
]  # fmt: skip


def _json_bytes(draw, doc) -> bytes:
    text = json.dumps(
        doc, indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans())
    )
    text = text.replace(json.dumps(_RAW), draw(st.sampled_from(RAW_JSON)))
    if draw(st.booleans()):
        text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r"])))
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")


# The keys tfal reads: a mutation picks one of them (or any value) to change.
_KEYS = [
    "pool_index", "label", "id", "completed_by", "was_cancelled", "choices", "result", "value",
    "annotations", "data", "type", "from_name",
]  # fmt: skip
TRICKY_JSON = [
    "--1", "²", " 7 ", "4", "a\nb", "9" * 5000, "", "owl", "false", None, True, 3.0, 7, -1,
    10**30, [], {}, ["dog", "cat"], {"choices": 3},
]  # fmt: skip
_TASK_KEYS = ["id", "pool_index", "label", "data", "annotations"]
_ANNOTATION_KEYS = ["completed_by", "was_cancelled", "result", "id"]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    JUNK_TEXT,
)
JUNK_JSON = st.one_of(
    st.sampled_from(TRICKY_JSON).map(copy.deepcopy),  # a fresh copy: mutations edit in place
    st.recursive(
        _SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=6,
    ),
)


def _paths(value, path=()):
    """The key path of every value in the JSON document `value`, the root's `()` first."""
    yield path
    if isinstance(value, dict | list):
        for key, inner in list(value.items() if isinstance(value, dict) else enumerate(value)):
            yield from _paths(inner, (*path, key))


@st.composite
def mutated_json(draw, doc):
    """`doc` after 1-3 edits: a value replaced by one of another type or by raw text (a number of
    thousands of digits, brackets nested 100,000 deep), a key or an item deleted, an item
    duplicated, a key added (a script writing the export, a hand edit gone wrong)."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):  # a field of a task or an annotation: most of what tfal reads
            _mutate_field(draw, doc)
            continue
        paths = list(_paths(doc))
        key = draw(st.sampled_from([*_KEYS, None]))  # None: any value
        path = draw(st.sampled_from([p for p in paths if p and p[-1] == key] or paths))
        kind = draw(st.sampled_from(["replace", "replace", "raw", "delete", "duplicate", "add"]))
        value = _RAW if kind == "raw" else draw(JUNK_JSON)
        if not path:
            doc = value if kind in ("replace", "raw") else doc
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        if kind in ("replace", "raw"):
            parent[path[-1]] = value
        elif kind == "delete":
            del parent[path[-1]]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
        elif kind == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(_KEYS))] = value
    return doc


def _mutate_field(draw, doc) -> None:
    """Sets a field of a task (`_TASK_KEYS`) or of one of its annotations to a junk value."""
    tasks = [t for t in doc if isinstance(t, dict)] if isinstance(doc, list) else []
    if not tasks:
        return
    task = draw(st.sampled_from(tasks))
    annotations = task.get("annotations")
    annotations = (
        [a for a in annotations if isinstance(a, dict)] if isinstance(annotations, list) else []
    )
    if annotations and draw(st.booleans()):
        draw(st.sampled_from(annotations))[draw(st.sampled_from(_ANNOTATION_KEYS))] = draw(
            JUNK_JSON
        )
    else:
        task[draw(st.sampled_from(_TASK_KEYS))] = draw(JUNK_JSON)


def _export_step(asked: Asked, data: bytes, csv_data: bytes) -> np.ndarray | None:
    _write(asked.files.csv, csv_data)
    _write(asked.files.export, data)
    parsed = _parsed(label_studio.read_export, asked.files.export)
    return _campaign_step(asked, parsed)


def _csv_beside(asked: Asked, draw, texts) -> bytes:
    """The query's CSV next to the export: as written (empty labels) or filled the same way."""
    if draw(st.booleans()):
        return asked.written_csv
    return draw(serialised(_answered_rows(asked, texts))).encode("utf-8")


@_fuzz(300)
@given(data=st.data(), texts=answer_texts())
def test_any_valid_label_studio_export_gives_its_labels(ls_query, data, texts):
    """JSON or JSON-MIN, tasks in any order, 1-3 annotators who agree, cancelled annotations."""
    doc = data.draw(exports(ls_query.tasks, texts))
    labels = _export_step(
        ls_query, _json_bytes(data.draw, doc), _csv_beside(ls_query, data.draw, texts)
    )
    assert labels is not None and labels.tolist() == [texts[int(i)][0] for i in QUERY]


@_fuzz(1000)
@given(data=st.data(), texts=answer_texts())
def test_a_label_studio_export_with_wrong_types_gives_valid_labels_or_a_one_line_error(
    ls_query, data, texts
):
    doc = data.draw(mutated_json(data.draw(exports(ls_query.tasks, texts))))
    _export_step(ls_query, _json_bytes(data.draw, doc), _csv_beside(ls_query, data.draw, texts))


@_fuzz(500)
@given(data=st.data(), texts=answer_texts())
def test_a_label_studio_export_mutated_bytewise_gives_valid_labels_or_a_one_line_error(
    ls_query, data, texts
):
    raw = _json_bytes(data.draw, data.draw(exports(ls_query.tasks, texts)))
    raw = data.draw(mutated_bytes(raw))
    _export_step(ls_query, raw, _csv_beside(ls_query, data.draw, texts))


# ---- what the fuzzer found, kept as plain cases ---------------------------------------------
@pytest.mark.parametrize(
    "task,match",
    [
        ({"id": "a\nb", "data": {}}, r"task 'a\\nb' has pool_index None"),
        ({"id": 1, "data": {"pool_index": "²"}}, r"pool_index '²', expected an int"),
        ({"id": 1, "data": {"pool_index": "--7"}}, r"pool_index '--7', expected an int"),
        ({"id": 1, "pool_index": 7, "label": {"choices": {}}}, r"has label \{\}; allowed"),
        (
            {"id": 1, "data": {"pool_index": 7}, "annotations": [{"was_cancelled": "false"}]},
            r"was_cancelled 'false'; allowed: true or false",
        ),
    ],
)
def test_malformed_tasks_are_one_line_errors(ls_query, task, match):
    _write(ls_query.files.csv, ls_query.written_csv)
    _write(ls_query.files.export, json.dumps([task]).encode())
    with pytest.raises(ValueError, match=match) as e:
        label_studio.read_export(ls_query.files.export)
    _one_line(e.value, ls_query.files.export)


def test_json_min_choices_that_are_not_a_list_are_read_as_one_choice(ls_query):
    doc = [{"id": 1, "pool_index": 7, "label": {"choices": 2}}, {"pool_index": 2, "label": 1}]
    _write(ls_query.files.export, json.dumps(doc).encode())
    assert label_studio.read_export(ls_query.files.export) == [
        (7, "2", "task 1"),
        (2, "1", "task #1"),
    ]


@pytest.mark.parametrize(
    "content,match",
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'[{"data": {"pool_index": ' + b"9" * 5000 + b"}}]", "not valid JSON: Exceeds the limit"),
        (b'[{"id": 1}]\xff', r"byte 11 \(b'\\xff'\) is not UTF-8"),
    ],
)
def test_unreadable_exports_are_one_line_errors(ls_query, content, match):
    _write(ls_query.files.export, content)
    with pytest.raises(ValueError, match=match) as e:
        label_studio.read_export(ls_query.files.export)
    _one_line(e.value, ls_query.files.export)


def test_annotators_with_odd_ids_who_disagree_are_named_in_one_line(ls_query):
    results = [
        {"completed_by": "alice\nsmith", "result": _choice("owl")},
        {"result": _choice("cat")},
    ]
    _write(
        ls_query.files.export,
        json.dumps([{"id": 5, "data": {"pool_index": 7}, "annotations": results}]).encode(),
    )
    with pytest.raises(
        ValueError, match=r"\('owl' by annotator 'alice\\nsmith', 'cat' by annotator #1\)"
    ) as e:
        label_studio.read_export(ls_query.files.export)
    _one_line(e.value, ls_query.files.export)


def test_an_answer_file_over_the_size_limit_is_refused_unread(csv_query):
    with open(csv_query.files.csv, "wb") as f:
        f.truncate(answers.MAX_ANSWER_BYTES + 1)  # sparse: nothing written
    with pytest.raises(ValueError, match="bytes; an answer file is at most 50,000,000") as e:
        csv_query.oracle.label(QUERY, cycle=CYCLE)
    _one_line(e.value, csv_query.files.csv)


def test_a_huge_cell_past_the_header_is_refused_like_any_other(csv_query):
    text = csv_query.written_csv.decode().replace(",\n", ",owl," + "z" * 1001 + "\n", 1)
    _write(csv_query.files.csv, text.encode())
    with pytest.raises(ValueError, match="row 2 has a cell past the header of 1,001 characters"):
        answers.read_csv(csv_query.files.csv)
