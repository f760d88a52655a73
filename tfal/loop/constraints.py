"""Constraints between a campaign's parameters and its data, checked before anything is written.

Each parameter's own type and range is checked by gin (`tfal.config_types`); what only the data can
tell (class sizes, pool size) is checked here, in one line naming the parameter.
"""

from __future__ import annotations

import logging

import numpy as np

from tfal.data.sources import Dataset
from tfal.loop.semi import SemiSupervised

# Below this pool size, whitening LP's features was measured to hurt (results/small_pool: 1,000 and
# 2,000 images fail; 60,000 gain); in between nothing was measured.
SMALL_POOL_FOR_WHITENING = 10_000


def check_sizes(
    data: Dataset,
    *,
    labels_per_class: int,
    budget: int,
    semi: SemiSupervised | None,
    sup_epochs: int | None = None,
) -> None:
    """Raises ValueError when L0, the budget or LP's neighbours do not fit the pool, or when a
    campaign without SEMI would not train at all."""
    if sup_epochs == 0 and semi is None:
        raise ValueError(
            f"ActiveLearningLoop.sup_epochs={sup_epochs} must be >= 1 (>= 0 with SEMI)"
        )
    n, c = len(data.x_pool), data.num_classes
    if labels_per_class * c > n:
        raise ValueError(
            f"labels_per_class={labels_per_class} x {c} classes exceeds the pool of {n}"
        )
    if data.y_pool is not None:
        counts = np.bincount(data.y_pool, minlength=c)
        if counts.min() < labels_per_class:
            raise ValueError(
                f"ActiveLearningLoop.labels_per_class={labels_per_class}: class "
                f"{data.class_names[int(counts.argmin())]!r} has only {counts.min()} "
                "examples in the pool"
            )
    if semi is not None and semi.whiten and n < SMALL_POOL_FOR_WHITENING:
        logging.warning(
            "SemiSupervised.whiten = True on a pool of %d images: PCA-whitened LP collapsed SEMI on "
            "pools of 1,000-2,000 MNIST images (results/small_pool); consider "
            "gin_configs/setting/semi_small_pool.gin or SemiSupervised.whiten = False",
            n,
        )
    if semi is not None and semi.k >= n:
        raise ValueError(
            f"SemiSupervised.k={semi.k} neighbours needs a pool of more than {semi.k} "
            f"examples; this pool has {n}"
        )
    if budget >= n - labels_per_class * c:
        raise ValueError(
            f"budget={budget} must be smaller than the unlabeled pool ({n - labels_per_class * c})"
        )
