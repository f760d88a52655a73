"""Classifies image files with a tfal model served by TF Serving (REST or gRPC) or loaded locally.

    tfal-client --url http://localhost:8501/v1/models/mnist IMAGE_FILES...
    tfal-client --grpc localhost:8500 --model_name mnist IMAGE_FILES...
    tfal-client --saved_model RUN_DIR/export/mnist/3 IMAGE_FILES...
    tfal-client --bytes --url http://localhost:8501/v1/models/mnist PNG_OR_JPEG_FILES...
    tfal-client --bytes --grpc localhost:8500 --model_name mnist PNG_OR_JPEG_FILES...

IMAGE_FILES are PNG/JPEG files or `.npy` arrays of uint8 pixels (`[H, W]`, `[H, W, C]` or
`[N, H, W, C]`). Prints one line per image: `file[index]  class_id  class_name  probability`.

REST uses only the standard library (urllib) and sends TF Serving's predict request
`{"signature_name": "serving_default", "instances": [...]}` (or the columnar `"inputs"` form).
With `--bytes` the files are sent as they are, base64-encoded (`{"image_bytes": {"b64": ...}}`), to
the `predict_bytes` signature, which decodes, resizes and normalises them in the graph: no pixel
handling on the client. Class names come with every prediction (the `class_names` output);
`--class_names` (a file, one name per line) overrides them.
gRPC needs the `tensorflow-serving-api` package, which requires `tensorflow` (not `tensorflow-cpu`).
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

import numpy as np

SIGNATURE = "serving_default"
BYTES_SIGNATURE = "predict_bytes"
INPUT_NAME = "images"
BYTES_INPUT_NAME = "image_bytes"
MAX_REPLY_BYTES = 64 * 2**20  # a reply larger than this is refused, not read into memory
_READ_CHUNK = 2**16


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A predict POST is never re-sent elsewhere (nor turned into a GET) on a 30x."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(
            req.full_url, code, f"refusing to follow a redirect to {newurl}", headers, fp
        )


def load_images(
    paths: Sequence[str], *, channels: int | None = None, size: tuple[int, int] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Reads image files into one uint8 batch `[N, H, W, C]` and a label per image."""
    arrays, labels = [], []
    for path in paths:
        batch = _read_file(path)
        for i, image in enumerate(batch):
            arrays.append(_convert(image, channels=channels, size=size, where=path))
            labels.append(path if len(batch) == 1 else f"{path}[{i}]")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"images have different shapes {sorted(shapes)}; use --size/--channels")
    return np.stack(arrays), labels


def _read_file(path: str) -> np.ndarray:
    """`[n, H, W, C]` uint8 from a .npy file or an image file (PIL)."""
    if path.endswith(".npy"):
        array = np.load(path)
        if array.dtype != np.uint8:
            raise ValueError(f"{path}: .npy arrays must be uint8 pixels, got {array.dtype}")
        if array.ndim == 2:
            array = array[None, :, :, None]
        elif array.ndim == 3:
            array = array[None]
        elif array.ndim != 4:
            raise ValueError(
                f"{path}: expected [H, W], [H, W, C] or [N, H, W, C], got {array.shape}"
            )
        return array
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB")
        array = np.asarray(image, dtype=np.uint8)
    return array.reshape(1, array.shape[0], array.shape[1], -1)


def _convert(
    image: np.ndarray, *, channels: int | None, size: tuple[int, int] | None, where: str
) -> np.ndarray:
    """Resizes to `size` (H, W) and converts to `channels` (1 grey or 3 RGB) when asked."""
    if size is not None and tuple(image.shape[:2]) != size:
        from PIL import Image

        mode = "L" if image.shape[2] == 1 else "RGB"
        pil = Image.fromarray(image[:, :, 0] if mode == "L" else image, mode=mode)
        image = np.asarray(pil.resize((size[1], size[0]), Image.BILINEAR), dtype=np.uint8)
        image = image.reshape(size[0], size[1], -1)
    if channels is None or image.shape[2] == channels:
        return image
    if channels == 3 and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    if channels == 1 and image.shape[2] == 3:
        grey = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(grey), 0, 255).astype(np.uint8)[:, :, None]
    raise ValueError(f"{where}: cannot convert {image.shape[2]} channels to {channels}")


def predict_url(url: str) -> str:
    """`http://h:8501/v1/models/m[/versions/v][:predict]` -> the `:predict` URL."""
    if not url.startswith(("http://", "https://")) or "/v1/models/" not in url:
        raise ValueError(
            f"--url must look like http://HOST:8501/v1/models/NAME[:predict], got {url}"
        )
    tail = url.rsplit("/", 1)[1]
    if ":" in tail:
        if not tail.endswith(":predict"):
            raise ValueError(f"only the :predict API is supported, got {url}")
        return url
    return url + ":predict"


