"""Writes the aggregated accuracies as a long CSV and as markdown tables like the paper's Tables 4-5."""

from __future__ import annotations

import csv
from collections.abc import Sequence

from tfal.report.aggregate import (
    CellStats,
    CurveArea,
    setting_label,
    setting_rank,
    strategy_label,
    strategy_rank,
)
from tfal.report.paper import CITATION
from tfal.report.runs import Run

CSV_COLUMNS = (
    "dataset",
    "setting",
    "strategy",
    "cycle",
    "num_labeled",
    "mean",
    "std",
    "n",
    "seeds",
)


def write_csv(cells: Sequence[CellStats], path: str) -> None:
    """Long format, one row per cell; `mean`/`std` in percent, `seeds` joined by `;`."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for c in cells:
            writer.writerow(
                [
                    c.dataset,
                    c.setting,
                    c.strategy,
                    c.cycle,
                    c.num_labeled,
                    f"{c.mean:.4f}",
                    f"{c.std:.4f}",
                    c.n,
                    ";".join(str(s) for s in c.seeds),
                ]
            )


def markdown(
    cells: Sequence[CellStats],
    runs: Sequence[Run],
    *,
    title: str,
    paper: Sequence[CellStats] = (),
    areas: Sequence[CurveArea] = (),
) -> str:
    """The whole `results.md`: one table per dataset, then the list of runs it was made from."""
    lines = [f"# {title}", ""]
    lines.append(
        "Test accuracy in percent: mean ± standard deviation over the n seeds that reached the "
        "cycle (sample std, 0 for one seed). Unfinished runs count with the cycles they have."
    )
    if paper:
        lines.append(f"Rows marked *(paper)*: {CITATION} (5 seeds each).")
    for dataset in sorted({c.dataset for c in cells} | {p.dataset for p in paper}):
        ours = [c for c in cells if c.dataset == dataset]
        # Published rows only for the strategies that were run, unless none was run on `dataset`.
        strategies = {c.strategy for c in ours}
        published = [
            p for p in paper if p.dataset == dataset and (not ours or p.strategy in strategies)
        ]
        lines += ["", f"## {dataset}", ""] + _dataset_table(ours, published)
    if areas:
        lines += ["", "## Area under the learning curve", ""]
        lines.append(
            "Mean test accuracy (%) over each run's label range (trapezoids over the number of "
            "labels), then mean ± std over the n runs that reached the last cycle."
        )
        lines += [
            "",
            "| dataset | strategy | setting | labels | AULC | n |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for a in areas:
            lines.append(
                f"| {a.dataset} | {strategy_label(a.strategy)} | {setting_label(a.setting)} | "
                f"{a.labels[0]}-{a.labels[1]} | {a.mean:.2f} ± {a.std:.2f} | {a.n} |"
            )
    lines += ["", "## Runs", ""] + _run_table(runs)
    return "\n".join(lines) + "\n"


def _dataset_table(ours: Sequence[CellStats], paper: Sequence[CellStats]) -> list[str]:
    """Rows: a header per cycle, then one row per strategy (ours, then the paper's); columns: settings."""
    settings = sorted({c.setting for c in ours} | {p.setting for p in paper}, key=setting_rank)
    ncol = len(settings) + 1
    lines = [
        "| method | " + " | ".join(setting_label(s) for s in settings) + " |",
        "|" + " --- |" * ncol,
    ]
    for cycle in sorted({c.cycle for c in ours} | {p.cycle for p in paper}):
        at_cycle = [c for c in ours if c.cycle == cycle]
        paper_at_cycle = [p for p in paper if p.cycle == cycle]
        labels = sorted({c.num_labeled for c in at_cycle or paper_at_cycle})
        header = f"**cycle {cycle} · {'/'.join(map(str, labels))} labels**"
        lines.append(f"| {header} |" + " |" * (ncol - 1))
        strategies = {c.strategy for c in at_cycle} | {p.strategy for p in paper_at_cycle}
        for strategy in sorted(strategies, key=strategy_rank):
            mine = {c.setting: c for c in at_cycle if c.strategy == strategy}
            if mine:
                cells = [_format(mine.get(s), with_n=True) for s in settings]
                lines.append(f"| {strategy_label(strategy)} | " + " | ".join(cells) + " |")
            theirs = {p.setting: p for p in paper_at_cycle if p.strategy == strategy}
            if theirs:
                cells = [_format(theirs.get(s), with_n=False) for s in settings]
                lines.append(
                    f"| {strategy_label(strategy)} *(paper)* | " + " | ".join(cells) + " |"
                )
    return lines


def _format(cell: CellStats | None, *, with_n: bool) -> str:
    if cell is None:
        return "–"
    text = f"{cell.mean:.2f}±{cell.std:.2f}"
    return f"{text} (n={cell.n})" if with_n else text


def _run_table(runs: Sequence[Run]) -> list[str]:
    lines = [
        "| run | dataset | setting | strategy | seed | cycles | finished |",
        "|" + " --- |" * 7,
    ]
    for run in runs:
        cycles = f"0–{max(run.cycles)}" if run.cycles else "none"
        if run.cycles and len(run.cycles) != max(run.cycles) + 1:
            cycles = ",".join(map(str, run.cycles))
        lines.append(
            f"| {run.path} | {run.dataset} | {run.setting} | {run.strategy} | {run.seed} | "
            f"{cycles} | {'yes' if run.finished else 'no'} |"
        )
    return lines
