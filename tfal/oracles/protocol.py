"""What an oracle is: the one holder of labels the loop asks (Algorithm 1, line 13: LABEL(S)).

Every oracle (`SimulatedOracle`, `HumanOracle`, `TaughtOracle`, a user's own) has this interface;
`ActiveLearningLoop.oracle_fn(dataset, run_dir=...)` builds one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Oracle(Protocol):
    """Attributes and methods the loop uses.

    `shows_guesses`: whether `label` looks at the model's probabilities (shown to people), so the
    loop extracts the pool for them even when the strategy does not need it.
    """

    shows_guesses: bool

    def label(self, indices: np.ndarray, cycle: int, probs: np.ndarray | None = None) -> np.ndarray:
        """int64 labels of the pool indices, or raises `LabelsPending` until people answer."""

    def initial_labeled_set(self, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
        """L0: sorted int64 pool indices to ask first."""

    def true_labels_for_diagnostics(self) -> np.ndarray | None:
        """All pool labels for oracle/ diagnostics (a simulated oracle), else None."""


def uniform_initial_set(
    pool_size: int, num_classes: int, labels_per_class: int, rng: np.random.Generator
) -> np.ndarray:
    """L0 without labels: `labels_per_class * num_classes` uniformly random pool indices, sorted.

    Nobody knows the pool's classes yet, so L0 is not balanced: a rare class may get no label at
    first (the paper's benchmarks draw a balanced L0 from the true labels).
    """
    size = labels_per_class * num_classes
    if not 0 < size <= pool_size:
        raise ValueError(
            f"labels_per_class={labels_per_class} x {num_classes} classes = {size} "
            f"initial labels; allowed 1..{pool_size} (the pool size)"
        )
    return np.sort(rng.choice(pool_size, size, replace=False)).astype(np.int64)
