"""Real MNIST comes out of tfal's loader in the same order in every process.

Labels in state.json are bound to pool indices, so a resumed campaign (a new process, perhaps
days later) must see the same image at every index. Two fresh interpreters, with different
PYTHONHASHSEEDs and without this session's cache of decoded splits (tests/conftest.py), each load
MNIST through `tfal.data.sources.tfds_dataset` with a small stratified pool and test subset and
print SHA-256 hashes of x_pool, y_pool, x_test and y_test. The two must agree with each other and
with the hashes below, recorded once from TFDS's mnist/3.0.1: a loader that shuffled, a subset
drawn without its seed, or a changed subset derivation fails here.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

import tfal

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

POOL_SIZE, TEST_SIZE = 300, 100

# Run by a fresh interpreter: argv[1] is the TFDS data dir; prints one JSON line of hashes.
_LOAD_IN_A_NEW_PROCESS = f"""
import hashlib, json, sys
from tfal.data import sources
data = sources.tfds_dataset(
    "mnist", data_dir=sys.argv[1], download=False, pool_size={POOL_SIZE}, test_size={TEST_SIZE}
)
out = {{
    k: hashlib.sha256(getattr(data, k).tobytes()).hexdigest()
    for k in ("x_pool", "y_pool", "x_test", "y_test")
}}
out.update(
    shape=list(data.x_pool.shape), dtype=str(data.x_pool.dtype), y_head=data.y_pool[:10].tolist()
)
print(json.dumps(out))
"""

# Recorded once (TFDS mnist/3.0.1, pool_size=300, test_size=100, subset_seed=0).
RECORDED = {
    "x_pool": "d5b463196d0755c7da53f77738ecfce2d46b3782643896209270d1f9a08819dc",
    "y_pool": "ef4eaf2d089f0770c5fa5c9755fa610d6fe243f04d1c09b7a76c2f2f88102e94",
    "x_test": "dcb7a5dfb86bc715364a069f00c105299eb6b83eac2ebedaa4966e63728d9bcb",
    "y_test": "e063dc145c415aaa57d0f21dff735844410cf8b9ce2f0d1e54d553be707217bd",
    "shape": [POOL_SIZE, 28, 28, 1],
    "dtype": "uint8",
    "y_head": [9, 9, 0, 3, 9, 0, 0, 0, 5, 8],
}


@pytest.fixture(scope="module")
def two_fresh_loads():
    tfds_data_dir = os.environ.get("TFDS_DATA_DIR")  # as conftest's `tfds_data_dir`, per module
    if not tfds_data_dir or not os.path.isdir(os.path.join(tfds_data_dir, "mnist")):
        pytest.skip(
            "real MNIST not found: set TFDS_DATA_DIR to a TFDS data_dir holding mnist/3.0.1"
        )
    root = pathlib.Path(tfal.__file__).resolve().parents[1]  # the tfal under test, not another
    loads = []
    for hash_seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "CUDA_VISIBLE_DEVICES": "-1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_IN_A_NEW_PROCESS, tfds_data_dir],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        loads.append(json.loads(out.strip().splitlines()[-1]))
    return loads


def test_two_fresh_processes_load_the_same_pool_and_test_split(two_fresh_loads):
    first, second = two_fresh_loads
    assert first == second


def test_the_pool_and_test_split_are_the_recorded_ones(two_fresh_loads):
    for load in two_fresh_loads:
        assert load == RECORDED