def build_request(
    images: np.ndarray, *, signature: str = SIGNATURE, columnar: bool = False
) -> dict:
    """TF Serving REST predict body: row format (`instances`) or columnar (`inputs`)."""
    if columnar:
        return {"signature_name": signature, "inputs": {INPUT_NAME: images.tolist()}}
    return {"signature_name": signature, "instances": [{INPUT_NAME: x.tolist()} for x in images]}


def build_bytes_request(blobs: Sequence[bytes], *, signature: str = BYTES_SIGNATURE) -> dict:
    """TF Serving REST predict body sending encoded image files (base64, as `*_bytes` inputs)."""
    import base64

    return {
        "signature_name": signature,
        "instances": [
            {BYTES_INPUT_NAME: {"b64": base64.b64encode(b).decode("ascii")}} for b in blobs
        ],
    }


def parse_response(body: dict) -> dict[str, np.ndarray]:
    """`{"predictions": [...]}` or `{"outputs": {...}}` -> `{output name: array [N, ...]}`."""
    if "error" in body:
        raise RuntimeError(f"TF Serving error: {body['error']}")
    if "outputs" in body:
        return {name: np.asarray(value) for name, value in body["outputs"].items()}
    if "predictions" in body:
        rows = body["predictions"]
        if rows and not isinstance(rows[0], dict):
            raise ValueError("the signature has several outputs; expected a dict per prediction")
        names = rows[0].keys() if rows else ()
        return {name: np.asarray([row[name] for row in rows]) for name in names}
    raise ValueError(f"unexpected TF Serving response keys {sorted(body)}")


def predict_rest(
    url: str,
    request: dict,
    *,
    timeout: float = 60.0,
    max_reply_bytes: int = MAX_REPLY_BYTES,
    ca_cert: str | None = None,
) -> dict[str, np.ndarray]:
    """POSTs one predict request and parses the reply; HTTP errors carry the server's message.

    `timeout` bounds the whole request (connect, send, every read), redirects are refused, and a
    reply over `max_reply_bytes` is refused. `ca_cert`: a CA bundle to verify an https server with.
    """
    data = json.dumps(request).encode("utf-8")
    post = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=ca_cert) if url.startswith("https") else None
    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=context)
    )
    deadline = time.monotonic() + timeout
    try:
        with opener.open(post, timeout=timeout) as reply:
            body = json.loads(_read_capped(reply, max_reply_bytes, deadline, url).decode("utf-8"))
    except urllib.error.HTTPError as err:
        message = err.read().decode("utf-8", errors="replace").strip() if err.fp else err.msg
        raise RuntimeError(f"HTTP {err.code} from {url}: {message or err.msg}") from err
    return parse_response(body)


def _read_capped(reply, limit: int, deadline: float, url: str) -> bytes:
    """The reply body, refused past `limit` bytes or past the request's deadline."""
    chunks, size = [], 0
    while chunk := reply.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise RuntimeError(f"reply from {url} exceeds {limit} bytes; refused")
        if time.monotonic() > deadline:
            raise RuntimeError(f"reply from {url} took longer than the timeout; refused")
        chunks.append(chunk)
    return b"".join(chunks)


def predict_grpc(
    target: str,
    images: np.ndarray,
    *,
    model_name: str,
    signature: str,
    timeout: float,
    ca_cert: str | None = None,
    encoded: bool = False,
) -> dict[str, np.ndarray]:
    """One gRPC Predict call through tensorflow-serving-api; `encoded`: `images` are encoded
    files (bytes) for `predict_bytes`, else a uint8 batch for `serving_default`."""
    try:
        import grpc
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    except ImportError as err:
        raise RuntimeError(
            "--grpc needs tensorflow-serving-api (pip install tensorflow-serving-api; it requires "
            f"the full tensorflow package, not tensorflow-cpu): {err}"
        ) from err
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature
    if encoded:  # files as they are, for predict_bytes
        proto = tf.make_tensor_proto(np.array(list(images), dtype=object), dtype=tf.string)
        request.inputs[BYTES_INPUT_NAME].CopyFrom(proto)
    else:
        request.inputs[INPUT_NAME].CopyFrom(tf.make_tensor_proto(images, dtype=tf.uint8))
    if ca_cert is None:
        channel = grpc.insecure_channel(target)
    else:  # TLS, verifying the server against this CA bundle
        with open(ca_cert, "rb") as f:
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(f.read()))
    with channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(request, timeout)
    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}


