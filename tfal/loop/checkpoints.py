"""Checkpoints inside a cycle: after SUP and after every SEMI epoch, so a long cycle resumes mid-way.

`checkpoints/cycle-<j>/epochs_done-<N>.*` is a `tf.train` checkpoint of the trainer's whole state
(model incl. dropout seeds, optimizer, schedule; `Trainer.checkpoint_objects`): "N" means SUP and N
SEMI epochs of cycle j are finished. Removed once the cycle is recorded in state.json.

With `SemiSupervised.warm_epochs`, `checkpoints/final-<j>.npz` holds cycle j's final weights, the
start of cycle j + 1, until cycle j + 1 is recorded.
"""

from __future__ import annotations

import os
import shutil

import numpy as np

from tfal import run_dir as run_dir_layout
from tfal.atomic import savez_atomically
from tfal.training import Trainer
from tfal.training.checkpoints import CheckpointDirectory


class CycleCheckpoints:
    """Saves and restores the trainer within one cycle."""

    def __init__(self, run_dir: str, *, within_cycles: bool = True):
        self.directory = run_dir_layout.path(run_dir, run_dir_layout.CHECKPOINTS)
        self.within_cycles = within_cycles  # False: a killed cycle is redone from its start
        os.makedirs(self.directory, exist_ok=True)

    def path(self, cycle: int) -> str:
        return os.path.join(self.directory, f"cycle-{cycle}")

    def _of(self, trainer: Trainer, cycle: int) -> CheckpointDirectory:
        return CheckpointDirectory(self.path(cycle), "epochs_done", trainer.checkpoint_objects())

    def save(self, trainer: Trainer, *, cycle: int, epochs_done: int) -> None:
        if self.within_cycles:
            self._of(trainer, cycle).save(epochs_done)

    def restore(self, trainer: Trainer, *, cycle: int) -> int | None:
        """Loads cycle j's checkpoint into the trainer; returns its epochs_done, or None if there is none."""
        return self._of(trainer, cycle).restore()

    def final_path(self, cycle: int) -> str:
        return os.path.join(self.directory, f"final-{cycle}.npz")

    def save_final(self, weights: list[np.ndarray], *, cycle: int) -> None:
        """Keeps cycle j's final weights (`model.get_weights()`) for a warm-started cycle j + 1."""
        savez_atomically(self.final_path(cycle), {f"w{i}": w for i, w in enumerate(weights)})

    def start_of(self, cycle: int, theta0, *, warm: bool) -> list[np.ndarray] | None:
        """Where cycle j's training starts: theta_0, or warm, cycle j - 1's final model."""
        return self.final_weights(cycle - 1) if warm else theta0

    def final_weights(self, cycle: int) -> list[np.ndarray]:
        """Cycle j's final weights as `save_final` kept them."""
        path = self.final_path(cycle)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"{path} is missing: cycle {cycle + 1} starts from cycle {cycle}'s final model "
                "(SemiSupervised.warm_epochs), which this run directory no longer holds"
            )
        with np.load(path) as arrays:
            return [arrays[f"w{i}"] for i in range(len(arrays.files))]

    def remove(self, cycle: int) -> None:
        """Drops what cycle j no longer needs once it is recorded (its own and cycle j - 1's final)."""
        shutil.rmtree(self.path(cycle), ignore_errors=True)
        if os.path.exists(self.final_path(cycle - 1)):
            os.unlink(self.final_path(cycle - 1))
        legacy = self.path(cycle) + ".npz"  # an earlier tfal's checkpoint: never read, redone
        if os.path.exists(legacy):
            os.unlink(legacy)
