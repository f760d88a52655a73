"""Accuracy against the number of labels, one line per (strategy, setting), like the paper's Fig. 2-4."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers
import matplotlib.pyplot as plt  # noqa: E402

from tfal.report.aggregate import (  # noqa: E402
    CellStats,
    setting_label,
    setting_rank,
    strategy_label,
    strategy_rank,
)

_LINESTYLES = {"baseline": "-", "pre": "-.", "semi": "--", "pre_semi": ":"}


def plot_accuracy(
    cells: Sequence[CellStats], path: str, *, paper: Sequence[CellStats] = ()
) -> None:
    """Writes a PNG with one panel per dataset: mean accuracy (%) vs labels, shaded ± std.

    Paper numbers, when given, are drawn as crosses in the colour of the matching curve, for the
    (strategy, setting) pairs that also have runs.
    """
    datasets = sorted({c.dataset for c in cells})
    if not datasets:
        raise ValueError("no cycle results to plot: none of the runs has finished a cycle")
    cols = min(len(datasets), 2)
    rows = math.ceil(len(datasets) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 4.8 * rows), squeeze=False)
    for ax, dataset in zip(axes.flat, datasets, strict=False):
        _panel(ax, [c for c in cells if c.dataset == dataset], paper, dataset)
    for ax in list(axes.flat)[len(datasets) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _panel(ax, cells: Sequence[CellStats], paper: Sequence[CellStats], dataset: str) -> None:
    keys = sorted(
        {(c.strategy, c.setting) for c in cells},
        key=lambda k: (strategy_rank(k[0]), setting_rank(k[1])),
    )
    colours = plt.get_cmap("tab10" if len(keys) <= 10 else "tab20")
    for i, (strategy, setting) in enumerate(keys):
        line = sorted(
            (c for c in cells if (c.strategy, c.setting) == (strategy, setting)),
            key=lambda c: c.num_labeled,
        )
        x = [c.num_labeled for c in line]
        mean = [c.mean for c in line]
        colour = colours(i % colours.N)
        label = f"{strategy_label(strategy)} / {setting_label(setting)}"
        ax.plot(x, mean, _LINESTYLES.get(setting, "-"), marker="o", color=colour, label=label)
        ax.fill_between(
            x,
            [c.mean - c.std for c in line],
            [c.mean + c.std for c in line],
            color=colour,
            alpha=0.15,
        )
        published = sorted(
            (
                p
                for p in paper
                if (p.dataset, p.strategy, p.setting) == (dataset, strategy, setting)
            ),
            key=lambda p: p.num_labeled,
        )
        if published:
            ax.plot(
                [p.num_labeled for p in published],
                [p.mean for p in published],
                "x",
                color=colour,
                markersize=8,
                label=f"{label} (paper)",
            )
    ax.set_title(dataset)
    ax.set_xlabel("number of labels")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, alpha=0.3)
    # beside the axes, never over the curves
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
