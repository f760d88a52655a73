"""Shared test set-up: CPU only, Keras on TensorFlow, a clean gin config per test."""

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_SHARED_TFDS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "tensorflow_datasets"
if "TFDS_DATA_DIR" not in os.environ and _SHARED_TFDS.is_dir():
    os.environ["TFDS_DATA_DIR"] = str(_SHARED_TFDS)

import gin  # noqa: E402
import pytest  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clear_gin():
    """Each test starts and ends with an empty gin config."""
    gin.clear_config()
    yield
    gin.clear_config()


@pytest.fixture
def repo_root() -> pathlib.Path:
    return REPO_ROOT


@pytest.fixture
def tfds_data_dir() -> str:
    path = os.environ.get("TFDS_DATA_DIR")
    if not path or not os.path.isdir(os.path.join(path, "mnist")):
        pytest.skip(
            "real MNIST not found: set TFDS_DATA_DIR to a TFDS data_dir holding mnist/3.0.1"
        )
    return path
