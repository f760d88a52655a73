"""Checkpoints inside a cycle: after SUP and after every SEMI epoch, so a long cycle resumes mid-way.

`checkpoints/cycle-<j>.npz` holds the trainer's whole state (model incl. dropout seeds, optimizer,
schedule) and `epochs_done`: "N saved" means SUP and N SEMI epochs of cycle j are finished. Written
to a temporary file and renamed; removed once the cycle is recorded in state.json.
"""

from __future__ import annotations

import os

import numpy as np

from tfal.atomic import savez_atomically
from tfal.training import Trainer


class CycleCheckpoints:
    """Saves and restores the trainer within one cycle."""

    def __init__(self, run_dir: str):
        self.directory = os.path.join(run_dir, "checkpoints")
        os.makedirs(self.directory, exist_ok=True)

    def path(self, cycle: int) -> str:
        return os.path.join(self.directory, f"cycle-{cycle}.npz")

    def save(self, trainer: Trainer, *, cycle: int, epochs_done: int) -> None:
        savez_atomically(
            self.path(cycle), dict(epochs_done=np.int64(epochs_done), **trainer.state())
        )

    def restore(self, trainer: Trainer, *, cycle: int) -> int | None:
        """Loads cycle j's checkpoint into the trainer; returns its epochs_done, or None if there is none."""
        path = self.path(cycle)
        if not os.path.exists(path):
            return None
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        trainer.load_state(arrays)
        return int(arrays["epochs_done"])

    def remove(self, cycle: int) -> None:
        if os.path.exists(self.path(cycle)):
            os.unlink(self.path(cycle))
