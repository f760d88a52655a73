"""Labels stay bound to their images: a campaign whose pool changed is refused, naming the change."""

import numpy as np
import pytest

from tfal import campaign
from tfal.data.sources import Dataset
from tfal.loop import StateError, pool_identity


def _data(files=("a/1.png", "a/2.png", "b/3.png", "b/4.png"), classes=("a", "b"), seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (len(files), 5, 5, 1), dtype=np.uint8)
    return Dataset("mine", x, None, x[:1], np.array([0]), classes, pool_files=tuple(files))


def test_the_same_pool_passes_and_a_changed_one_is_refused_with_what_changed(tmp_path):
    data = _data()
    assert pool_identity.check(str(tmp_path), data) == (data, False)  # nothing recorded yet
    pool_identity.record(str(tmp_path), data)
    assert pool_identity.check(str(tmp_path), data) == (data, True)
    edited = Dataset(
        "mine",
        data.x_pool.copy(),
        None,
        data.x_test,
        data.y_test,
        data.class_names,
        pool_files=data.pool_files,
    )
    edited.x_pool[2, 0, 0, 0] ^= 1  # one pixel of one image
    with pytest.raises(StateError, match=r"1 images differ, at pool indices 2 \(b/3.png\)"):
        pool_identity.check(str(tmp_path), edited)
    grown = _data(files=("a/0.png", "a/1.png", "a/2.png", "b/3.png", "b/4.png"))
    with pytest.raises(
        StateError, match=r"1 files added \['a/0.png'\], 0 removed.*grow_pool = True"
    ):
        pool_identity.check(str(tmp_path), grown)
    with pytest.raises(StateError, match=r"class names \['a', 'b'\] are now \['a', 'c'\]"):
        pool_identity.check(str(tmp_path), _data(classes=("a", "c")))


def test_resuming_on_another_pool_is_refused_before_anything_is_written(
    repo_root, tmp_path, tfds_data_dir
):
    files = [str(repo_root / "gin_configs/testing/tiny.gin")]
    small = [
        "tfds_dataset.pool_size = 300",
        "tfds_dataset.test_size = 200",
        "ActiveLearningLoop.num_cycles = 1",
        "ActiveLearningLoop.sup_epochs = 2",
        "small_cnn.widths = (4, 8, 8)",
    ]
    run_dir = str(tmp_path / "run")
    campaign.parse_gin(files, small)
    campaign.run(run_dir)
    recorded = (tmp_path / "run" / "pool.npz").read_bytes()
    campaign.parse_gin(files, [*small, "tfds_dataset.subset_seed = 1"])
    with pytest.raises(StateError, match="changed since the campaign started"):
        campaign.run(run_dir, allow_config_change=True)
    assert (tmp_path / "run" / "pool.npz").read_bytes() == recorded


def test_a_pool_grown_on_purpose_keeps_every_recorded_index_on_its_image(tmp_path):
    """New images go after the recorded ones, whatever their names sort like."""
    data = _data()
    pool_identity.record(str(tmp_path), data)
    new = np.full((2, 5, 5, 1), 7, np.uint8)
    files = ("a/0.png", "a/1.png", "a/2.png", "b/3.png", "b/4.png", "c/9.png")  # sorted, as scanned
    x = np.concatenate([new[:1], data.x_pool, new[1:]])
    scanned = Dataset("mine", x, None, data.x_test, data.y_test, data.class_names, pool_files=files)
    grown, unchanged = pool_identity.check(str(tmp_path), scanned, grow=True)
    assert not unchanged  # pool.npz is to be recorded again
    assert grown.pool_files == (*data.pool_files, "a/0.png", "c/9.png")
    np.testing.assert_array_equal(grown.x_pool[:4], data.x_pool)  # index i: still the same image
    np.testing.assert_array_equal(grown.x_pool[4:], new)
    pool_identity.record(str(tmp_path), grown)
    assert pool_identity.check(str(tmp_path), grown) == (grown, True)
    shrunk = _data(files=("a/1.png", "a/2.png", "b/3.png"))
    with pytest.raises(
        StateError, match=r"lost 3 images .*'b/4.png'.*a pool may grow, never shrink"
    ):
        pool_identity.check(str(tmp_path), shrunk, grow=True)
    edited = Dataset("mine", grown.x_pool.copy(), None, data.x_test, data.y_test, data.class_names,
                     pool_files=grown.pool_files)  # fmt: skip
    edited.x_pool[1, 0, 0, 0] ^= 1
    with pytest.raises(StateError, match=r"1 images differ, at pool indices 1 \(a/2.png\)"):
        pool_identity.check(str(tmp_path), edited, grow=True)