def format_lines(
    labels: Sequence[str], outputs: dict[str, np.ndarray], class_names: Sequence[str] | None
) -> list[str]:
    """One `label  class_id  class_name  probability` line per image.

    The server's class ids are checked before use: an id outside its probability vector (or the
    class names) is an error, never an index into the wrong name.
    """
    lines = []
    served_names = outputs.get("class_names")
    decoded = outputs.get("decoded")
    for k, (label, class_id, probs) in enumerate(
        zip(labels, outputs["class_ids"], outputs["probabilities"], strict=True)
    ):
        class_id = int(class_id)
        if decoded is not None and not decoded[k]:  # predict_bytes: not an image; others answered
            lines.append(f"{label}\t-1\tundecodable\t-")
            continue
        known = min(len(probs), len(class_names)) if class_names else len(probs)
        if not 0 <= class_id < known:
            raise ValueError(
                f"the server answered class id {class_id} for {label}; allowed: 0..{known - 1}"
            )
        if class_names:
            name = class_names[class_id]
        elif served_names is not None:
            name = _text(served_names[k])
        else:
            name = "-"
        lines.append(f"{label}\t{class_id}\t{name}\t{float(probs[class_id]):.4f}")
    return lines


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="REST: http://HOST:8501/v1/models/NAME[/versions/V][:predict]")
    where.add_argument("--grpc", metavar="HOST:PORT", help="gRPC: e.g. localhost:8500")
    where.add_argument("--saved_model", help="local mode: an exported version directory")
    parser.add_argument("--model_name", help="model name for --grpc (as in models.config)")
    parser.add_argument(
        "--bytes",
        action="store_true",
        help="send the PNG/JPEG files as they are to the predict_bytes signature",
    )
    parser.add_argument(
        "--signature", help=f"default: {SIGNATURE} ({BYTES_SIGNATURE} with --bytes)"
    )
    parser.add_argument("--class_names", help="text file, one class name per line")
    parser.add_argument(
        "--columnar", action="store_true", help='REST: send "inputs" not "instances"'
    )
    parser.add_argument("--channels", type=int, choices=(1, 3), help="convert images to C channels")
    parser.add_argument("--size", help="resize images to HxW, e.g. 28x28")
    parser.add_argument("--batch_size", type=int, default=64, help="images per request")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per request, all of it"
    )
    parser.add_argument(
        "--max_reply_mb", type=float, default=MAX_REPLY_BYTES / 2**20, help="REST reply size cap"
    )
    parser.add_argument(
        "--ca_cert", help="CA bundle to verify the server's TLS certificate (https URL or --grpc)"
    )
    parser.add_argument("images", nargs="+", help="PNG/JPEG files or uint8 .npy arrays")
    args = parser.parse_args(argv)
    args.signature = args.signature or (BYTES_SIGNATURE if args.bytes else SIGNATURE)
    if args.grpc and not args.model_name:
        parser.error("--grpc needs --model_name")
    if args.batch_size < 1:
        parser.error(f"--batch_size must be >= 1, got {args.batch_size}")
    return args


def _predict(args: argparse.Namespace, images) -> tuple[dict, list[str] | None]:
    """Runs all images (a uint8 batch, or encoded files with --bytes) through the chosen
    backend, `--batch_size` per request."""
    class_names = None
    if args.class_names:
        with open(args.class_names, encoding="utf-8") as f:
            class_names = [line.rstrip("\n") for line in f]
    if args.saved_model:
        try:
            from tfal.serving import load_for_inference
        except ImportError as err:
            raise RuntimeError(
                f"--saved_model needs tfal installed (pip install -e .): {err}"
            ) from err

        served = load_for_inference(args.saved_model)
        if args.bytes:
            return served.predict_bytes(images, batch_size=args.batch_size), class_names
        return served(images, batch_size=args.batch_size), class_names
    url = predict_url(args.url) if args.url else None
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, len(images), args.batch_size):
        chunk = images[start : start + args.batch_size]
        if url:
            request = (
                build_bytes_request(chunk, signature=args.signature)
                if args.bytes
                else build_request(chunk, signature=args.signature, columnar=args.columnar)
            )
            parts.append(
                predict_rest(
                    url,
                    request,
                    timeout=args.timeout,
                    max_reply_bytes=int(args.max_reply_mb * 2**20),
                    ca_cert=args.ca_cert,
                )
            )
        else:
            parts.append(
                predict_grpc(
                    args.grpc,
                    chunk,
                    model_name=args.model_name,
                    signature=args.signature,
                    timeout=args.timeout,
                    ca_cert=args.ca_cert,
                    encoded=args.bytes,
                )
            )
    outputs = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return outputs, class_names


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
        if size is not None and len(size) != 2:
            raise ValueError(f"--size must be HxW, got {args.size}")
        if args.bytes:
            images, labels = [_read_bytes(path) for path in args.images], list(args.images)
        else:
            images, labels = load_images(args.images, channels=args.channels, size=size)
        outputs, class_names = _predict(args, images)
    except (OSError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for line in format_lines(labels, outputs, class_names):
        print(line)
    return 0


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def run() -> None:
    """Console-script entry point (`tfal-client`)."""
    sys.exit(main())


if __name__ == "__main__":
    run()
