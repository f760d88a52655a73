"""tf.train checkpoints of named TF objects: one directory per checkpointed thing, the latest kept.

Used by the cycle (`tfal.loop.checkpoints`) and by PRE (`tfal.pretrain.checkpoints`). The files are
TensorFlow's own (`<name>-<N>.index`, `<name>-<N>.data-*`, and the `checkpoint` state file), so
`tf.train.list_variables(directory)` or `tf.train.load_checkpoint` read them by name (for example
`model/_operations/3/kernel/...`). N is what the caller counts (finished epochs).

TensorFlow writes the data first and then replaces the state file that points at it, so a killed
process leaves the previous checkpoint intact; the files are then flushed to disk (fsync), like the
run directory's other files.
"""

from __future__ import annotations

import os
import re

import tensorflow as tf

from tfal.atomic import fsync_directory

_NUMBER = re.compile(r"-(\d+)$")


def latest(directory: str) -> str | None:
    """The path prefix of the latest tf.train checkpoint in `directory`, or None (none, or no
    such directory)."""
    return tf.train.latest_checkpoint(directory) if os.path.isdir(directory) else None


class CheckpointDirectory:
    """The latest checkpoint of a fixed set of named objects in one directory."""

    def __init__(self, directory: str, name: str, objects: dict[str, object]):
        self.directory = directory
        self._checkpoint = tf.train.Checkpoint(**objects)
        self._name = name

    def _manager(self) -> tf.train.CheckpointManager:
        return tf.train.CheckpointManager(
            self._checkpoint, self.directory, max_to_keep=1, checkpoint_name=self._name
        )

    def latest(self) -> str | None:
        """The latest checkpoint's path prefix, or None when the directory holds none."""
        return latest(self.directory)

    def save(self, number: int) -> str:
        """Writes `<name>-<number>`, deletes the older one, flushes to disk; returns its prefix."""
        os.makedirs(self.directory, exist_ok=True)
        prefix = self._manager().save(checkpoint_number=int(number))
        for entry in os.scandir(self.directory):
            if entry.is_file():
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsync_directory(self.directory)
        return prefix

    def restore(self) -> int | None:
        """Loads the latest checkpoint into the objects; returns its number, or None if none.

        Raises:
          ValueError: one line naming the checkpoint, when it does not fit the objects (another
            model, dataset or optimizer).
        """
        prefix = self.latest()
        if prefix is None:
            return None
        try:
            self._checkpoint.restore(prefix).assert_consumed()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(
                f"checkpoint {prefix!r} does not fit this campaign's model: {first}"
            ) from e
        match = _NUMBER.search(prefix)
        if match is None:
            raise ValueError(f"checkpoint {prefix!r}: expected a name ending in -<number>")
        return int(match.group(1))
