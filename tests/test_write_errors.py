"""A failed write names its file in one line, whether Python or TensorFlow wrote it."""

import errno
import os

import pytest

from tfal import atomic, write_errors
from tfal.monitoring import ResultsWriter


def _full_disk(monkeypatch):
    """os.fsync fails as on a full disk (write(2) reports ENOSPC late on many file systems)."""

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)


def test_an_atomic_write_on_a_full_disk_names_the_file_and_keeps_the_old_one(
    tmp_path, monkeypatch
):
    path = tmp_path / "state.json"
    path.write_text("old")
    _full_disk(monkeypatch)
    with pytest.raises(OSError) as raised:
        atomic.write_atomically(str(path), b"new")
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["state.json"]


def test_a_results_row_on_a_full_disk_names_results_jsonl(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    _full_disk(monkeypatch)
    with pytest.raises(OSError) as raised:
        ResultsWriter(str(path)).write({"stage": "cycle", "cycle": 0})
    assert raised.value.filename == str(path) and raised.value.errno == errno.ENOSPC


def test_tensorflows_write_error_becomes_an_os_error_naming_the_file():
    """A real TensorFlow write to /dev/full (always ENOSPC): its ResourceExhaustedError, many
    lines of graph details, becomes one OSError line with the file and the C library's text."""
    tf = pytest.importorskip("tensorflow")
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with pytest.raises(tf.errors.OpError) as raised:
        tf.io.write_file("/dev/full", tf.constant("x" * 100_000))
    converted = write_errors.as_os_error(raised.value)
    assert isinstance(converted, OSError) and converted.errno == errno.ENOSPC
    assert str(converted) == "[Errno 28] cannot write /dev/full: No space left on device"


def test_other_errors_are_left_as_they_are():
    error = RuntimeError("No space left on device; not from TensorFlow")
    assert write_errors.as_os_error(error) is error
    named = OSError(errno.EACCES, "Permission denied", "/x")
    assert write_errors.as_os_error(named) is named
