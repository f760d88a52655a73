"""Writes the three report files for a set of run directories."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from tfal.report import paper as paper_numbers
from tfal.report.aggregate import aggregate, learning_curve_areas
from tfal.report.plot import plot_accuracy
from tfal.report.runs import load_run
from tfal.report.tables import markdown, write_csv

logger = logging.getLogger(__name__)

RESULTS_MD = "results.md"
RESULTS_CSV = "results.csv"
PLOT_PNG = "accuracy_vs_labels.png"


def write_report(
    run_dirs: Sequence[str],
    *,
    out_dir: str,
    title: str = "tfal results",
    paper: str | None = None,
    group_by: Sequence[str] = (),
) -> dict[str, str]:
    """Reads every run directory and writes `results.md`, `results.csv`, `accuracy_vs_labels.png`.

    Args:
        run_dirs: run directories (each with `state.json`); unfinished runs count with the cycles
            they have.
        out_dir: where the files go (created if needed).
        title: the markdown heading.
        paper: a dataset whose published numbers (`tfal.report.paper`) are added for comparison.
        group_by: gin bindings (e.g. "SemiSupervised.whiten") whose values split the settings,
            read from each run's config.gin: an ablation is one report.

    Returns:
        `{"md": path, "csv": path, "png": path}`.

    Raises:
        NotARunDirError: a path is not a run directory.
        ValueError: no run has a cycle result, or runs that must not be averaged were mixed.
    """
    if not run_dirs:
        raise ValueError("no run directories given")
    runs = [load_run(path) for path in run_dirs]
    for run in runs:
        if not run.cycles:
            logger.warning(
                "%s has no cycle results yet; it is listed but adds no numbers", run.path
            )
    cells = aggregate(runs, group_by)
    areas = learning_curve_areas(runs, group_by)
    published = paper_numbers.paper_cells(paper) if paper else []
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        "md": os.path.join(out_dir, RESULTS_MD),
        "csv": os.path.join(out_dir, RESULTS_CSV),
        "png": os.path.join(out_dir, PLOT_PNG),
    }
    write_csv(cells, paths["csv"])
    with open(paths["md"], "w", encoding="utf-8") as f:
        f.write(markdown(cells, runs, title=title, paper=published, areas=areas))
    plot_accuracy(cells, paths["png"], paper=published)
    logger.info("wrote %s", ", ".join(paths.values()))
    return paths
