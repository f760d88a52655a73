"""One real tiny sweep through tfal.main (two seeds), and the report on its run directories."""

import csv
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

SHRINK = [
    "--gin_bindings=tfds_dataset.pool_size = 600",
    "--gin_bindings=tfds_dataset.test_size = 500",
    "--gin_bindings=ActiveLearningLoop.num_cycles = 2",
    "--gin_bindings=ActiveLearningLoop.sup_epochs = 30",
    "--gin_bindings=small_cnn.widths = (4, 8, 8)",
]


def _cycle_accuracies(run_dir):
    with open(os.path.join(run_dir, "results.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return {r["cycle"]: r["test_accuracy"] for r in rows if r["stage"] == "cycle"}


def test_real_tiny_sweep_and_its_report(tmp_path, request, tfds_data_dir):
    root = tmp_path / "sweep"
    command = [
        sys.executable,
        "-m",
        "tfal.sweep",
        "--gin_file=gin_configs/testing/tiny.gin",
        "--seeds",
        "0",
        "1",
        "--strategies",
        "random",
        "--settings",
        "baseline",
        f"--root={root}",
        "--report",
        *SHRINK,
    ]
    proc = subprocess.run(
        command, cwd=request.config.rootpath, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dirs = sorted(str(root / d) for d in os.listdir(root) if d.endswith(("seed0", "seed1")))
    assert len(run_dirs) == 2
    runs = [_cycle_accuracies(d) for d in run_dirs]
    assert all(sorted(r) == [0, 1] for r in runs)
    # Seeds vary the labels, the network and every draw: two seeds never train the same model.
    assert runs[0] != runs[1]
    with open(root / "report" / "results.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["cycle"]) for r in rows] == [0, 1]
    for row in rows:
        cycle = int(row["cycle"])
        values = [100 * r[cycle] for r in runs]
        assert row["n"] == "2" and row["seeds"] == "0;1"
        assert abs(float(row["mean"]) - sum(values) / 2) < 1e-3
        assert float(row["mean"]) > 10.0  # above chance on real MNIST
