"""Image folders and .npz files as data sources."""

import pathlib
import re

import numpy as np
import pytest
from PIL import Image

from tfal.data import folders
from tfal.data.arrays import npz_dataset

CLASSES = ("cat", "dog", "owl")


def _save(path: pathlib.Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _image(seed: int, shape=(8, 6, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _class_folders(
    root: pathlib.Path, per_class=(5, 10, 15), shape=(8, 6, 3)
) -> dict[str, np.ndarray]:
    """root/<class>/<k>.png with distinct random pixels; returns the arrays by relative path."""
    written = {}
    for c, (name, count) in enumerate(zip(CLASSES, per_class, strict=True)):
        for k in range(count):
            rel = f"{name}/{k:02d}.png"
            written[rel] = _image(100 * c + k, shape)
            _save(root / rel, written[rel])
    return written


def test_simulation_split_is_stratified_seeded_and_keeps_files(tmp_path):
    written = _class_folders(tmp_path / "root")
    ds = folders.image_folder_dataset(str(tmp_path / "root"), test_fraction=0.2, split_seed=1)
    assert ds.class_names == CLASSES and ds.name == "root"
    assert ds.x_pool.shape == (24, 8, 6, 3) and ds.x_pool.dtype == np.uint8
    assert ds.x_test.shape == (6, 8, 6, 3)
    np.testing.assert_array_equal(np.bincount(ds.y_test), [1, 2, 3])  # 20% of each class
    np.testing.assert_array_equal(np.bincount(ds.y_pool), [4, 8, 12])
    for k, rel in enumerate(ds.pool_files):  # pixels, labels and file names stay aligned
        np.testing.assert_array_equal(ds.x_pool[k], written[rel])
        assert CLASSES[ds.y_pool[k]] == rel.split("/")[0]
    again = folders.image_folder_dataset(str(tmp_path / "root"), test_fraction=0.2, split_seed=1)
    assert again.pool_files == ds.pool_files
    other = folders.image_folder_dataset(str(tmp_path / "root"), test_fraction=0.2, split_seed=2)
    assert other.pool_files != ds.pool_files


def test_unlabeled_pool_is_every_image_under_the_folder(tmp_path):
    _class_folders(tmp_path / "labeled", per_class=(2, 2, 2))
    _save(tmp_path / "pool" / "b.jpg", _image(1))
    _save(tmp_path / "pool" / "a.png", _image(2))
    _save(tmp_path / "pool" / "sub" / "c.JPEG", _image(3))
    (tmp_path / "pool" / "notes.txt").write_text("not an image")
    ds = folders.image_folder_dataset(
        str(tmp_path / "labeled"), unlabeled_root=str(tmp_path / "pool")
    )
    assert ds.y_pool is None and ds.pool_files == ("a.png", "b.jpg", "sub/c.JPEG")
    assert ds.x_pool.shape == (3, 8, 6, 3) and ds.x_test.shape == (6, 8, 6, 3)
    np.testing.assert_array_equal(ds.x_pool[0], _image(2))  # png is lossless
    np.testing.assert_array_equal(ds.y_test, [0, 0, 1, 1, 2, 2])
    assert ds.name == "pool"


def test_test_root_replaces_the_split_and_maps_class_ids(tmp_path):
    _class_folders(tmp_path / "train", per_class=(2, 2, 2))
    _save(tmp_path / "test" / "owl" / "x.png", _image(7))  # test has only one class folder
    ds = folders.image_folder_dataset(str(tmp_path / "train"), test_root=str(tmp_path / "test"))
    assert len(ds.x_pool) == 6 and ds.y_test.tolist() == [2]
    _save(tmp_path / "test" / "bat" / "y.png", _image(8))
    with pytest.raises(ValueError, match="'bat', not a class of root"):
        folders.image_folder_dataset(str(tmp_path / "train"), test_root=str(tmp_path / "test"))


def test_grey_stays_one_channel_and_rgba_palette_become_rgb(tmp_path):
    grey = _image(0, (5, 4))
    _save(tmp_path / "g" / "a" / "0.png", grey)
    _save(tmp_path / "g" / "b" / "1.png", _image(1, (5, 4)))
    ds = folders.image_folder_dataset(str(tmp_path / "g"), test_fraction=0.5)
    assert ds.x_pool.shape[1:] == (5, 4, 1)
    rgba = _image(2, (5, 4, 4))
    _save(tmp_path / "c" / "a" / "rgba.png", rgba)
    Image.fromarray(_image(3, (5, 4, 3))).convert("P").save(tmp_path / "c" / "a" / "pal.png")
    _save(tmp_path / "c" / "b" / "grey.png", grey)  # promoted to RGB among colour images
    ds = folders.image_folder_dataset(str(tmp_path / "c"), unlabeled_root=str(tmp_path / "c"))
    assert ds.x_pool.shape == (3, 5, 4, 3)
    np.testing.assert_array_equal(ds.x_pool[1], rgba[..., :3])  # a/pal.png, a/rgba.png, b/grey.png
    np.testing.assert_array_equal(ds.x_pool[2], np.repeat(grey[..., None], 3, axis=-1))


def test_resize_gives_one_shape(tmp_path):
    _save(tmp_path / "r" / "a" / "0.png", _image(0, (10, 12, 3)))
    _save(tmp_path / "r" / "b" / "1.jpg", _image(1, (30, 7, 3)))
    ds = folders.image_folder_dataset(str(tmp_path / "r"), test_fraction=0.5, image_size=(9, 11))
    assert ds.x_pool.shape[1:] == (9, 11, 3) and ds.x_test.shape[1:] == (9, 11, 3)
    with pytest.raises(ValueError, match=r"image_size=\(9,\) must be \(height, width\)"):
        folders.image_folder_dataset(str(tmp_path / "r"), image_size=(9,))


def test_mixed_shapes_name_the_file_and_suggest_image_size(tmp_path):
    _class_folders(tmp_path / "m", per_class=(2, 2, 2))
    _save(tmp_path / "m" / "dog" / "big.png", _image(9, (16, 6, 3)))
    with pytest.raises(ValueError) as e:
        folders.image_folder_dataset(str(tmp_path / "m"))
    message = str(e.value).splitlines()[0]  # gin adds an "In call to" line
    assert "big.png has shape (16, 6, 3), expected (8, 6, 3)" in message
    assert "image_folder_dataset.image_size" in message


def test_corrupt_image_names_the_file(tmp_path):
    _class_folders(tmp_path / "x", per_class=(2, 2, 2))
    (tmp_path / "x" / "owl" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(ValueError, match=r"cannot read image .*owl/broken\.jpg"):
        folders.image_folder_dataset(str(tmp_path / "x"))
    (tmp_path / "x" / "owl" / "broken.jpg").unlink()
    whole = (tmp_path / "x" / "dog" / "00.png").read_bytes()
    (tmp_path / "x" / "dog" / "00.png").write_bytes(whole[: len(whole) // 2])  # truncated
    with pytest.raises(ValueError, match=r"cannot read image .*dog/00\.png"):
        folders.image_folder_dataset(str(tmp_path / "x"))
    (tmp_path / "x" / "dog" / "00.png").write_bytes(whole)
    _save(tmp_path / "x" / "dog" / "deep.png", np.zeros((8, 6), np.uint16))
    with pytest.raises(ValueError, match=r"deep\.png has mode 'I;16' \(16-bit or float\)"):
        folders.image_folder_dataset(str(tmp_path / "x"))


def test_missing_or_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        folders.image_folder_dataset(str(tmp_path / "nope"))
    _save(tmp_path / "flat" / "a.png", _image(0))
    with pytest.raises(ValueError, match="no class folders.*unlabeled_root"):
        folders.image_folder_dataset(str(tmp_path / "flat"))
    (tmp_path / "flat" / "empty_class").mkdir()
    with pytest.raises(ValueError, match="empty_class' holds no"):
        folders.image_folder_dataset(str(tmp_path / "flat"))
    _class_folders(tmp_path / "ok", per_class=(1, 1, 1))
    (tmp_path / "empty_pool").mkdir()
    with pytest.raises(ValueError, match="unlabeled_root .* holds no"):
        folders.image_folder_dataset(
            str(tmp_path / "ok"), unlabeled_root=str(tmp_path / "empty_pool")
        )
    with pytest.raises(ValueError, match=r"test_fraction=1.5: expected a float in \(0, 1\)"):
        folders.image_folder_dataset(str(tmp_path / "ok"), test_fraction=1.5)


def test_a_few_thousand_small_images_all_load(tmp_path):
    image = _image(0, (16, 16, 3))
    for c in range(2):
        for k in range(1000):
            _save(tmp_path / "many" / f"c{c}" / f"{k}.png", image)
    ds = folders.image_folder_dataset(str(tmp_path / "many"))
    assert len(ds.x_pool) + len(ds.x_test) == 2000
    assert np.bincount(np.concatenate([ds.y_pool, ds.y_test])).tolist() == [1000, 1000]


def _npz(path, **arrays) -> str:
    np.savez(path, **arrays)
    return str(path)


def test_npz_long_form_with_unlabeled_pool(tmp_path):
    x = _image(0, (7, 5, 4))
    path = _npz(
        tmp_path / "d.npz",
        x_pool=x,
        x_test=x[:3],
        y_test=np.array([0, 2, 1]),
        class_names=np.array(["a", "b", "c"]),
    )
    ds = npz_dataset(path)
    assert ds.name == "d" and ds.y_pool is None and ds.class_names == ("a", "b", "c")
    assert ds.x_pool.shape == (7, 5, 4, 1)  # [n, H, W] grey gets a channel axis
    assert ds.y_test.dtype == np.int64
    renamed = npz_dataset(path, class_names=["x", "y", "z"], name="mine")
    assert renamed.class_names == ("x", "y", "z") and renamed.name == "mine"


def test_npz_short_form_splits_stratified_and_seeded(tmp_path):
    x = _image(0, (40, 4, 4, 3))
    y = np.repeat([0, 1], [8, 32])
    path = _npz(tmp_path / "s.npz", x=x, y=y)
    ds = npz_dataset(path, test_fraction=0.25, split_seed=3)
    assert ds.class_names == ("0", "1") and ds.x_pool.shape == (30, 4, 4, 3)
    np.testing.assert_array_equal(np.bincount(ds.y_test), [2, 8])
    again = npz_dataset(path, test_fraction=0.25, split_seed=3)
    np.testing.assert_array_equal(ds.x_test, again.x_test)
    with_test = npz_dataset(_npz(tmp_path / "t.npz", x=x, y=y, x_test=x[:2], y_test=y[:2]))
    assert len(with_test.x_pool) == 40 and len(with_test.x_test) == 2


@pytest.mark.parametrize(
    "arrays,match",
    [
        (
            {"x_pool": np.zeros((2, 3, 3, 3), np.float32)},
            "x_pool has dtype float32; allowed: uint8",
        ),
        (
            {"x": np.zeros((2, 3, 3, 3), np.uint8), "y": np.array([0, 1]), "z": np.zeros(1)},
            "unknown key 'z'",
        ),
        (
            {"x": np.zeros((2, 3, 3, 3), np.uint8), "y": np.array([0, 1, 1])},
            r"y has shape \(3,\); expected \(2,\)",
        ),
        ({"x": np.zeros((2, 3, 3, 5), np.uint8), "y": np.array([0, 1])}, "C 1 or 3"),
        (
            {"x": np.zeros((4, 3, 3, 3), np.uint8), "y": np.array([0.0, 1, 0, 1])},
            "y has dtype float64",
        ),
        (
            {
                "x_pool": np.zeros((2, 3, 3), np.uint8),
                "x_test": np.zeros((1, 3, 3), np.uint8),
                "y_test": np.array([5]),
                "class_names": np.array(["a", "b"]),
            },
            r"y_test\[0\] = 5; allowed class ids 0..1",
        ),
        ({"x": np.zeros((2, 3, 3), np.uint8)}, "no x_test/y_test"),
        (
            {"x_pool": np.zeros((2, 3, 3), np.uint8), "x_test": np.zeros((1, 3, 3), np.uint8)},
            "x_test and y_test go",
        ),
        (
            {"x_pool": np.zeros((2, 3, 3), np.uint8), "x": np.zeros((2, 3, 3), np.uint8)},
            "mixes the long form",
        ),
        ({"y": np.zeros(2, int)}, "no images; expected key x_pool"),
        (
            {
                "x_pool": np.zeros((2, 3, 3), np.uint8),
                "x_test": np.zeros((1, 4, 3), np.uint8),
                "y_test": np.array([0]),
            },
            r"x_test images are \(4, 3, 1\)",
        ),
    ],
)
def test_npz_bad_contents_are_one_line_errors_naming_the_key(tmp_path, arrays, match):
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match) as e:
        npz_dataset(path)
    assert re.search(match, str(e.value).splitlines()[0])  # gin adds an "In call to" line


def test_npz_missing_file_and_npy(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        npz_dataset(str(tmp_path / "none.npz"))
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"single array \(.npy\)"):
        npz_dataset(str(tmp_path / "one.npy"))


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    # A real PNG that declares 8,000 x 8,000 pixels in a file of a few kB.
    path = tmp_path / "bomb.png"
    Image.new("L", (8000, 8000)).save(path, optimize=True)
    assert path.stat().st_size < 200_000
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(1))
    with pytest.raises(ValueError, match=r"declares 8000x8000 pixels, more than 40,000,000"):
        folders.decode_image(str(path))
    assert not decoded


def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path):
    path = tmp_path / "fake.png"
    Image.fromarray(_image(0)).save(path, format="GIF")
    with pytest.raises(ValueError, match=r"fake.png is GIF; allowed: PNG, JPEG"):
        folders.decode_image(str(path))


def test_an_absurd_image_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"image_size=\(100000, 28\) must be .* ints in 1..2048"):
        folders.image_folder_dataset(str(tmp_path), image_size=(100000, 28))


def test_an_npz_with_unknown_keys_is_refused_before_loading(tmp_path, monkeypatch):
    path = _npz(tmp_path / "x.npz", x=np.zeros((4, 2, 2, 1), np.uint8), payload=np.arange(3))
    monkeypatch.setattr(
        np.lib.npyio.NpzFile, "__getitem__", lambda self, key: pytest.fail(f"read {key}")
    )
    with pytest.raises(ValueError, match="unknown key 'payload'"):
        npz_dataset(path)


def test_symlinked_images_are_skipped(tmp_path):
    _save(tmp_path / "pool" / "a.png", _image(0))
    _save(tmp_path / "elsewhere" / "secret.png", _image(1))
    (tmp_path / "pool" / "b.png").symlink_to(tmp_path / "elsewhere" / "secret.png")
    assert folders._scan_images(str(tmp_path / "pool")) == ["a.png"]
