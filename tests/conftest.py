"""Shared test set-up: CPU only, Keras on TensorFlow, a clean gin config per test."""

import os
import pathlib
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Decoded TFDS splits (tfal.data.split_cache), shared by the test processes and sessions rather
# than written into the home directory: each campaign subprocess then skips MNIST's decoding.
os.environ.setdefault(
    "TFAL_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"tfal-tests-{os.getuid()}", "cache")
)

_SHARED_TFDS = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "tensorflow_datasets"
if "TFDS_DATA_DIR" not in os.environ and _SHARED_TFDS.is_dir():
    os.environ["TFDS_DATA_DIR"] = str(_SHARED_TFDS)

import gin  # noqa: E402
import pytest  # noqa: E402

from tfal import heap  # noqa: E402  (no TensorFlow import)

# TensorFlow's own CPU allocator, asked for as the tfal command asks (before any tensor): every
# test process and campaign subprocess then runs on the allocator a user's campaign runs on.
heap.pooled_tensors()

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _tfds_splits_read_once():
    """Each TFDS split (real MNIST: 70,000 images) is read from disk once per test session.

    In-process tests load MNIST through `tfds_dataset` many times with different subsets; the
    decoded split is kept and handed out as a fresh copy, so no test sees another's changes.
    """
    from tfal.data import sources

    read = sources._load_split
    cache = {}

    def load_split(builder, split, image_size=None):
        if not os.path.isdir(builder.data_dir):  # tfds.testing.mock_data: generated, not cached
            return read(builder, split, image_size)
        key = (builder.name, str(builder.data_dir), str(builder.version), split, image_size)
        if key not in cache:
            cache[key] = read(builder, split, image_size)
        x, y = cache[key]
        return x.copy(), y.copy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "_load_split", load_split)
        yield


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
