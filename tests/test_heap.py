"""`tfal.heap.release` returns freed heap pages: the resident set falls after a large free that
glibc's malloc keeps (many small blocks below one still in use, so the heap's top cannot shrink);
`tfal.heap.pooled_tensors` gives TensorFlow's CPU tensors its own allocator, and the tfal command
asks for it."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tfal import heap


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024


def test_release_hands_freed_small_blocks_back():
    blocks = [np.ones(2000) for _ in range(25_000)]  # 16 kB each, 400 MB: heap, not mmap
    last = np.ones(2000)  # allocated above them: the heap cannot shrink from the top
    before = _rss_mb()
    del blocks
    kept = _rss_mb()
    if not (heap.few_arenas() and heap.release()):
        pytest.skip("no glibc mallopt and malloc_trim here")
    released = _rss_mb()
    assert kept > before - 100  # malloc kept the freed blocks...
    assert released < kept - 300, (before, kept, released)  # ...and release() returned them
    assert last.sum() == 2000


def test_release_trims_only_in_a_process_whose_arenas_were_capped():
    """Trimming with glibc's default arenas raised a 100,000-image campaign's peak (docs/scale.md):
    a process that never called few_arenas() is left alone."""
    code = "from tfal import heap; print(heap.release(), heap.few_arenas(), heap.release())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    if out.stdout.split()[1] == "False":
        pytest.skip("no glibc mallopt here")
    assert out.stdout.split() == ["False", "True", "True"]


_POOL_PROBE = """
from tfal import heap
asked = heap.pooled_tensors()
import tensorflow as tf
x = tf.ones((512, 512))
try:  # TensorFlow keeps statistics for its own (BFC) allocator only, not for malloc's
    pooled = tf.config.experimental.get_memory_info("CPU:0")["peak"] >= x.numpy().nbytes
except ValueError:
    pooled = False
print(asked, pooled)
"""


@pytest.mark.parametrize("setting, expected", [(None, "True True"), ("false", "False False")])
def test_pooled_tensors_gives_tensorflow_its_own_allocator_unless_the_user_said_no(
    setting, expected
):
    env = {k: v for k, v in os.environ.items() if k != heap.TF_BFC}
    if setting is not None:
        env[heap.TF_BFC] = setting
    out = subprocess.run(
        [sys.executable, "-c", _POOL_PROBE], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == expected.split(), out.stderr[-2000:]


def test_the_tfal_command_asks_for_the_pool_before_anything_else(
    repo_root, tmp_path, monkeypatch, capsys
):
    """Even a refused run has asked: the call comes before TensorFlow's first tensor."""
    from tfal import main as cli

    monkeypatch.delenv(heap.TF_BFC)  # conftest set it; restored after the test
    argv = [
        "tfal", f"--gin_file={repo_root / 'gin_configs/testing/tiny.gin'}",
        "--gin_bindings=ActiveLearningLoop.num_cycles = 0", f"--run_dir={tmp_path / 'run'}",
    ]  # fmt: skip
    try:
        code = cli.main(cli._parse_flags(argv))
    finally:
        cli.FLAGS.unparse_flags()
    assert code == 2, capsys.readouterr().err
    assert os.environ.get(heap.TF_BFC) == "true"
