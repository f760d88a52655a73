"""`tfal.heap.release` returns freed heap pages: the resident set falls after a large free that
glibc's malloc keeps (many small blocks below one still in use, so the heap's top cannot shrink)."""

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
    import subprocess
    import sys

    code = "from tfal import heap; print(heap.release(), heap.few_arenas(), heap.release())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    if out.stdout.split()[1] == "False":
        pytest.skip("no glibc mallopt here")
    assert out.stdout.split() == ["False", "True", "True"]
