"""results.jsonl after a crash mid-write: the torn row is lost, no other row is."""

import json

from tfal.monitoring import ResultsWriter, read_results


def test_a_crash_mid_write_loses_at_most_that_row(tmp_path):
    path = tmp_path / "results.jsonl"
    writer = ResultsWriter(str(path))
    writer.write({"stage": "cycle", "cycle": 0})
    torn = json.dumps({"stage": "cycle", "cycle": 1, "test_accuracy": 0.5})
    with open(path, "a", encoding="utf-8") as f:
        f.write(torn[:17])  # the process died here, mid-row
    writer.write({"stage": "cycle", "cycle": 1, "test_accuracy": 0.6})  # the resumed process
    writer.write({"stage": "cycle", "cycle": 2})
    assert read_results(str(path)) == [
        {"stage": "cycle", "cycle": 0},
        {"stage": "cycle", "cycle": 1, "test_accuracy": 0.6},
        {"stage": "cycle", "cycle": 2},
    ]
    assert path.read_text().splitlines()[1] == torn[:17]  # the torn row stays on its own line


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_row_written_again_replaces_the_earlier_one_in_the_file(tmp_path):
    """A resumed process writes cycle 0's row and SEMI epoch (0, 1) again: the file itself, as
    pandas would read it, holds each (stage, cycle, epoch) once, the later row at the end."""
    path = tmp_path / "results.jsonl"
    first = ResultsWriter(str(path))
    for row in [
        {"stage": "sup", "cycle": 0, "loss": 1.0},
        {"stage": "semi", "cycle": 0, "epoch": 0, "loss": 0.9},
        {"stage": "semi", "cycle": 0, "epoch": 1, "loss": 0.8},
        {"stage": "cycle", "cycle": 0, "test_accuracy": 0.5},
    ]:
        first.write(row)
    resumed = ResultsWriter(str(path))  # a new process: it knows the file, not the first writer
    resumed.write({"stage": "cycle", "cycle": 0, "test_accuracy": 0.7})
    resumed.write({"stage": "semi", "cycle": 1, "epoch": 1, "loss": 0.3})  # another cycle: new
    assert _lines(path) == [
        {"stage": "sup", "cycle": 0, "loss": 1.0},
        {"stage": "semi", "cycle": 0, "epoch": 0, "loss": 0.9},
        {"stage": "semi", "cycle": 0, "epoch": 1, "loss": 0.8},
        {"stage": "cycle", "cycle": 0, "test_accuracy": 0.7},
        {"stage": "semi", "cycle": 1, "epoch": 1, "loss": 0.3},
    ]


def test_reading_a_file_with_repeated_rows_keeps_the_last_of_each_at_its_place(tmp_path):
    """A results.jsonl written by an earlier tfal (which appended a resumed cycle's row again)
    reads as one row per (stage, cycle, epoch): the last one written, where it was written."""
    path = tmp_path / "results.jsonl"
    rows = [
        {"stage": "pretrain", "epoch": 0, "nmi": 0.1},
        {"stage": "cycle", "cycle": 0, "test_accuracy": 0.5},
        {"stage": "pretrain", "epoch": 0, "nmi": 0.2},
        {"stage": "cycle", "cycle": 0, "test_accuracy": 0.6},
        {"stage": "cycle", "cycle": 1, "test_accuracy": 0.8},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert read_results(str(path)) == rows[2:]
