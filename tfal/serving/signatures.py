"""The serving contract of an exported tfal model: names, dtypes and the functions behind them.

TF Serving clients see only the SignatureDefs, so their names are the contract (docs/run-directory.md, docs/serving.md):

* `serving_default`: one input `images`, raw `uint8 [batch, H, W, C]`; the per-channel normalisation
  `(x / 255 - mean) / std` the model was trained with happens inside, so a client never needs to
  know it. Outputs `probabilities` (`float32 [batch, c]`, softmax of the logits), `class_ids`
  (`int64 [batch]`, arg-max), `class_names` (`string [batch]`, the name of each class id) and
  `embeddings` (`float32 [batch, d]`, the features phi_theta(x) the paper's label propagation and
  acquisition work on, Sec. 3).
* `predict_bytes`: one input `image_bytes`, `string [batch]` of encoded PNG or JPEG files (over
  REST, `{"b64": "..."}` per image, as TF Serving decodes `*_bytes` inputs); each is decoded to the
  training channels, resized to the training size (bilinear, antialiased) and normalised inside
  the graph. Same outputs as `serving_default`, plus `decoded` (`bool [batch]`): each image is
  decoded on its own, and one that cannot be (not an image, truncated) is answered with
  `decoded` False, `class_ids` -1, `class_names` "<undecodable>" and zero probabilities, while
  the others in the same request are answered.
* `metadata`: no input; output `class_names` (`string [c]`), read from the SavedModel asset
  `assets/class_names.txt` (one name per line, line i = class id i) through a lookup table, so the
  names travel inside the version directory.

Outputs are cast to float32 because a mixed-precision model returns float16/bfloat16.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

SERVING_SIGNATURE = "serving_default"
METADATA_SIGNATURE = "metadata"
BYTES_SIGNATURE = "predict_bytes"
INPUT_NAME = "images"
BYTES_INPUT_NAME = "image_bytes"
OUTPUT_NAMES = ("probabilities", "class_ids", "class_names", "embeddings")
CLASS_NAMES_OUTPUT = "class_names"
CLASS_NAMES_ASSET = "class_names.txt"
DECODED_OUTPUT = "decoded"  # predict_bytes only: False for an image that could not be decoded
UNDECODABLE = "<undecodable>"  # its class_names entry (class_ids -1, probabilities 0)


def make_serving_fn(
    model: keras.Model,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    table: tf.lookup.StaticHashTable,
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """The body of `serving_default`: uint8 images in, named float32/int64 outputs out.

    Args:
        model: a tfal model; `model(x, training=False)` maps normalised float32 `[B, H, W, C]` to
            `{"embedding": [B, d], "logits": [B, c]}`.
        mean: per-channel mean of the training images on the [0, 1] scale, length C.
        std: per-channel standard deviation on the [0, 1] scale, length C, all > 0.
        table: class id -> name (`make_class_names_table`).

    Returns:
        A Python function of one argument named `images` (the argument name becomes the
        SignatureDef input name).
    """
    predict = _predict_fn(model, mean=mean, std=std, table=table)

    def serve(images: tf.Tensor) -> dict[str, tf.Tensor]:
        return predict(tf.cast(images, tf.float32))

    return serve


def make_bytes_fn(
    model: keras.Model,
    *,
    image_shape: tuple[int, int, int],
    mean: Sequence[float],
    std: Sequence[float],
    table: tf.lookup.StaticHashTable,
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """The body of `predict_bytes`: encoded PNG/JPEG strings in, `serving_default`'s outputs out."""
    height, width, channels = (int(s) for s in image_shape)
    predict = _predict_fn(model, mean=mean, std=std, table=table)

    def decode(encoded: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
        pixels = tf.cast(image, tf.float32)
        same_size = tf.reduce_all(tf.shape(image)[:2] == [height, width])
        resized = tf.cond(
            same_size,
            lambda: pixels,
            lambda: tf.round(
                tf.clip_by_value(
                    tf.image.resize(pixels, [height, width], antialias=True), 0.0, 255.0
                )
            ),
        )
        return tf.ensure_shape(resized, [height, width, channels])

    def serve(image_bytes: tf.Tensor) -> dict[str, tf.Tensor]:
        # Each image decoded on its own: tf.data's ignore_errors drops one that fails (not PNG or
        # JPEG, truncated) instead of failing the request; a sentinel at index n keeps the batch
        # non-empty when none decodes.
        n = tf.shape(image_bytes)[0]
        decoded = (
            tf.data.Dataset.from_tensor_slices((tf.range(n), image_bytes))
            .map(lambda i, encoded: (i, decode(encoded)))
            .ignore_errors()
        )
        sentinel = tf.data.Dataset.from_tensors((n, tf.zeros([height, width, channels])))
        index, pixels = (
            sentinel.concatenate(decoded).batch(tf.cast(n + 1, tf.int64)).get_single_element()
        )
        rows = index[:, None]
        images = tf.scatter_nd(rows, pixels, tf.stack([n + 1, height, width, channels]))[:n]
        ok = tf.scatter_nd(rows, tf.ones_like(index), [n + 1])[:n] > 0
        out = predict(images)
        return {
            "probabilities": tf.where(ok[:, None], out["probabilities"], 0.0),
            "class_ids": tf.where(ok, out["class_ids"], tf.constant(-1, tf.int64)),
            "class_names": tf.where(ok, out["class_names"], UNDECODABLE),
            "embeddings": tf.where(ok[:, None], out["embeddings"], 0.0),
            DECODED_OUTPUT: ok,
        }

    return serve


def _predict_fn(model, *, mean, std, table):
    """Float pixels on the 0-255 scale -> the named outputs of both signatures."""
    mean_t = tf.constant(list(mean), dtype=tf.float32)
    std_t = tf.constant(list(std), dtype=tf.float32)

    def predict(pixels: tf.Tensor) -> dict[str, tf.Tensor]:
        x = (pixels / 255.0 - mean_t) / std_t
        out = model(x, training=False)
        logits = tf.cast(out["logits"], tf.float32)
        class_ids = tf.argmax(logits, axis=-1, output_type=tf.int64)
        return {
            "probabilities": tf.nn.softmax(logits, axis=-1),
            "class_ids": class_ids,
            "class_names": table.lookup(class_ids),
            "embeddings": tf.cast(out["embedding"], tf.float32),
        }

    return predict


def make_class_names_table(class_names_file: str) -> tf.lookup.StaticHashTable:
    """A table `class id (int64) -> name (string)` initialised from a one-name-per-line file.

    A TextFileInitializer holds the file as a SavedModel asset: saving copies it to
    `<version>/assets/<basename>`, and the reloaded table reads it from there.
    """
    initializer = tf.lookup.TextFileInitializer(
        class_names_file,
        key_dtype=tf.int64,
        key_index=tf.lookup.TextFileIndex.LINE_NUMBER,
        value_dtype=tf.string,
        value_index=tf.lookup.TextFileIndex.WHOLE_LINE,
    )
    return tf.lookup.StaticHashTable(initializer, default_value="")


def make_metadata_fn(
    table: tf.lookup.StaticHashTable, num_classes: int
) -> Callable[[], dict[str, tf.Tensor]]:
    """The body of `metadata`: no input, `class_names` string `[num_classes]` out."""

    def metadata() -> dict[str, tf.Tensor]:
        ids = tf.range(num_classes, dtype=tf.int64)
        return {CLASS_NAMES_OUTPUT: table.lookup(ids)}

    return metadata


def images_spec(image_shape: tuple[int, int, int]) -> tf.TensorSpec:
    """The input spec of `serving_default`: uint8 `[None, H, W, C]` named `images`."""
    return tf.TensorSpec([None, *image_shape], tf.uint8, name=INPUT_NAME)


def bytes_spec() -> tf.TensorSpec:
    """The input spec of `predict_bytes`: string `[None]` named `image_bytes`."""
    return tf.TensorSpec([None], tf.string, name=BYTES_INPUT_NAME)
