"""Groups runs by (dataset, setting, strategy) and summarises the test accuracy per cycle.

The paper reports "average accuracy and standard deviation" over 5 initial label sets (Sec. 6.1);
here that is the mean and the sample standard deviation (ddof = 1; 0 for a single seed) over the
seeds that reached the cycle, in percent.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from tfal.report.runs import Run

SETTING_ORDER = ("baseline", "pre", "semi", "pre_semi")
STRATEGY_ORDER = ("random", "uncertainty", "coreset", "ceal", "jlp", "margin", "least_confidence")


@dataclasses.dataclass(frozen=True)
class CellStats:
    """Accuracy of one (dataset, setting, strategy) at one cycle, over seeds, in percent."""

    dataset: str
    setting: str
    strategy: str
    cycle: int
    num_labeled: int
    mean: float
    std: float
    n: int
    seeds: tuple[int, ...]


def grouped_setting(run: Run, group_by: Sequence[str] = ()) -> str:
    """The run's setting, with the values of the `group_by` gin bindings when asked
    (`semi [SemiSupervised.whiten=True]`): runs that differ in them are reported apart."""
    if not group_by:
        return run.setting
    values = ", ".join(f"{key}={run.bindings.get(key, 'default')}" for key in group_by)
    return f"{run.setting} [{values}]"


def aggregate(runs: Iterable[Run], group_by: Sequence[str] = ()) -> list[CellStats]:
    """One `CellStats` per (dataset, setting, strategy, cycle) that at least one run reached.

    `group_by`: gin bindings ("SemiSupervised.whiten") whose values split the settings.

    Raises:
        ValueError: two runs of one group share a seed, or disagree on the number of labels at a
            cycle (runs of different budgets must not be averaged together).
    """
    cells = []
    for (dataset, setting, strategy), members in _groups(runs, group_by).items():
        _check_seeds(members)
        for cycle in sorted({c for run in members for c in run.cycles}):
            reached = sorted((r for r in members if cycle in r.cycles), key=lambda r: r.seed)
            labels = {r.cycles[cycle].num_labeled for r in reached}
            if len(labels) != 1:
                paths = ", ".join(r.path for r in reached)
                raise ValueError(
                    f"runs of {dataset}/{setting}/{strategy} have {sorted(labels)} labels at "
                    f"cycle {cycle} ({paths}); report different budgets separately"
                )
            mean, std = _mean_std([100.0 * r.cycles[cycle].test_accuracy for r in reached])
            cells.append(
                CellStats(
                    dataset=dataset,
                    setting=setting,
                    strategy=strategy,
                    cycle=cycle,
                    num_labeled=labels.pop(),
                    mean=mean,
                    std=std,
                    n=len(reached),
                    seeds=tuple(r.seed for r in reached),
                )
            )
    return sorted(cells, key=cell_order)


def cell_order(cell: CellStats) -> tuple:
    """Sort key: dataset, cycle, strategy (paper order), setting (paper order)."""
    return (cell.dataset, cell.cycle, strategy_rank(cell.strategy), setting_rank(cell.setting))


def setting_rank(setting: str) -> tuple[int, str]:
    base = setting.split(" [")[0]
    known = SETTING_ORDER.index(base) if base in SETTING_ORDER else len(SETTING_ORDER)
    return (known, setting)


@dataclasses.dataclass(frozen=True)
class CurveArea:
    """Area under the learning curve of one group: each seed's mean accuracy (%) over its label
    range (trapezoids over the number of labels, divided by the range), then mean ± std."""

    dataset: str
    setting: str
    strategy: str
    labels: tuple[int, int]
    mean: float
    std: float
    n: int


def learning_curve_areas(runs: Iterable[Run], group_by: Sequence[str] = ()) -> list[CurveArea]:
    """One `CurveArea` per group, over the runs that reached the group's last cycle."""
    areas = []
    curves = [run for run in runs if len(run.cycles) >= 2]
    for (dataset, setting, strategy), members in _groups(curves, group_by).items():
        last = max(max(r.cycles) for r in members)
        complete = [r for r in members if max(r.cycles) == last]
        values = []
        for run in complete:
            points = sorted((c.num_labeled, 100.0 * c.test_accuracy) for c in run.cycles.values())
            x, y = np.array(points).T
            values.append(float(np.trapezoid(y, x) / (x[-1] - x[0])))
        labels = (int(x[0]), int(x[-1]))
        areas.append(CurveArea(dataset, setting, strategy, labels, *_mean_std(values), len(values)))
    return sorted(
        areas, key=lambda a: (a.dataset, strategy_rank(a.strategy), setting_rank(a.setting))
    )


def strategy_rank(strategy: str) -> tuple[int, str]:
    known = STRATEGY_ORDER.index(strategy) if strategy in STRATEGY_ORDER else len(STRATEGY_ORDER)
    return (known, strategy)


def _check_seeds(members: list[Run]) -> None:
    by_seed: dict[int, list[str]] = defaultdict(list)
    for run in members:
        by_seed[run.seed].append(run.path)
    duplicated = {seed: paths for seed, paths in by_seed.items() if len(paths) > 1}
    if duplicated:
        raise ValueError(
            f"several runs of {members[0].dataset}/{members[0].setting}/{members[0].strategy} "
            f"share a seed: {duplicated}; give each configuration's runs to its own report"
        )


_STRATEGY_LABELS = {
    "random": "Random",
    "uncertainty": "Uncertainty",
    "coreset": "CoreSet",
    "ceal": "CEAL",
    "jlp": "jLP",
    "margin": "Margin",
    "least_confidence": "Least confidence",
}
_SETTING_LABELS = {"baseline": "baseline", "pre": "PRE", "semi": "SEMI", "pre_semi": "PRE + SEMI"}


def strategy_label(strategy: str) -> str:
    """Display name as in the paper's tables (e.g. `jlp` -> `jLP`)."""
    return _STRATEGY_LABELS.get(strategy, strategy)


def setting_label(setting: str) -> str:
    """Display name as in the paper's tables (e.g. `pre_semi` -> `PRE + SEMI`)."""
    return _SETTING_LABELS.get(setting, setting)


def _groups(runs: Iterable[Run], group_by: Sequence[str]) -> dict[tuple[str, str, str], list[Run]]:
    """Runs by (dataset, setting with the `group_by` values, strategy): what one row reports."""
    groups: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
    for run in runs:
        groups[(run.dataset, grouped_setting(run, group_by), run.strategy)].append(run)
    return groups


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value) of per-seed numbers."""
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0
