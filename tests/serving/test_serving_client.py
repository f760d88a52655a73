"""tfal-client (tfal.client; export/client.py runs it too) against a local HTTP server that speaks TF Serving's REST predict format."""

import json
import os
import shutil
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest
from PIL import Image
from serving_helpers import CLASS_NAMES, random_images, reference_outputs

from tfal.serving import load_for_inference

CLIENT = os.path.join(os.path.dirname(__file__), "..", "..", "export", "client.py")


@pytest.fixture(scope="module")
def client():
    from tfal import client as module

    return module


@pytest.fixture
def served(exported):
    return load_for_inference(exported[1])


@pytest.fixture
def image_files(tmp_path):
    """Two PNGs (grey) and a .npy batch of three; 5 images in all."""
    images = random_images(5, seed=3)
    paths = []
    for i in range(2):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(images[i, :, :, 0], mode="L").save(path)
        paths.append(str(path))
    np.save(tmp_path / "batch.npy", images[2:])
    paths.append(str(tmp_path / "batch.npy"))
    return paths, images


def _parse(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines()]
    return [(label, int(cid), name, float(p)) for label, cid, name, p in rows]


@pytest.mark.parametrize("columnar", [False, True])
def test_rest_predictions_match_the_in_memory_model(
    client, exported, served, image_files, fake_tf_serving, tmp_path, capsys, columnar
):
    paths, images = image_files
    names_file = os.path.join(served.path, "assets", "class_names.txt")
    url = fake_tf_serving({"stand_in": served}) + "/v1/models/stand_in"
    argv = ["--url", url, "--class_names", names_file, "--batch_size", "2", *paths]
    assert client.main(argv + (["--columnar"] if columnar else [])) == 0
    rows = _parse(capsys.readouterr().out)
    # The in-memory Keras model, computed by hand, not the served function the fake server runs.
    want = reference_outputs(exported[0], images)
    assert [r[0] for r in rows] == [paths[0], paths[1]] + [f"{paths[2]}[{i}]" for i in range(3)]
    assert [r[1] for r in rows] == want["class_ids"].tolist()
    assert [r[2] for r in rows] == [CLASS_NAMES[c] for c in want["class_ids"]]
    top = want["probabilities"][np.arange(5), want["class_ids"]]
    np.testing.assert_allclose([r[3] for r in rows], top, atol=1e-4)


