"""Warmup records: the requests TF Serving replays when it loads a version, before serving it.

Without them the first real request of each new cycle's model pays for tracing and kernel
set-up. TF Serving reads `<version>/assets.extra/tf_serving_warmup_requests`, a TFRecord file of
`PredictionLog` protos (tensorflow-serving-api), and sends each one to the version it loads. tfal
writes one Predict request per signature: a blank image for `serving_default`, a blank PNG for
`predict_bytes`, and `metadata`. `tf.saved_model.load` ignores `assets.extra/`.
"""

from __future__ import annotations

import io
import os

import numpy as np

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"


def requests(model_name: str, image_shape: tuple[int, int, int]) -> list:
    """The `PredictionLog`s tfal writes: one Predict request per signature, batch of one."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

    from tfal.serving import signatures

    blank = np.zeros((1, *image_shape), np.uint8)
    inputs = {signatures.SERVING_SIGNATURE: {signatures.INPUT_NAME: blank}}
    if image_shape[2] in (1, 3, 4):  # what a PNG holds
        png = np.array([_png(blank[0])], dtype=object)
        inputs[signatures.BYTES_SIGNATURE] = {signatures.BYTES_INPUT_NAME: png}
    inputs[signatures.METADATA_SIGNATURE] = {}
    logs = []
    for signature, tensors in inputs.items():
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = signature
        for name, value in tensors.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
        logs.append(
            prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
        )
    return logs


def write(version_dir: str, model_name: str, image_shape: tuple[int, int, int]) -> str:
    """Writes the warmup file into a version directory; returns its path."""
    import tensorflow as tf

    folder = os.path.join(version_dir, WARMUP_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for log in requests(model_name, image_shape):
            writer.write(log.SerializeToString())
    return path


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    from tfal.image_grid import pil_pixels

    buffer = io.BytesIO()
    Image.fromarray(pil_pixels(image)).save(buffer, format="PNG")
    return buffer.getvalue()
