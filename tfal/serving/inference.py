"""Reloads an exported version directory and calls its signatures on numpy arrays.

This goes through exactly what TF Serving loads (`tf.saved_model.load` of the version directory and
its SignatureDefs), not through Keras, so a test that passes here exercises the served contract.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import tensorflow as tf

from tfal.serving import signatures


class ServedModel:
    """A reloaded SavedModel called like TF Serving would call it.

    Attributes:
        path: the version directory that was loaded.
        image_shape: `(H, W, C)` the `images` input expects.
        class_names: class names in class-id order, read from the export's
            `assets/class_names.txt` (falling back to the `metadata` signature) on first use.

    A SavedModel is code: loading it calls none of its functions; only a prediction (or
    `class_names` of an export without the asset file) runs them.
    """

    def __init__(self, path: str):
        self.path = path
        self._loaded = tf.saved_model.load(path)
        for name in (signatures.SERVING_SIGNATURE, signatures.METADATA_SIGNATURE):
            if name not in self._loaded.signatures:
                raise ValueError(
                    f"{path} has no {name!r} signature (has {sorted(self._loaded.signatures)}); "
                    "was it written by tfal.serving.export_model?"
                )
        self._serve = self._loaded.signatures[signatures.SERVING_SIGNATURE]
        spec = self._serve.structured_input_signature[1][signatures.INPUT_NAME]
        self.image_shape = tuple(int(d) for d in spec.shape[1:])
        self._class_names: list[str] | None = None

    @property
    def class_names(self) -> list[str]:
        if self._class_names is None:
            asset = os.path.join(self.path, "assets", signatures.CLASS_NAMES_ASSET)
            if os.path.exists(asset):
                with open(asset, encoding="utf-8") as f:
                    self._class_names = f.read().splitlines()
            else:
                names = self._loaded.signatures[signatures.METADATA_SIGNATURE]()
                output = names[signatures.CLASS_NAMES_OUTPUT].numpy()
                self._class_names = [n.decode("utf-8") for n in output]
        return self._class_names

    def __call__(self, images: np.ndarray, *, batch_size: int = 256) -> dict[str, np.ndarray]:
        """Runs `serving_default` on a uint8 batch.

        Args:
            images: uint8 `[N, H, W, C]` with `(H, W, C) == self.image_shape`.
            batch_size: images per call, to bound memory on large N.

        Returns:
            `{"probabilities": float32 [N, c], "class_ids": int64 [N], "class_names": str [N],
            "embeddings": float32 [N, d]}`.
        """
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 (raw pixels), got dtype {images.dtype}")
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"images must have shape [N, {', '.join(map(str, self.image_shape))}], "
                f"got {list(images.shape)}"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        chunks = (
            tf.constant(images[start : start + batch_size])
            for start in range(0, max(len(images), 1), batch_size)
        )
        return _outputs(self._serve, signatures.INPUT_NAME, chunks)

    def predict_bytes(
        self, encoded: list[bytes], *, batch_size: int = 256
    ) -> dict[str, np.ndarray]:
        """Runs `predict_bytes` on encoded PNG/JPEG files (any size: resized in the graph); an
        export of this version adds `decoded` (bool [N]): False for a file that is not an image,
        answered with class id -1 while the others are answered."""
        if not len(encoded):
            raise ValueError("encoded is empty: give at least one PNG or JPEG file's bytes")
        chunks = (
            tf.constant(list(encoded[start : start + batch_size]), dtype=tf.string)
            for start in range(0, len(encoded), batch_size)
        )
        fn = self._loaded.signatures[signatures.BYTES_SIGNATURE]
        return _outputs(fn, signatures.BYTES_INPUT_NAME, chunks)


def load_for_inference(path: str) -> ServedModel:
    """Loads an exported version directory (`export_base/<version>`) for local inference."""
    return ServedModel(path)


def _outputs(fn, input_name: str, chunks: Iterable[tf.Tensor]) -> dict[str, np.ndarray]:
    """A signature's named outputs over all `chunks`, joined; class names as str (TensorFlow
    returns bytes). An earlier tfal's export has no class_names output: it is left out."""
    parts: dict[str, list[np.ndarray]] = {}
    for chunk in chunks:
        out = fn(**{input_name: chunk})
        for name in (*signatures.OUTPUT_NAMES, signatures.DECODED_OUTPUT):
            if name in out:
                parts.setdefault(name, []).append(out[name].numpy())
    out = {name: np.concatenate(chunks, axis=0) for name, chunks in parts.items()}
    if signatures.CLASS_NAMES_OUTPUT in out:
        out[signatures.CLASS_NAMES_OUTPUT] = np.array(
            [n.decode("utf-8") for n in out[signatures.CLASS_NAMES_OUTPUT]], dtype=str
        )
    return out
