"""Your own arrays as the pool X: an .npz saved with `np.savez`, in the same `Dataset` as the rest.

Either `x_pool, y_pool, x_test, y_test` (long form) or `x, y` (short form, a seeded stratified test
split held out); every key, shape, dtype and label is checked before anything is used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import gin
import numpy as np

from tfal.config_types import OpenFraction, Seed, configurable
from tfal.data.sources import Dataset, stratified_split


@configurable(module="tfal.data")
def npz_dataset(
    path: str = gin.REQUIRED,
    *,
    name: str | None = None,
    class_names: Sequence[str] | None = None,
    test_fraction: OpenFraction = 0.2,
    split_seed: Seed = 0,
) -> Dataset:
    """Loads a pool and a test split saved with `np.savez(path, ...)`.

    Keys, long form: `x_pool` uint8 [n, H, W, C], optional `y_pool` int [n] (absent: an unlabeled
    pool for a human oracle), `x_test`, `y_test`, optional `class_names` str [c]. Short form: `x`,
    optional `y`, optional `x_test` and `y_test`; without a test split, a seeded class-stratified
    `test_fraction` of (x, y) is held out. Grey images may be [n, H, W].

    Args:
      path: the .npz file.
      name: dataset name (default: the file name without extension).
      class_names: one name per class; overrides the file's `class_names` (default "0", "1", ...).
      test_fraction, split_seed: the hold-out of the short form without a test split.
    """
    arrays = _read_npz(path)
    given = arrays.pop("class_names", None)
    return from_arrays(
        name=name or os.path.splitext(os.path.basename(path))[0],
        class_names=class_names if class_names is not None else given,
        test_fraction=test_fraction,
        split_seed=split_seed,
        where=path,
        **arrays,
    )


def from_arrays(
    x_pool: np.ndarray | None = None,
    y_pool: np.ndarray | None = None,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    *,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    class_names: Sequence[str] | np.ndarray | None = None,
    name: str = "arrays",
    test_fraction: float = 0.2,
    split_seed: int = 0,
    where: str = "arrays",
) -> Dataset:
    """A `Dataset` from numpy arrays, checked as an .npz's are (`npz_dataset`: the same forms).

    Images are uint8 0..255 [n, H, W, C] (C 1 or 3) or grey [n, H, W]: the exported model serves
    raw uint8 pixels, so a float array is refused with how to convert it rather than rescaled
    silently. `x_pool` with optional `y_pool` (None: an unlabeled pool) and `x_test`, `y_test`; or
    `x`, `y` with a seeded class-stratified `test_fraction` held out. `where` names the source in
    errors.
    """
    arrays = {
        k: np.asarray(v)
        for k, v in dict(x_pool=x_pool, y_pool=y_pool, x_test=x_test, y_test=y_test, x=x, y=y).items()
        if v is not None
    }
    path = where
    if "x_pool" in arrays and ("x" in arrays or "y" in arrays):
        raise ValueError(
            f"{path}: mixes the long form (x_pool, y_pool) with the short form (x, y); use one"
        )
    if "x_pool" not in arrays and "x" not in arrays:
        raise ValueError(f"{path}: no images; expected key x_pool (or x), found {sorted(arrays)}")
    if "y_pool" in arrays and "x_pool" not in arrays:
        raise ValueError(f"{path}: y_pool without x_pool")
    long_form = "x_pool" in arrays
    x_key, y_key = ("x_pool", "y_pool") if long_form else ("x", "y")
    x_pool = _check_images(x_key, arrays[x_key])
    y_pool = arrays.get(y_key)
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise ValueError(
            f"{path}: x_test and y_test go together; found only {'x_test' if 'x_test' in arrays else 'y_test'}"
        )
    if "x_test" in arrays:
        x_test, y_test = _check_images("x_test", arrays["x_test"]), arrays["y_test"]
    elif long_form or y_pool is None:
        raise ValueError(
            f"{path}: no x_test/y_test, and no labeled pool ({y_key}) to split a test set from"
        )
    else:
        _check_labels(y_key, y_pool, len(x_pool), None)
        idx = np.arange(len(x_pool))
        pool_idx, y_pool, test_idx, y_test = stratified_split(
            idx, np.asarray(y_pool, np.int64), test_fraction, split_seed
        )
        x_pool, x_test = x_pool[np.asarray(pool_idx)], x_pool[np.asarray(test_idx)]
    if x_test.shape[1:] != x_pool.shape[1:]:
        raise ValueError(
            f"{path}: x_test images are {x_test.shape[1:]}, {x_key} images are {x_pool.shape[1:]}"
        )
    stored = class_names if isinstance(class_names, np.ndarray) else None
    given = None if isinstance(class_names, np.ndarray) else class_names
    names = _class_names(path, given, stored, [y_pool, y_test])
    if y_pool is not None:
        y_pool = _check_labels(y_key, y_pool, len(x_pool), len(names))
    y_test = _check_labels("y_test", y_test, len(x_test), len(names))
    logging.debug("%s: pool %s, test %s, %d classes", name, x_pool.shape, x_test.shape, len(names))
    return Dataset(name, x_pool, y_pool, x_test, y_test, names)


_NPZ_KEYS = {"x_pool", "y_pool", "x", "y", "x_test", "y_test", "class_names"}


def _read_npz(path: str) -> dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"npz file {path!r} does not exist")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise ValueError(f"cannot read {path} as .npz: {e}") from e
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{path} is a single array (.npy); expected an .npz with keys x_pool/x_test/..."
        )
    unknown = sorted(set(npz.files) - _NPZ_KEYS)
    if unknown:  # refused before any array is read
        npz.close()
        raise ValueError(
            f"{path}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(_NPZ_KEYS))}"
        )
    arrays = {}
    with npz:
        for key in npz.keys():
            try:
                arrays[key] = npz[key]
            except ValueError as e:  # object arrays need pickle, which we do not load
                raise ValueError(
                    f"{path}: key {key!r} is an object array: save it as numbers or str"
                ) from e
    return arrays


def _check_images(key: str, x: np.ndarray) -> np.ndarray:
    if x.dtype != np.uint8:
        raise ValueError(f"{key} has dtype {x.dtype}; allowed: uint8 in 0..255 ({_how_to_uint8(x)})")
    if x.ndim == 3:  # [n, H, W] grey
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or len(x) == 0:
        raise ValueError(
            f"{key} has shape {x.shape}; allowed: [n>0, H, W, C] with C 1 or 3, or [n, H, W]"
        )
    return np.ascontiguousarray(x)


def _how_to_uint8(x: np.ndarray) -> str:
    """How to turn these pixels into the uint8 the exported model serves."""
    if np.issubdtype(x.dtype, np.floating) and x.size:
        low, high = float(np.nanmin(x)), float(np.nanmax(x))
        if 0.0 <= low and high <= 1.0:
            return f"these are in [{low:g}, {high:g}]: pass (x * 255).round().astype(np.uint8)"
        if 0.0 <= low and high <= 255.0:
            return f"these are in [{low:g}, {high:g}]: pass x.round().astype(np.uint8)"
        return f"these are in [{low:g}, {high:g}], not pixels: undo the normalisation first"
    return "e.g. x.astype(np.uint8) when they are 0..255"


def _check_labels(key: str, y: np.ndarray, n: int, num_classes: int | None) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{key} has dtype {y.dtype}; allowed: integer class ids")
    if y.shape != (n,):
        raise ValueError(f"{key} has shape {y.shape}; expected ({n},), one label per image")
    bad = np.flatnonzero((y < 0) | (y >= (num_classes if num_classes is not None else np.inf)))
    if len(bad):
        top = "" if num_classes is None else f"..{num_classes - 1}"
        raise ValueError(f"{key}[{bad[0]}] = {y[bad[0]]}; allowed class ids 0{top}")
    return y.astype(np.int64)


def _class_names(path: str, given, stored, labels: list[np.ndarray | None]) -> tuple[str, ...]:
    """Names from the argument, else the file, else "0".."c-1" for the largest label seen."""
    if given is not None:
        names = tuple(str(n) for n in given)
    elif stored is not None:
        if stored.ndim != 1 or stored.dtype.kind not in "US":
            raise ValueError(
                f"{path}: class_names has dtype {stored.dtype}, shape {stored.shape}; expected str [c]"
            )
        names = tuple(s.decode() if isinstance(s, bytes) else str(s) for s in stored.tolist())
    else:
        top = max(int(y.max()) for y in labels if y is not None and len(y))
        names = tuple(str(c) for c in range(top + 1))
    if not names or len(set(names)) != len(names):
        raise ValueError(f"{path}: class_names {list(names)} must be non-empty and distinct")
    return names


def from_tf_data(
    pool,
    test,
    *,
    class_names: Sequence[str] | None = None,
    name: str = "tf_data",
) -> Dataset:
    """A `Dataset` from two `tf.data.Dataset`s of examples (not batches): `(image, label)` pairs,
    `{"image": ..., "label": ...}` dicts (TFDS' form) or, for an unlabeled pool, images alone.

    Read once into memory as uint8 (`from_arrays`' checks), in the datasets' order: that order is
    the pool index, so the pool dataset must be deterministic (no unseeded shuffle).
    """
    x_pool, y_pool = _read_tf_data(pool, "pool")
    x_test, y_test = _read_tf_data(test, "test")
    if y_test is None:
        raise ValueError("the test dataset has no labels: give (image, label) pairs")
    return from_arrays(x_pool, y_pool, x_test, y_test, class_names=class_names, name=name,
                       where=f"tf.data {name}")  # fmt: skip


def _read_tf_data(dataset, which: str) -> tuple[np.ndarray, np.ndarray | None]:
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"the {which} must be a tf.data.Dataset, got {type(dataset).__name__}")
    spec = dataset.element_spec
    if isinstance(spec, dict):
        if "image" not in spec:
            raise ValueError(f"the {which} dataset's dicts have keys {sorted(spec)}; expected 'image'")
        dataset = dataset.map(lambda d: (d["image"], d["label"]) if "label" in d else d["image"])
        spec = dataset.element_spec
    labeled = isinstance(spec, tuple)
    if labeled and len(spec) != 2:
        raise ValueError(f"the {which} dataset gives {len(spec)}-tuples; expected (image, label)")
    image_spec = spec[0] if labeled else spec
    if not isinstance(image_spec, tf.TensorSpec) or image_spec.shape.rank not in (2, 3):
        raise ValueError(
            f"the {which} dataset's images are {image_spec}; expected single images [H, W, C] or "
            "[H, W] (unbatch a batched dataset with .unbatch())"
        )
    images, labels = [], []
    for element in dataset.as_numpy_iterator():
        image, label = element if labeled else (element, None)
        images.append(image)
        labels.append(label)
    if not images:
        raise ValueError(f"the {which} dataset is empty")
    return np.stack(images), (np.asarray(labels) if labeled else None)
