"""Writes a tfal model as one TF Serving version directory, atomically.

TF Serving watches `export_base/` and loads every directory whose name is an integer (the version
policy picks which). A version directory must therefore appear complete or not at all: the
SavedModel is written into a sibling `.tmp-<version>-<pid>` (a name TF Serving ignores) and renamed
into place. Re-exporting an existing version (a resumed cycle) moves the old directory aside to
`.old-<version>-<pid>`, renames the new one in and deletes the old one; between the two renames the
version is briefly absent, never half-written. Two processes exporting the same version into the
same base at once are not supported.

The signatures are described in `tfal.serving.signatures`.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import shutil
import tempfile
from collections.abc import Sequence

import keras

from tfal import fault_points
from tfal.serving import signatures, warmup

logger = logging.getLogger(__name__)

KERAS_FILE = "model.keras"  # inside each version directory, beside saved_model.pb


def export_model(
    model: keras.Model,
    *,
    export_base: str,
    version: int,
    image_shape: tuple[int, int, int],
    mean: Sequence[float],
    std: Sequence[float],
    class_names: Sequence[str],
) -> str:
    """Exports `model` to `export_base/<version>/`: a SavedModel with the `serving_default`,
    `predict_bytes` and `metadata` signatures, TF Serving's warmup requests
    (`assets.extra/tf_serving_warmup_requests`, `tfal.serving.warmup`) and the same network as
    `model.keras`.

    Args:
        model: a built tfal model (`{"embedding", "logits"}` outputs, normalised float32 input).
        export_base: the model's directory for TF Serving, e.g. `RUN_DIR/export/<model_name>`.
        version: an integer >= 0; TF Serving serves the highest (or the configured) versions.
        image_shape: `(H, W, C)` of the raw images clients will send.
        mean: per-channel mean on the [0, 1] scale, length C.
        std: per-channel standard deviation on the [0, 1] scale, length C, all > 0.
        class_names: one name per class, in class-id order; no line breaks.

    Returns:
        The final version directory, `export_base/<version>`.
    """
    _check_args(version, image_shape, mean, std, class_names)
    os.makedirs(export_base, exist_ok=True)
    version = int(version)
    final = os.path.join(export_base, str(version))
    tmp = os.path.join(export_base, f".tmp-{version}-{os.getpid()}")
    _remove_leftovers(export_base, version)
    try:
        _write_saved_model(
            model,
            path=tmp,
            image_shape=image_shape,
            mean=mean,
            std=std,
            class_names=class_names,
        )
        warmup.write(tmp, os.path.basename(os.path.normpath(export_base)), image_shape)
        fault_points.reached("export_written", version - 1)  # version j + 1 is cycle j's
        _move_into_place(tmp, final, export_base=export_base, version=version)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    logger.info("exported %s version %d to %s", model.name, version, final)
    return final


def _write_saved_model(
    model: keras.Model,
    *,
    path: str,
    image_shape: tuple[int, int, int],
    mean: Sequence[float],
    std: Sequence[float],
    class_names: Sequence[str],
) -> None:
    """Writes the SavedModel (both signatures, the class-names asset) to `path`."""
    with tempfile.TemporaryDirectory(prefix="tfal-export-") as scratch:
        names_file = os.path.join(scratch, signatures.CLASS_NAMES_ASSET)
        with open(names_file, "w", encoding="utf-8") as f:
            f.write("".join(f"{name}\n" for name in class_names))
        table = signatures.make_class_names_table(names_file)
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.track(table)  # its file becomes assets/class_names.txt
        serve = archive.add_endpoint(
            signatures.SERVING_SIGNATURE,
            signatures.make_serving_fn(model, mean=mean, std=std, table=table),
            input_signature=[signatures.images_spec(image_shape)],
        )
        archive.add_endpoint(
            signatures.BYTES_SIGNATURE,
            signatures.make_bytes_fn(
                model, image_shape=image_shape, mean=mean, std=std, table=table
            ),
            input_signature=[signatures.bytes_spec()],
        )
        num_classes = serve.get_concrete_function().structured_outputs["probabilities"].shape[-1]
        if num_classes != len(class_names):
            raise ValueError(
                f"the model has {num_classes} classes but {len(class_names)} class_names were "
                "given; pass one name per class"
            )
        archive.add_endpoint(
            signatures.METADATA_SIGNATURE,
            signatures.make_metadata_fn(table, len(class_names)),
            input_signature=[],
        )
        archive.write_out(path, verbose=False)
    # The same network for Keras users (`keras.saving.load_model`); TF Serving ignores the file.
    model.save(os.path.join(path, KERAS_FILE))


def _move_into_place(tmp: str, final: str, *, export_base: str, version: int) -> None:
    """Renames `tmp` to `final`, replacing an existing version directory."""
    if not os.path.exists(final):
        os.rename(tmp, final)
        return
    old = os.path.join(export_base, f".old-{version}-{os.getpid()}")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old)
    logger.info("replaced existing export version %d in %s", version, export_base)


def _remove_leftovers(export_base: str, version: int) -> None:
    """Deletes temp directories of this version left by an export that was killed."""
    for name in os.listdir(export_base):
        if name.startswith((f".tmp-{version}-", f".old-{version}-")):
            logger.warning("removing leftover of an interrupted export: %s", name)
            shutil.rmtree(os.path.join(export_base, name))


def _check_args(
    version: int,
    image_shape: tuple[int, int, int],
    mean: Sequence[float],
    std: Sequence[float],
    class_names: Sequence[str],
) -> None:
    if isinstance(version, bool) or not isinstance(version, numbers.Integral) or version < 0:
        raise ValueError(f"version must be an int >= 0 (a TF Serving version), got {version!r}")
    if len(image_shape) != 3 or any(int(s) < 1 for s in image_shape):
        raise ValueError(f"image_shape must be (H, W, C) of positive ints, got {image_shape!r}")
    channels = int(image_shape[2])
    if len(mean) != channels or len(std) != channels:
        raise ValueError(
            f"mean and std need one value per channel ({channels}), got mean={list(mean)} "
            f"std={list(std)}"
        )
    if not all(math.isfinite(s) and s > 0 for s in std):
        raise ValueError(f"std values must be finite and > 0, got {list(std)}")
    if not class_names:
        raise ValueError("class_names must name at least one class, got an empty sequence")
    bad = [n for n in class_names if not isinstance(n, str) or "\n" in n or "\r" in n]
    if bad:
        raise ValueError(f"class names must be strings without line breaks, got {bad!r}")
