"""The oracle: the only holder of true labels on the pool (Algorithm 1, line 13: LABEL(S))."""

from __future__ import annotations

import gin
import numpy as np

from tfal.data.sources import Dataset


class LabelsPending(Exception):
    """Queries were written for people to label; the campaign stops and resumes when they are answered."""


@gin.configurable(module="tfal.data", denylist=["dataset", "run_dir"])
class SimulatedOracle:
    """Answers queries with the dataset's true labels (the benchmark setting of the paper); the
    interface every oracle has is `tfal.oracles.Oracle`."""

    shows_guesses = False

    def __init__(self, dataset: Dataset, run_dir: str | None = None):
        del run_dir  # nothing to write: answers come at once
        if dataset.y_pool is None:
            raise ValueError(
                f"dataset {dataset.name!r} has an unlabeled pool: a simulated oracle needs true labels; "
                "use the human oracle (ActiveLearningLoop.oracle_fn = @tfal.data.HumanOracle)"
            )
        self._labels = dataset.y_pool
        self.num_classes = dataset.num_classes

    def label(self, indices: np.ndarray, cycle: int, probs: np.ndarray | None = None) -> np.ndarray:
        """True labels int64 [len(indices)] of the queried pool indices."""
        del cycle, probs  # a simulated oracle answers at once
        return self._labels[np.asarray(indices, dtype=np.int64)]

    def initial_labeled_set(self, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
        """A balanced L0: `labels_per_class` random pool indices of every class (section 6.1)."""
        picked = []
        for c in range(self.num_classes):
            members = np.flatnonzero(self._labels == c)
            if len(members) < labels_per_class:
                raise ValueError(
                    f"class {c} has {len(members)} pool examples, fewer than labels_per_class={labels_per_class}"
                )
            picked.append(rng.choice(members, labels_per_class, replace=False))
        return np.sort(np.concatenate(picked)).astype(np.int64)

    def edited_answers(self, labeled_idx, labels) -> list[str]:
        del labeled_idx, labels  # true labels never change
        return []

    def true_labels_for_diagnostics(self) -> np.ndarray | None:
        """All pool labels, for oracle/ diagnostics computed by the loop (never fed to LP or acquisition)."""
        return self._labels
