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
