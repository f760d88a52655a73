"""Helpers for the serving tests: a stand-in tfal model, its numpy reference, a fake TF Serving."""

import base64
import json
import re
from http.server import BaseHTTPRequestHandler

import numpy as np

IMAGE_SHAPE = (28, 28, 1)
MEAN = (0.1307,)
STD = (0.3081,)
CLASS_NAMES = tuple(f"digit {i}" for i in range(10))


def make_model(seed: int = 0, *, logits_dtype: str = "float32"):
    """A tfal-contract model: normalised float32 [B, 28, 28, 1] -> {"embedding", "logits"}."""
    import keras

    def init(i):
        return keras.initializers.GlorotUniform(seed=seed * 10 + i)

    inputs = keras.Input(IMAGE_SHAPE)
    h = keras.layers.Conv2D(4, 3, activation="relu", kernel_initializer=init(0))(inputs)
    h = keras.layers.Conv2D(8, 3, strides=2, activation="relu", kernel_initializer=init(1))(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    embedding = keras.layers.Dense(16, kernel_initializer=init(2), name="embedding")(h)
    logits = keras.layers.Dense(10, dtype=logits_dtype, kernel_initializer=init(3), name="logits")(
        embedding
    )
    return keras.Model(inputs, {"embedding": embedding, "logits": logits}, name="stand_in")


def reference_outputs(model, images: np.ndarray) -> dict[str, np.ndarray]:
    """What the served function must compute, done by hand with numpy around the Keras model."""
    x = (images.astype(np.float32) / 255.0 - np.float32(MEAN)) / np.float32(STD)
    out = model(x, training=False)
    logits = np.asarray(out["logits"], dtype=np.float32)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return {
        "probabilities": exp / exp.sum(axis=1, keepdims=True),
        "class_ids": logits.argmax(axis=1),
        "class_names": np.array([CLASS_NAMES[k] for k in logits.argmax(axis=1)]),
        "embeddings": np.asarray(out["embedding"], dtype=np.float32),
    }


def random_images(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *IMAGE_SHAPE), dtype=np.uint8)


class PredictHandler(BaseHTTPRequestHandler):
    """TF Serving's REST predict API (row and columnar formats) over `self.server.models`."""

    route = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+))?:predict$")

    def do_POST(self):  # noqa: N802 (http.server's naming)
        match = self.route.match(self.path)
        if not match or match.group(1) not in self.server.models:
            return self._reply(404, {"error": f"Servable not found for request: {self.path}"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        signature = body.get("signature_name", "serving_default")
        if signature not in ("serving_default", "predict_bytes"):
            return self._reply(400, {"error": "Serving signature name not found"})
        served = self.server.models[match.group(1)]
        columnar = "inputs" in body
        name = "images" if signature == "serving_default" else "image_bytes"
        if columnar:
            inputs = body["inputs"][name]
        else:
            inputs = [row[name] for row in body["instances"]]
        try:
            if signature == "predict_bytes":  # TF Serving decodes {"b64": ...} for *_bytes inputs
                outputs = served.predict_bytes([base64.b64decode(x["b64"]) for x in inputs])
            else:
                outputs = served(np.asarray(inputs, dtype=np.uint8))
        except ValueError as err:
            return self._reply(400, {"error": str(err)})
        if columnar:
            return self._reply(200, {"outputs": {k: _json(v) for k, v in outputs.items()}})
        rows = [{k: _json(v[i]) for k, v in outputs.items()} for i in range(len(inputs))]
        return self._reply(200, {"predictions": rows})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 (keeps test output quiet)
        pass


def _json(value):
    """As TF Serving writes a tensor in JSON: strings as text, numbers as lists."""
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(value).tolist()
    return value.tolist()
