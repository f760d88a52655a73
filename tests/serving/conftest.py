"""Fixtures for the serving tests: one export of the stand-in model, a fake TF Serving REST server."""

import threading
from http.server import ThreadingHTTPServer

import pytest
from serving_helpers import CLASS_NAMES, IMAGE_SHAPE, MEAN, STD, PredictHandler, make_model


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """(model, version directory) of one export, shared by the serving tests."""
    from tfal.serving import export_model

    model = make_model()
    base = tmp_path_factory.mktemp("export") / "stand_in"
    path = export_model(
        model,
        export_base=str(base),
        version=1,
        image_shape=IMAGE_SHAPE,
        mean=MEAN,
        std=STD,
        class_names=CLASS_NAMES,
    )
    return model, path


@pytest.fixture
def fake_tf_serving():
    """Starts a REST server on 127.0.0.1 (free port); call it with {name: ServedModel}, get base URL.

    `handler` replaces TF Serving's predict API (e.g. a hostile server); keyword `settings` become
    attributes of the server for the handler to read.
    """
    servers = []

    def start(models: dict, *, handler=PredictHandler, **settings) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.models = models
        for name, value in settings.items():
            setattr(server, name, value)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
