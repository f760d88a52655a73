"""Groups runs by (dataset, setting, strategy) and summarises the test accuracy per cycle.

The paper reports "average accuracy and standard deviation" over 5 initial label sets (Sec. 6.1);
here that is the mean and the sample standard deviation (ddof = 1; 0 for a single seed) over the
seeds that reached the cycle, in percent.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

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


def aggregate(runs: Iterable[Run]) -> list[CellStats]:
    """One `CellStats` per (dataset, setting, strategy, cycle) that at least one run reached.

    Raises:
        ValueError: two runs of one group share a seed, or disagree on the number of labels at a
            cycle (runs of different budgets must not be averaged together).
    """
    groups: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
    for run in runs:
        groups[(run.dataset, run.setting, run.strategy)].append(run)
    cells = []
    for (dataset, setting, strategy), members in groups.items():
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
            accuracy = np.array([100.0 * r.cycles[cycle].test_accuracy for r in reached])
            cells.append(
                CellStats(
                    dataset=dataset,
                    setting=setting,
                    strategy=strategy,
                    cycle=cycle,
                    num_labeled=labels.pop(),
                    mean=float(accuracy.mean()),
                    std=float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
                    n=len(accuracy),
                    seeds=tuple(r.seed for r in reached),
                )
            )
    return sorted(cells, key=cell_order)


def cell_order(cell: CellStats) -> tuple:
    """Sort key: dataset, cycle, strategy (paper order), setting (paper order)."""
    return (cell.dataset, cell.cycle, strategy_rank(cell.strategy), setting_rank(cell.setting))


def setting_rank(setting: str) -> tuple[int, str]:
    known = SETTING_ORDER.index(setting) if setting in SETTING_ORDER else len(SETTING_ORDER)
    return (known, setting)


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
