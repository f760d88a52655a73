"""The report on hand-made run directories: numbers in the CSV, the markdown table, a valid PNG."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from report_helpers import append_row, make_run

from tfal.report import aggregate, load_run, write_report
from tfal.report.__main__ import main as report_main

BASELINE = {0: (0.50, 0.60, 0.70), 1: (0.40, 0.70, 0.80), 2: (0.45, 0.65)}  # seed 2 unfinished
SEMI = {0: (0.70, 0.90, 0.95), 1: (0.72, 0.91, 0.97)}


@pytest.fixture
def runs(tmp_path):
    paths = []
    for seed, accs in BASELINE.items():
        paths.append(
            make_run(tmp_path / "runs", seed=seed, accuracies=accs, finished=len(accs) == 3)
        )
    for seed, accs in SEMI.items():
        paths.append(make_run(tmp_path / "runs", setting="semi", seed=seed, accuracies=accs))
    # A resumed run logged cycle 1 of seed 0 twice; the last row counts.
    append_row(paths[3], {"stage": "cycle", "cycle": 1, "num_labeled": 20, "test_accuracy": 0.93})
    with open(os.path.join(paths[0], "results.jsonl"), "a", encoding="utf-8") as f:
        f.write('{"stage": "cycle", "cyc')  # a torn last line from a killed process
    return paths


def _csv_rows(path):
    with open(path, encoding="utf-8") as f:
        return {(r["setting"], r["strategy"], int(r["cycle"])): r for r in csv.DictReader(f)}


def test_csv_numbers(runs, tmp_path):
    paths = write_report(runs, out_dir=str(tmp_path / "out"))
    rows = _csv_rows(paths["csv"])
    assert len(rows) == 6
    first = rows[("baseline", "random", 0)]
    assert first["dataset"] == "mnist" and first["num_labeled"] == "10"
    assert float(first["mean"]) == pytest.approx(100 * np.mean([0.5, 0.4, 0.45]), abs=1e-3)
    assert float(first["std"]) == pytest.approx(100 * np.std([0.5, 0.4, 0.45], ddof=1), abs=1e-3)
    assert first["n"] == "3" and first["seeds"] == "0;1;2"
    last = rows[("baseline", "random", 2)]  # the unfinished seed 2 never reached cycle 2
    assert last["n"] == "2" and last["seeds"] == "0;1" and last["num_labeled"] == "30"
    assert float(last["mean"]) == pytest.approx(75.0, abs=1e-3)
    resumed = rows[("semi", "random", 1)]
    assert float(resumed["mean"]) == pytest.approx(100 * np.mean([0.93, 0.91]), abs=1e-3)


def test_markdown_table_and_png(runs, tmp_path):
    ceal = make_run(tmp_path / "runs", strategy="ceal", accuracies=(0.5, 0.6, 0.65, 0.7))
    paths = write_report(
        [*runs, ceal], out_dir=str(tmp_path / "out"), title="MNIST check", paper="mnist"
    )
    with open(paths["md"], encoding="utf-8") as f:
        md = f.read()
    assert md.startswith("# MNIST check\n")
    assert "| method | baseline | SEMI |" in md
    assert "| **cycle 2 · 30 labels** |" in md
    assert "| Random | 75.00±7.07 (n=2) | 96.00±1.41 (n=2) |" in md
    assert "| Random *(paper)* | 67.31±5.19 | 91.86±3.89 |" in md
    assert "| CEAL | 65.00±0.00 (n=1) | – |" in md
    assert "| CEAL *(paper)* | 56.62±7.05 | – |" in md
    assert "jLP *(paper)*" not in md  # published rows only for the strategies that were run
    assert "| **cycle 3 · 40 labels** |" in md and "| CEAL | 70.00±0.00 (n=1) | – |" in md
    assert "Siméoni et al., ICPR 2020, Table 5" in md
    assert f"| {runs[2]} | mnist | baseline | random | 2 | 0–1 | no |" in md
    with open(paths["png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with Image.open(paths["png"]) as image:
        image.verify()
        assert image.size[0] > 100 and image.size[1] > 100


def test_cli_rejects_a_path_that_is_not_a_run(runs, tmp_path, capsys):
    not_a_run = tmp_path / "empty"
    not_a_run.mkdir()
    assert report_main([*runs, str(not_a_run), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: not a run directory (no state.json): {not_a_run}\n"
    assert not (tmp_path / "out").exists()


def test_cli_as_module(runs, tmp_path):
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, "-m", "tfal.report", *runs, "--out", str(out), "--title", "t"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == ["accuracy_vs_labels.png", "results.csv", "results.md"]


def test_runs_that_must_not_be_averaged_raise(tmp_path):
    a = load_run(make_run(tmp_path, seed=0))
    b = load_run(make_run(tmp_path, seed=0, name="copy"))
    with pytest.raises(ValueError, match="share a seed"):
        aggregate([a, b])
    c = load_run(make_run(tmp_path, seed=1, budget=100))
    with pytest.raises(ValueError, match=r"\[10, 100\] labels at cycle 0"):
        aggregate([a, c])


def test_a_run_without_cycles_is_listed_but_adds_nothing(runs, tmp_path):
    empty = make_run(tmp_path / "runs", strategy="jlp", accuracies=(), finished=False)
    paths = write_report([*runs, empty], out_dir=str(tmp_path / "out"))
    assert {key[1] for key in _csv_rows(paths["csv"])} == {"random"}
    with open(paths["md"], encoding="utf-8") as f:
        assert f"| {empty} | mnist | baseline | jlp | 0 | none | no |" in f.read()


def test_an_ablation_is_one_report_grouped_by_a_gin_binding(tmp_path):
    """--group_by SemiSupervised.whiten: runs that differ only there are reported apart, each
    group with its area under the learning curve (trapezoids over the labels, per seed)."""
    curves = {("True", 0): (0.90, 0.95, 0.97), ("True", 1): (0.92, 0.95, 0.99),
              ("False", 0): (0.60, 0.80, 0.90)}  # fmt: skip
    for (whiten, seed), accs in curves.items():
        path = make_run(tmp_path / "runs", setting="semi", seed=seed, accuracies=accs,
                        name=f"w{whiten}-{seed}")  # fmt: skip
        with open(os.path.join(path, "config.gin"), "w") as f:
            f.write(f"ActiveLearningLoop.seed = {seed}\nSemiSupervised.whiten = {whiten}\n")
    dirs = sorted(str(p) for p in (tmp_path / "runs").iterdir())
    out = tmp_path / "report"
    assert report_main([*dirs, "--out", str(out), "--group_by", "SemiSupervised.whiten"]) == 0
    rows = _csv_rows(out / "results.csv")
    assert float(rows[("semi [SemiSupervised.whiten=True]", "random", 2)]["mean"]) == pytest.approx(
        98.0
    )
    assert rows[("semi [SemiSupervised.whiten=False]", "random", 2)]["n"] == "1"
    text = (out / "results.md").read_text()

    def area(accs):  # labels 10, 20, 30
        return 100 * ((accs[0] + accs[1]) / 2 * 10 + (accs[1] + accs[2]) / 2 * 10) / 20

    whitened = [area(curves[("True", 0)]), area(curves[("True", 1)])]
    row = f"| mnist | Random | semi [SemiSupervised.whiten=True] | 10-30 | {np.mean(whitened):.2f} ± {np.std(whitened, ddof=1):.2f} | 2 |"
    assert row in text, text
    assert f"| {area(curves[('False', 0)]):.2f} ± 0.00 | 1 |" in text
    with pytest.raises(ValueError, match="share a seed|seed"):  # without the split: two seed-0 runs
        write_report(dirs, out_dir=str(tmp_path / "mixed"))
