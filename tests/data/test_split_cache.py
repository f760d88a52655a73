"""Decoded TFDS splits on disk: read back exactly, keyed so another dataset state is never served,
rewritten when damaged, and never a reason for a campaign to fail."""

import os
import types

import numpy as np
import pytest

from tfal.data import sources, split_cache


def _builder(tmp_path, name="toy", version="1.0.0"):
    data_dir = tmp_path / "tfds" / name / version
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "dataset_info.json").write_text("{}")
    return types.SimpleNamespace(name=name, version=version, data_dir=str(data_dir))


def _split(seed=0, n=7):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 4, 4, 1), dtype=np.uint8), rng.integers(0, 3, n).astype(np.int64)


class _Decoder:
    """Counts decodes; returns a fixed split."""

    def __init__(self, split):
        self.split, self.calls = split, 0

    def __call__(self):
        self.calls += 1
        return self.split


def test_a_cached_split_reads_back_exactly_without_decoding(tmp_path):
    builder, split = _builder(tmp_path), _split()
    decode = _Decoder(split)
    key = split_cache.entry_key(builder, "train", None)
    first = split_cache.load_or_decode(str(tmp_path / "cache"), key, decode)
    second = split_cache.load_or_decode(str(tmp_path / "cache"), key, decode)
    assert decode.calls == 1
    for got in (first, second):
        np.testing.assert_array_equal(got[0], split[0])
        np.testing.assert_array_equal(got[1], split[1])
        assert got[0].dtype == np.uint8 and got[1].dtype == np.int64
    assert not [n for n in os.listdir(tmp_path / "cache") if n.startswith(".partial")]


def test_the_key_changes_with_split_size_version_place_and_a_re_prepared_dataset(tmp_path):
    builder = _builder(tmp_path)
    key = split_cache.entry_key(builder, "train", None)
    assert split_cache.entry_key(builder, "test", None) != key
    assert split_cache.entry_key(builder, "train", (8, 8)) != key
    assert split_cache.entry_key(_builder(tmp_path, version="2.0.0"), "train", None) != key
    moved = types.SimpleNamespace(**{**vars(builder), "data_dir": str(tmp_path / "elsewhere")})
    os.makedirs(moved.data_dir)
    (tmp_path / "elsewhere" / "dataset_info.json").write_text("{}")
    assert split_cache.entry_key(moved, "train", None) != key
    info = os.path.join(builder.data_dir, "dataset_info.json")
    stat = os.stat(info)
    os.utime(info, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # prepared again
    assert split_cache.entry_key(builder, "train", None) != key


def test_generated_splits_have_no_key_and_are_never_cached(tmp_path):
    """tfds.testing.mock_data's builders have no prepared files: a mock split must never be
    served later as the real dataset."""
    ghost = types.SimpleNamespace(name="mnist", version="3.0.1", data_dir=str(tmp_path / "none"))
    assert split_cache.entry_key(ghost, "train", None) is None
    decode = _Decoder(_split())
    split_cache.load_or_decode(str(tmp_path / "cache"), None, decode)
    split_cache.load_or_decode(str(tmp_path / "cache"), None, decode)
    assert decode.calls == 2 and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("damage", ["truncate", "wrong_dtype", "missing_labels"])
def test_a_damaged_entry_is_decoded_again_and_replaced(tmp_path, damage):
    builder, split = _builder(tmp_path), _split()
    cache = str(tmp_path / "cache")
    key = split_cache.entry_key(builder, "train", None)
    split_cache.load_or_decode(cache, key, _Decoder(split))
    entry = os.path.join(cache, key)
    if damage == "truncate":
        with open(os.path.join(entry, "x.npy"), "r+b") as f:
            f.truncate(100)
    elif damage == "wrong_dtype":
        np.save(os.path.join(entry, "x.npy"), split[0].astype(np.float32))
    else:
        os.unlink(os.path.join(entry, "y.npy"))
    decode = _Decoder(split)
    x, y = split_cache.load_or_decode(cache, key, decode)
    assert decode.calls == 1
    np.testing.assert_array_equal(x, split[0])
    again = _Decoder(split)
    split_cache.load_or_decode(cache, key, again)
    assert again.calls == 0  # the entry was replaced by a good one


def test_a_cache_that_cannot_be_written_only_warns(tmp_path, caplog):
    builder, split = _builder(tmp_path), _split()
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    key = split_cache.entry_key(builder, "train", None)
    x, y = split_cache.load_or_decode(str(blocked), key, _Decoder(split))
    np.testing.assert_array_equal(y, split[1])
    assert "could not cache the decoded split" in caplog.text


def test_the_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TFAL_CACHE_DIR", str(tmp_path / "a"))
    assert split_cache.default_dir() == str(tmp_path / "a")
    monkeypatch.delenv("TFAL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert split_cache.default_dir() == str(tmp_path / "xdg" / "tfal")


def test_real_mnist_from_the_cache_equals_a_fresh_decode(tfds_data_dir, tmp_path, monkeypatch):
    """Through tfds_dataset: the second load reads the cache (no decode) and gives the pool and
    test subsets of a load that never saw the cache."""
    decodes = []
    decode = sources._load_split
    monkeypatch.setattr(
        sources, "_load_split", lambda *a, **k: decodes.append(a[1]) or decode(*a, **k)
    )
    kwargs = dict(data_dir=tfds_data_dir, download=False, pool_size=500, test_size=200)
    fresh = sources.tfds_dataset("mnist", cache_decoded=False, **kwargs)
    assert decodes == ["train", "test"]
    cache = str(tmp_path / "cache")
    sources.tfds_dataset("mnist", cache_dir=cache, **kwargs)
    cached = sources.tfds_dataset("mnist", cache_dir=cache, **kwargs)
    assert decodes == ["train", "test"] * 2  # the third load decoded nothing
    np.testing.assert_array_equal(cached.x_pool, fresh.x_pool)
    np.testing.assert_array_equal(cached.y_test, fresh.y_test)
    assert len(os.listdir(cache)) == 2  # train and test
