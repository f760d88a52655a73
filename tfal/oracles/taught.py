"""The oracle of a campaign driven from Python: answers come by `tfal.Campaign.teach`."""

from __future__ import annotations

import numpy as np

from tfal.data.sources import Dataset
from tfal.oracles.protocol import uniform_initial_set
from tfal.oracles.simulated import LabelsPending


class TaughtOracle:
    """Never answers by itself: a query waits (`LabelsPending`) until the program teaches it.

    `tfal.Campaign.teach(indices, labels)` writes the answer into the campaign state directly, so
    an answer is never held only in memory. L0 is drawn without labels (`uniform_initial_set`).
    """

    shows_guesses = True  # query() hands the model's guesses with each batch

    def __init__(self, dataset: Dataset, run_dir: str | None = None):
        del run_dir
        self.data = dataset

    def label(self, indices: np.ndarray, cycle: int, probs: np.ndarray | None = None) -> np.ndarray:
        del probs
        what = "the initial labeled set" if cycle < 0 else f"cycle {cycle}'s query"
        raise LabelsPending(
            f"{len(indices)} examples of {what} wait for labels: campaign.query() shows them, "
            "campaign.teach(indices, labels) answers"
        )

    def initial_labeled_set(self, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
        return uniform_initial_set(
            len(self.data.x_pool), self.data.num_classes, labels_per_class, rng
        )

    def edited_answers(self, labeled_idx, labels) -> list[str]:
        del labeled_idx, labels  # teach() refuses a second label for an image
        return []

    def true_labels_for_diagnostics(self) -> None:
        return None
