"""Published numbers to compare against: Siméoni et al., ICPR 2020, Table 5 (MNIST, b = 10).

Accuracy in percent, mean ± standard deviation over 5 initial label sets; one label per class at
cycle 0 and b = 10 labels per cycle, so cycle j has 10 (j + 1) labels. The table's two MNIST
columns are without PRE and SEMI (our `baseline` setting) and with SEMI only (`semi`); the paper
shows cycle 0 for Random only (all strategies share the initial label set), and CEAL is not
combined with SEMI ("–" in the paper).
"""

from __future__ import annotations

from tfal.report.aggregate import CellStats

CITATION = "Siméoni et al., ICPR 2020, Table 5"


# strategy -> per cycle ((baseline mean, std), (semi mean, std) or None)
_MNIST_TABLE5 = {
    "random": [
        ((26.83, 4.15), (70.06, 12.87)),
        ((51.68, 2.72), (90.89, 4.84)),
        ((67.31, 5.19), (91.86, 3.89)),
        ((71.05, 1.66), (93.38, 3.99)),
        ((76.81, 2.19), (95.20, 3.61)),
    ],
    "uncertainty": [
        None,
        ((53.18, 5.88), (76.12, 11.07)),
        ((63.55, 2.67), (80.05, 13.29)),
        ((67.87, 3.26), (93.03, 4.88)),
        ((72.88, 5.82), (83.42, 5.93)),
    ],
    "coreset": [
        None,
        ((57.94, 7.16), (86.59, 10.98)),
        ((63.66, 3.84), (76.28, 15.38)),
        ((69.79, 3.36), (86.93, 7.62)),
        ((75.76, 3.93), (87.04, 6.44)),
    ],
    "ceal": [
        None,
        ((51.57, 3.18), None),
        ((56.62, 7.05), None),
        ((65.24, 7.43), None),
        ((72.02, 7.96), None),
    ],
    "jlp": [
        None,
        ((48.60, 3.15), (89.16, 5.53)),
        ((62.71, 2.82), (80.23, 4.11)),
        ((65.55, 4.01), (90.75, 5.76)),
        ((73.36, 4.43), (92.37, 5.38)),
    ],
}

PUBLISHED_DATASETS = ("mnist",)  # datasets whose published numbers are transcribed here
PAPER_SEEDS = 5  # Table 5: mean ± std over 5 initial label sets


def paper_cells(dataset: str) -> list[CellStats]:
    """The published cells of `dataset` (only "mnist" is transcribed)."""
    if dataset != "mnist":
        raise ValueError(f"paper numbers are available for {PUBLISHED_DATASETS}, got {dataset!r}")
    cells = []
    for strategy, per_cycle in _MNIST_TABLE5.items():
        for cycle, row in enumerate(per_cycle):
            if row is None:
                continue
            for setting, value in zip(("baseline", "semi"), row, strict=True):
                if value is not None:
                    cells.append(
                        CellStats(
                            dataset="mnist",
                            setting=setting,
                            strategy=strategy,
                            cycle=cycle,
                            num_labeled=10 * (cycle + 1),
                            mean=value[0],
                            std=value[1],
                            n=PAPER_SEEDS,
                            seeds=(),  # the paper does not say which
                        )
                    )
    return cells
