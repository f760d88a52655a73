"""What an oracle is: the one holder of labels the loop asks (Algorithm 1, line 13: LABEL(S)).

Every oracle (`SimulatedOracle`, `HumanOracle`, `TaughtOracle`, a user's own) has this interface;
`ActiveLearningLoop.oracle_fn(dataset, run_dir=...)` builds one, and `conform` checks it once and
gives a user's object the optional parts it leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Oracle(Protocol):
    """Attributes and methods the loop uses.

    `shows_guesses`: whether `label` looks at the model's probabilities (shown to people), so the
    loop extracts the pool for them even when the strategy does not need it.
    `edited_answers`: answers people changed after their labels were taken (reported, never
    applied: a taken label stays bound to its image).
    """

    shows_guesses: bool

    def edited_answers(self, labeled_idx: Sequence[int], labels: Sequence[int]) -> list[str]:
        """One message per answer changed since its label was taken (none for most oracles)."""

    def label(self, indices: np.ndarray, cycle: int, probs: np.ndarray | None = None) -> np.ndarray:
        """int64 labels of the pool indices, or raises `LabelsPending` until people answer."""

    def initial_labeled_set(self, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
        """L0: sorted int64 pool indices to ask first."""

    def true_labels_for_diagnostics(self) -> np.ndarray | None:
        """All pool labels for oracle/ diagnostics (a simulated oracle), else None."""


REQUIRED = ("label", "initial_labeled_set", "true_labels_for_diagnostics")


class _Completed:
    """A user's oracle with the protocol's optional parts it does not have: it shows guesses
    (so they are computed for it) and reports no edited answers."""

    def __init__(self, oracle: object):
        self._oracle = oracle
        self.shows_guesses = bool(getattr(oracle, "shows_guesses", True))

    def __getattr__(self, name: str):
        return getattr(self._oracle, name)

    def edited_answers(self, labeled_idx: Sequence[int], labels: Sequence[int]) -> list[str]:
        found = getattr(self._oracle, "edited_answers", None)
        return found(labeled_idx, labels) if found else []


def conform(oracle: object) -> Oracle:
    """The oracle as the loop uses it: refused in one line if a required method is missing."""
    missing = [name for name in REQUIRED if not callable(getattr(oracle, name, None))]
    if missing:
        raise ValueError(
            f"oracle {type(oracle).__name__} has no {', '.join(missing)}; an oracle needs "
            f"{', '.join(REQUIRED)} (tfal.oracles.Oracle)"
        )
    return oracle if isinstance(oracle, Oracle) else _Completed(oracle)


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
