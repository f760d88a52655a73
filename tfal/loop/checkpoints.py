"""Checkpoints inside a cycle: after SUP and after every SEMI epoch, so a long cycle resumes mid-way.

`checkpoints/cycle-<j>/epochs_done-<N>.*` is a `tf.train` checkpoint of the trainer's whole state
(model incl. dropout seeds, optimizer, schedule; `Trainer.checkpoint_objects`): "N" means SUP and N
SEMI epochs of cycle j are finished. Removed once the cycle is recorded in state.json.
"""

from __future__ import annotations

import os
import shutil

from tfal import run_dir as run_dir_layout
from tfal.training import Trainer
from tfal.training.checkpoints import CheckpointDirectory


class CycleCheckpoints:
    """Saves and restores the trainer within one cycle."""

    def __init__(self, run_dir: str):
        self.directory = run_dir_layout.path(run_dir, run_dir_layout.CHECKPOINTS)
        os.makedirs(self.directory, exist_ok=True)

    def path(self, cycle: int) -> str:
        return os.path.join(self.directory, f"cycle-{cycle}")

    def _of(self, trainer: Trainer, cycle: int) -> CheckpointDirectory:
        return CheckpointDirectory(self.path(cycle), "epochs_done", trainer.checkpoint_objects())

    def save(self, trainer: Trainer, *, cycle: int, epochs_done: int) -> None:
        self._of(trainer, cycle).save(epochs_done)

    def restore(self, trainer: Trainer, *, cycle: int) -> int | None:
        """Loads cycle j's checkpoint into the trainer; returns its epochs_done, or None if there is none."""
        return self._of(trainer, cycle).restore()

    def remove(self, cycle: int) -> None:
        shutil.rmtree(self.path(cycle), ignore_errors=True)
        legacy = self.path(cycle) + ".npz"  # an earlier tfal's checkpoint: never read, redone
        if os.path.exists(legacy):
            os.unlink(legacy)
