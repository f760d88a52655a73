"""Your own images as the pool X (section 3): class folders, an unlabeled folder (or an .npz of arrays).

The paper benchmarks on TFDS datasets whose pool labels are known and hidden from the learner; a real
campaign starts from a folder of unlabeled images that a person labels (`tfal.oracles.HumanOracle`).
Both loaders return the same `Dataset` as `tfds_dataset`, so the rest of the library does not care
where the images came from:

* `image_folder_dataset`: labeled images as `root/<class_name>/**/*.png|jpg|jpeg` (class names are
  the sorted folder names); with `unlabeled_root`, the pool is every image under it (y_pool None) and
  the labeled folders are the test split; without it (simulation), the pool is the labeled images
  minus a seeded class-stratified test split.
* `npz_dataset` (`tfal.data.arrays`): arrays saved with `np.savez`.

A pool larger than `PoolStorage.memory_limit_bytes` (or any pool with `PoolStorage.storage = 'disk'`)
is decoded a chunk at a time into a cached `.npy` (`tfal.data.folder_cache`) and read by index from
there (`tfal.data.disk_images.DiskImages`); the test split is always decoded into memory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import gin
import numpy as np
from PIL import Image, ImageOps

from tfal.config_types import OpenFraction, Seed, configurable
from tfal.data import folder_cache, split_cache
from tfal.data.disk_images import DiskImages
from tfal.data.pool_storage import PoolStorage
from tfal.data.sources import (
    MAX_IMAGE_SIDE,
    Dataset,
    ImageSide,
    stratified_split,
)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
# What the files must really be, whatever their names say (PIL's names of the formats).
IMAGE_FORMATS = ("PNG", "JPEG")
# Refused before decoding: a small file can declare a huge image (a decompression bomb).
MAX_PIXELS = 40_000_000
# The largest training size image_size may ask for, per side.
# PIL releases the GIL while decoding, so a few threads decode thousands of small files in seconds.
_DECODE_THREADS = min(8, os.cpu_count() or 1)
# Modes that become 1 channel (grey) or 3 (RGB); alpha is dropped, palettes are expanded.
_GREY_MODES = ("L", "1", "LA", "La")
_RGB_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV")
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


@configurable(module="tfal.data")
def image_folder_dataset(
    root: str = gin.REQUIRED,
    *,
    test_root: str | None = None,
    unlabeled_root: str | None = None,
    image_size: tuple[ImageSide, ImageSide] | None = None,
    test_fraction: OpenFraction = 0.2,
    split_seed: Seed = 0,
    name: str | None = None,
    cache_dir: str | None = None,
) -> Dataset:
    """Loads images from folders into a `Dataset` of uint8 arrays (the pool on disk when large).

    Args:
      root: labeled images, one sub-folder per class (`root/cat/1.jpg`); its sorted folder names are
        the class names. With `unlabeled_root` these images are the test split (unless `test_root`).
      test_root: labeled test images with the same layout; replaces the split of `root`.
      unlabeled_root: every image under it (recursively, sorted paths) is the unlabeled pool, labeled
        by a human oracle; `pool_files` are the paths relative to this folder.
      image_size: (H, W) to resize every image to; None requires all images to share one shape.
      test_fraction: fraction of `root` held out, class-stratified, as the test split (simulation
        only, i.e. without `unlabeled_root` and `test_root`).
      split_seed: seed of that split (fixed per dataset, independent of the campaign seed).
      name: dataset name recorded in the campaign state (default: the pool folder's name).
      cache_dir: where a pool on disk is decoded to (`PoolStorage`); None is $TFAL_CACHE_DIR,
        else $XDG_CACHE_HOME/tfal, else ~/.cache/tfal (as `tfds_dataset`'s decoded splits).

    Returns:
      A Dataset: x uint8 [n, H, W, C], C = 1 for grey images and 3 otherwise (grey images are
      promoted to RGB when a folder mixes both); y int64 class ids, y_pool None with `unlabeled_root`.
    """
    size = _check_image_size(image_size)
    class_names, root_files, root_labels = _scan_class_folders(root)
    if test_root is not None:
        test_names, test_files, test_labels = _scan_class_folders(test_root)
        test_labels = _relabel(test_root, test_names, test_labels, class_names)
    elif unlabeled_root is not None:
        test_files, test_labels = root_files, root_labels
    if unlabeled_root is not None:
        pool_files, y_pool = _unlabeled_files(unlabeled_root), None
    elif test_root is not None:
        pool_files, y_pool = root_files, root_labels
    else:
        pool_files, y_pool, test_files, test_labels = stratified_split(
            root_files, root_labels, test_fraction, split_seed
        )
    x_pool, x_test = _decode_split(list(pool_files), list(test_files), size, cache_dir)
    base = unlabeled_root if unlabeled_root is not None else root
    relative = tuple(os.path.relpath(f, base).replace(os.sep, "/") for f in pool_files)
    name = name or os.path.basename(os.path.normpath(base))
    logging.debug(  # the banner shows it
        "%s: pool %s (%s), test %s, %d classes",
        name,
        x_pool.shape,
        "unlabeled" if y_pool is None else "labeled",
        x_test.shape,
        len(class_names),
    )
    return Dataset(
        name,
        x_pool,
        y_pool,
        x_test,
        np.asarray(test_labels, np.int64),
        class_names,
        pool_files=relative,
        pool_root=os.path.abspath(base),
    )


def _check_image_size(image_size: Sequence[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if len(image_size) != 2 or not all(
        isinstance(s, int | np.integer) and 0 < s <= MAX_IMAGE_SIDE for s in image_size
    ):
        raise ValueError(
            f"image_folder_dataset.image_size={image_size!r} must be (height, width), ints in "
            f"1..{MAX_IMAGE_SIDE}"
        )
    return int(image_size[0]), int(image_size[1])


def _scan_images(folder: str) -> list[str]:
    """Sorted relative paths of the images under `folder` (recursive; hidden files and folders
    skipped, and symlinks, which could point anywhere, neither followed nor read)."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"image folder {folder!r} does not exist or is not a folder")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            path = os.path.join(dirpath, f)
            if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS):
                if os.path.islink(path):
                    logging.warning("skipping %s: a symlink", path)
                    continue
                found.append(os.path.relpath(path, folder))
    return sorted(found)


def _unlabeled_files(folder: str) -> list[str]:
    files = [os.path.join(folder, f) for f in _scan_images(folder)]
    if not files:
        raise ValueError(f"unlabeled_root {folder!r} holds no {'/'.join(IMAGE_EXTENSIONS)} images")
    return files


def _scan_class_folders(root: str) -> tuple[tuple[str, ...], list[str], np.ndarray]:
    """Class names (sorted sub-folder names), image paths and their int64 class ids."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"image folder {root!r} does not exist or is not a folder")
    class_names = tuple(
        sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    )
    if not class_names:
        raise ValueError(
            f"{root!r} has no class folders: expected {root}/<class_name>/*.png|jpg|jpeg "
            "(a folder of unlabeled images goes in image_folder_dataset.unlabeled_root)"
        )
    loose = [
        e.name
        for e in os.scandir(root)
        if e.is_file() and e.name.lower().endswith(IMAGE_EXTENSIONS)
    ]
    if loose:
        logging.warning(
            "%s: ignoring %d images outside the class folders, e.g. %s", root, len(loose), loose[0]
        )
    files, labels = [], []
    for c, class_name in enumerate(class_names):
        class_dir = os.path.join(root, class_name)
        members = _scan_images(class_dir)
        if not members:
            raise ValueError(
                f"class folder {class_dir!r} holds no {'/'.join(IMAGE_EXTENSIONS)} images"
            )
        files += [os.path.join(class_dir, f) for f in members]
        labels += [c] * len(members)
    return class_names, files, np.asarray(labels, np.int64)


def _relabel(
    folder: str, names: tuple[str, ...], labels: np.ndarray, class_names: tuple[str, ...]
) -> np.ndarray:
    """Maps the class ids of `folder` onto those of `class_names` (the classes of `root`)."""
    unknown = [n for n in names if n not in class_names]
    if unknown:
        raise ValueError(
            f"test_root {folder!r} has class folder {unknown[0]!r}, not a class of root: {list(class_names)}"
        )
    return np.asarray([class_names.index(n) for n in names], np.int64)[labels]


def _decode_split(
    pool_files: list[str], test_files: list[str], size: tuple[int, int] | None, cache_dir
) -> tuple[np.ndarray | DiskImages, np.ndarray | DiskImages]:
    """(x_pool, x_test): both in memory, or both on disk when `PoolStorage` says so for the pool's
    size (n x the first image's H x W x C); the same pixels either way."""
    first = decode_image(pool_files[0], size)
    if not PoolStorage().on_disk(len(pool_files) * first.size):
        images = _decode_all(pool_files + test_files, size)
        return images[: len(pool_files)], images[len(pool_files) :]
    with ThreadPoolExecutor(_DECODE_THREADS) as pool:
        grey = np.array(list(pool.map(_is_grey, pool_files + test_files)))
    if grey.any() and not grey.all():
        logging.warning(
            "%d of %d images are grey among RGB ones: converting them to RGB", grey.sum(), grey.size
        )
    shape = (first.shape[0], first.shape[1], 1 if grey.all() else 3)
    x_pool, x_test = (
        folder_cache.decoded_pool(
            files, shape=shape, decode=lambda p: decode_image(p, size),
            cache_dir=cache_dir or split_cache.default_dir(), threads=_DECODE_THREADS,
        )  # fmt: skip
        for files in (pool_files, test_files)
    )  # the test split on disk too: a tenth of a 30 GB pool is still 3 GB
    return x_pool, x_test


def _is_grey(path: str) -> bool:
    """Whether `decode_image` makes `path` one channel, from its header (no pixel decoded)."""
    try:
        with Image.open(path) as img:
            return img.mode in _GREY_MODES
    except _DECODE_ERRORS as e:
        raise ValueError(f"cannot read image {path}: {type(e).__name__}: {e}") from e


def _decode_all(paths: list[str], size: tuple[int, int] | None) -> np.ndarray:
    """uint8 [n, H, W, C] of all `paths`, in order; one shape for all or a ValueError naming a file."""
    with ThreadPoolExecutor(_DECODE_THREADS) as pool:
        arrays = list(pool.map(lambda p: decode_image(p, size), paths))
    first = arrays[0].shape
    for path, a in zip(paths, arrays, strict=True):
        if a.shape[:2] != first[:2]:
            raise ValueError(
                f"{path} has shape {a.shape}, expected {first} (the shape of {paths[0]}): set "
                "image_folder_dataset.image_size = (H, W) to resize all images to one size"
            )
    channels = {a.shape[2] for a in arrays}
    if len(channels) > 1:  # a few grey photos among colour ones: show them in colour too
        logging.warning(
            "%d of %d images are grey among RGB ones: converting them to RGB",
            sum(a.shape[2] == 1 for a in arrays),
            len(arrays),
        )
    c = max(channels)
    out = np.empty((len(arrays), first[0], first[1], c), np.uint8)
    for i, a in enumerate(arrays):
        out[i] = a  # broadcasting repeats a grey channel
    return out


def decode_image(path: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """One image file as uint8 [H, W, 1] (grey) or [H, W, 3], EXIF rotation applied, resized if asked.

    Raises:
      ValueError: naming the file when it cannot be decoded or has a 16-bit / float mode.
    """
    try:
        with Image.open(path) as img:  # reads the header only
            _check_header(path, img)
            img = ImageOps.exif_transpose(img)  # phone photos: show them the way they were taken
            img.load()
    except _DECODE_ERRORS as e:
        raise ValueError(f"cannot read image {path}: {type(e).__name__}: {e}") from e
    if img.mode in _GREY_MODES:
        img = img.convert("L")
    elif img.mode in _RGB_MODES:
        # Palette images may carry transparency, which PIL wants expanded through RGBA first.
        img = img.convert("RGBA").convert("RGB") if img.mode in ("P", "PA") else img.convert("RGB")
    else:
        raise ValueError(
            f"image {path} has mode {img.mode!r} (16-bit or float): save it as 8-bit grey or RGB"
        )
    if size is not None and img.size != (size[1], size[0]):
        img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    array = np.asarray(img, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def _check_header(path: str, img: Image.Image) -> None:
    """Format and size from the header, before a single pixel is decoded."""
    if img.format not in IMAGE_FORMATS:
        raise ValueError(
            f"image {path} is {img.format or 'an unknown format'}; allowed: {', '.join(IMAGE_FORMATS)}"
        )
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"image {path} declares {width}x{height} pixels, more than {MAX_PIXELS:,}: refused "
            "before decoding (a decompression bomb, or an image to shrink first)"
        )