def test_rest_client_runs_standalone_without_tensorflow(served, image_files, fake_tf_serving):
    paths, images = image_files
    url = fake_tf_serving({"stand_in": served}) + "/v1/models/stand_in/versions/1:predict"
    code = (
        "import runpy, sys; sys.argv = sys.argv[1:]\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "finally:\n    assert 'tensorflow' not in sys.modules, 'REST mode imported tensorflow'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, CLIENT, "--url", url, *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = _parse(result.stdout)
    ids = served(images)["class_ids"].tolist()
    assert [r[1] for r in rows] == ids
    assert [r[2] for r in rows] == [CLASS_NAMES[c] for c in ids]  # names come with predictions


def test_server_error_is_one_line(client, served, tmp_path, fake_tf_serving, capsys):
    np.save(tmp_path / "rgb.npy", np.zeros((2, 28, 28, 3), np.uint8))  # model wants 1 channel
    url = fake_tf_serving({"stand_in": served}) + "/v1/models/stand_in"
    assert client.main(["--url", url, str(tmp_path / "rgb.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: HTTP 400") and "shape" in err and "\n" not in err


def test_channels_and_size_conversion(client, tmp_path):
    Image.fromarray(np.full((10, 12), 200, np.uint8), mode="L").save(tmp_path / "g.png")
    images, labels = client.load_images([str(tmp_path / "g.png")], channels=3, size=(28, 28))
    assert images.shape == (1, 28, 28, 3) and images.dtype == np.uint8
    assert np.all(images == 200) and labels == [str(tmp_path / "g.png")]


def test_local_mode_reads_class_names_from_metadata(client, exported, image_files, capsys):
    paths, images = image_files
    assert client.main(["--saved_model", exported[1], *paths]) == 0
    rows = _parse(capsys.readouterr().out)
    assert [r[2] for r in rows] == [CLASS_NAMES[r[1]] for r in rows]
    assert len(rows) == len(images)


@pytest.fixture
def grpc_prediction_service(served):
    """A gRPC PredictionService on 127.0.0.1 (tensorflow-serving-api's own stubs) that answers
    Predict from the exported version's signatures, as tensorflow_model_server does."""
    from concurrent import futures

    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    class Service(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            fn = served._loaded.signatures[request.model_spec.signature_name or "serving_default"]
            inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
            reply = predict_pb2.PredictResponse()
            for name, value in fn(**inputs).items():
                reply.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
            return reply

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Service(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0)


def test_grpc_pixels_and_bytes_with_an_undecodable_file(
    client, served, image_files, grpc_prediction_service, tmp_path, capsys
):
    """--grpc sends uint8 pixels to serving_default and, with --bytes, the files as they are to
    predict_bytes; a file that is not an image is answered `undecodable`, the others classified."""
    paths, images = image_files
    ids = served(images)["class_ids"].tolist()
    target = ["--grpc", grpc_prediction_service, "--model_name", "stand_in"]
    assert client.main([*target, *paths]) == 0
    assert [r[1] for r in _parse(capsys.readouterr().out)] == ids
    pngs = [p for p in paths if p.endswith(".png")]
    junk = tmp_path / "notes.png"
    junk.write_text("not an image")
    assert client.main([*target, "--bytes", pngs[0], str(junk), pngs[1]]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[1] for line in lines] == [str(ids[0]), "-1", str(ids[1])]
    assert lines[1].split("\t")[2] == "undecodable"


def test_predict_url_normalisation(client):
    base = "http://h:8501/v1/models/m"
    assert client.predict_url(base) == base + ":predict"
    assert client.predict_url(base + "/versions/3:predict") == base + "/versions/3:predict"
    with pytest.raises(ValueError, match="predict"):
        client.predict_url(base + ":classify")
    with pytest.raises(ValueError, match="v1/models"):
        client.predict_url("h:8501")


class _Hostile(BaseHTTPRequestHandler):
    """A server that redirects, or answers a huge body, or a class id out of range."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers["Content-Length"]))
        mode = self.server.mode
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "huge":
            body = b'{"outputs": {"x": [' + b"0," * 600_000 + b"0]}}"
        else:  # class id 7 with 3 probabilities
            body = json.dumps(
                {"outputs": {"class_ids": [7], "probabilities": [[0.2, 0.3, 0.5]]}}
            ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def hostile_server(fake_tf_serving):
    return lambda mode: fake_tf_serving({}, handler=_Hostile, mode=mode) + "/v1/models/m:predict"


def test_a_redirect_is_refused_not_followed(client, hostile_server):
    with pytest.raises(RuntimeError, match="HTTP 302 .*refusing to follow a redirect"):
        client.predict_rest(hostile_server("redirect"), {"instances": []}, timeout=10)


def test_an_oversized_reply_is_refused(client, hostile_server):
    with pytest.raises(RuntimeError, match="exceeds 1000000 bytes; refused"):
        client.predict_rest(
            hostile_server("huge"), {"instances": []}, timeout=10, max_reply_bytes=1_000_000
        )


def test_a_class_id_out_of_range_is_an_error(client, hostile_server):
    outputs = client.predict_rest(hostile_server("bad_id"), {"instances": []}, timeout=10)
    with pytest.raises(ValueError, match=r"class id 7 for a.png; allowed: 0..2"):
        client.format_lines(["a.png"], outputs, None)


def test_bytes_mode_sends_the_files_as_they_are(client, served, tmp_path, fake_tf_serving, capsys):
    """--bytes: base64 PNGs to predict_bytes (decoded and resized by the model), over REST and
    locally; the answers are those of serving_default on the decoded pixels."""
    images = random_images(3, seed=5)
    paths = []
    for k, image in enumerate(images):
        paths.append(str(tmp_path / f"{k}.png"))
        Image.fromarray(image[:, :, 0], mode="L").save(paths[-1])
    want = served(images)
    url = fake_tf_serving({"stand_in": served}) + "/v1/models/stand_in"
    for where in (["--url", url], ["--saved_model", served.path]):
        assert client.main(["--bytes", *where, *paths]) == 0
        rows = _parse(capsys.readouterr().out)
        assert [r[1] for r in rows] == want["class_ids"].tolist()
        assert [r[2] for r in rows] == [CLASS_NAMES[c] for c in want["class_ids"]]
        top = want["probabilities"][np.arange(3), want["class_ids"]]
        np.testing.assert_allclose([r[3] for r in rows], top, atol=1e-4)
    body = client.build_bytes_request([b"\x89PNG"])
    assert body == {
        "signature_name": "predict_bytes",
        "instances": [{"image_bytes": {"b64": "iVBORw=="}}],
    }


@pytest.mark.skipif(
    shutil.which("tensorflow_model_server") is None,
    reason="tensorflow_model_server is not on PATH (no TF Serving binary can be installed here)",
)
def test_a_real_tf_serving_answers_like_the_loaded_model(
    client, exported, served, tmp_path, capsys
):
    """Where TF Serving is installed: the exported base served for real, both signatures."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = os.path.dirname(exported[1])
    server = subprocess.Popen(
        ["tensorflow_model_server", f"--rest_api_port={port}", "--port=0",
         "--model_name=stand_in", f"--model_base_path={base}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/v1/models/stand_in"
        for _ in range(300):
            try:
                client.predict_rest(url + ":predict", client.build_request(random_images(1)))
                break
            except (OSError, RuntimeError):
                time.sleep(0.1)
        images = random_images(2, seed=9)
        paths = []
        for k, image in enumerate(images):
            paths.append(str(tmp_path / f"{k}.png"))
            Image.fromarray(image[:, :, 0], mode="L").save(paths[-1])
        for extra in ([], ["--bytes"]):
            assert client.main([*extra, "--url", url, *paths]) == 0
            rows = _parse(capsys.readouterr().out)
            assert [r[1] for r in rows] == served(images)["class_ids"].tolist()
            assert [r[2] for r in rows] == [CLASS_NAMES[r[1]] for r in rows]
    finally:
        server.kill()
        server.wait()
