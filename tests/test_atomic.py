"""The one atomic write: whole or nothing, and durable (the file and the rename are fsynced)."""

import os
import stat

import numpy as np
import pytest

from tfal import atomic


def test_the_file_and_its_directory_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    atomic.write_atomically(str(tmp_path / "state.json"), b"{}")
    assert synced == [False, True]  # the data, then the rename
    assert (tmp_path / "state.json").read_bytes() == b"{}"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "theta0.npz"
    atomic.savez_atomically(str(path), {"a": np.arange(3)})
    before = path.read_bytes()

    def fail(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.write_atomically_with(str(path), fail)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["theta0.npz"]
    np.testing.assert_array_equal(np.load(path)["a"], np.arange(3))
