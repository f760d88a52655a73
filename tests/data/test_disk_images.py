"""The pool on disk (`DiskImages`) answers every read as the same numpy array would."""

import pickle

import numpy as np
import pytest

from tfal.data.disk_images import DiskImages, chunks, write_npy
from tfal.data.pool_storage import DEFAULT_MEMORY_LIMIT_BYTES, PoolStorage


@pytest.fixture
def pool(tmp_path):
    """(the array, the same array as a DiskImages)."""
    x = np.random.default_rng(0).integers(0, 256, (37, 5, 4, 3), dtype=np.uint8)
    path = str(tmp_path / "x.npy")
    np.save(path, x)
    return x, DiskImages(path)


def test_shape_dtype_and_length_are_the_arrays(pool):
    x, d = pool
    assert (d.shape, d.dtype, d.ndim, len(d), d.nbytes) == (x.shape, x.dtype, 4, 37, x.nbytes)


@pytest.mark.parametrize("i", [0, 5, 36, -1, -37, np.int64(7)])
def test_an_int_reads_one_image(pool, i):
    x, d = pool
    np.testing.assert_array_equal(d[i], x[i])


@pytest.mark.parametrize(
    "key", [slice(None), slice(3, 9), slice(30, 100), slice(None, None, 3), slice(-5, None),
            slice(20, 10), slice(None, None, -2)],
)  # fmt: skip
def test_a_slice_reads_those_rows_into_memory(pool, key):
    x, d = pool
    got = d[key]
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, x[key])


@pytest.mark.parametrize(
    "key", [[3], [5, 1, 5, 36, 0], np.array([], np.int64), np.arange(37)[::-1], np.array([-1, 2]),
            np.arange(37) % 2 == 0, np.array([4, 5, 6, 20, 21], np.int32)],
)  # fmt: skip
def test_index_arrays_read_those_rows_in_that_order(pool, key):
    x, d = pool
    np.testing.assert_array_equal(d[key], x[np.asarray(key)])


@pytest.mark.parametrize("key", [37, -38, [0, 37], np.array([-38])])
def test_out_of_range_is_an_index_error(pool, key):
    _, d = pool
    with pytest.raises(IndexError, match="out of bounds"):
        d[key]


@pytest.mark.parametrize("key", [np.array([0.5]), np.zeros((2, 2), int), (0, 1)])
def test_other_keys_are_refused(pool, key):
    _, d = pool
    with pytest.raises((IndexError, TypeError)):
        d[key]


def test_take_is_a_view_reordered_like_the_arrays_take(pool):
    x, d = pool
    order = np.random.default_rng(1).permutation(37)[:20]
    view = d.take(order, axis=0)
    assert isinstance(view, DiskImages) and view.shape == (20, 5, 4, 3)
    np.testing.assert_array_equal(view[:], x.take(order, axis=0))
    again = view.take([3, 0, 19], axis=0)  # a view of a view
    np.testing.assert_array_equal(again[[2, 0]], x[order[[19, 3]]])
    np.testing.assert_array_equal(list(chunks(view, 7))[1], x[order[7:14]])


def test_chunks_cover_the_pool_in_order_for_arrays_and_disk_alike(pool):
    x, d = pool
    for images in (x, d):
        blocks = list(chunks(images, 10))
        assert [len(b) for b in blocks] == [10, 10, 10, 7]
        np.testing.assert_array_equal(np.concatenate(blocks), x)


def test_it_is_never_converted_to_one_array(pool):
    _, d = pool
    with pytest.raises(TypeError, match="PoolStorage.storage = 'memory'"):
        np.asarray(d)


def test_it_pickles_to_the_same_file_and_rows(pool):
    x, d = pool
    view = pickle.loads(pickle.dumps(d.take([4, 2])))
    np.testing.assert_array_equal(view[:], x[[4, 2]])


def test_write_npy_writes_blocks_as_np_save_would(tmp_path, pool):
    x, _ = pool
    path = str(tmp_path / "w.npy")
    write_npy(path, x.shape, (x[i : i + 8] for i in range(0, 37, 8)))
    np.testing.assert_array_equal(np.load(path), x)
    np.testing.assert_array_equal(DiskImages(path)[[36, 0]], x[[36, 0]])
    with pytest.raises(ValueError, match="36 rows written, 37 expected"):
        write_npy(path, x.shape, [x[:36]])


def test_a_truncated_file_is_refused(tmp_path, pool):
    x, d = pool
    with open(d.path, "rb") as f:
        data = f.read()
    path = tmp_path / "short.npy"
    path.write_bytes(data[:-1])
    with pytest.raises(ValueError, match="truncated"):
        DiskImages(str(path))


@pytest.mark.parametrize(
    "storage, nbytes, on_disk",
    [("auto", DEFAULT_MEMORY_LIMIT_BYTES, False), ("auto", DEFAULT_MEMORY_LIMIT_BYTES + 1, True),
     ("memory", 10**15, False), ("disk", 1, True)],
)  # fmt: skip
def test_pool_storage_chooses_disk_above_the_limit_or_when_told(storage, nbytes, on_disk):
    assert PoolStorage(storage=storage).on_disk(nbytes) is on_disk


def test_pool_storage_refuses_an_unknown_storage():
    with pytest.raises(ValueError, match="one of 'auto', 'memory', 'disk'"):
        PoolStorage(storage="ssd")
