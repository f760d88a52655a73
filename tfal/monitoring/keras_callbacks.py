"""A user's Keras callbacks, told of a campaign's training as Keras' `fit` would tell them.

tfal trains with its own compiled loop (`tfal.training.loop`), not `Model.fit`; this calls a
`keras.callbacks.CallbackList` at the events that have a meaning there:

* `on_train_begin` / `on_train_end`: when a run of the campaign starts and when it has run its
  last cycle (or, from Python, when `tfal.Campaign.close()` is called);
* `on_epoch_begin(epoch)` / `on_epoch_end(epoch, logs)`: around each cycle's SUP phase and each SEMI
  epoch, with `epoch` counted over the campaign's run (0, 1, 2, ...) and `logs` = {"loss": the
  phase's mean training loss, "learning_rate": at its end, "cycle": j, "semi": 1.0 for a SEMI
  epoch, 0.0 for SUP}.

Not called: the batch hooks (`on_train_batch_*`: the steps run inside one compiled call),
`on_test_*` and `on_predict_*` (evaluation and extraction are tfal's own), and `model.stop_training`
is not read. So CSVLogger, a TensorBoard callback (epoch scalars), MLflow's or W&B's Keras
callbacks log per epoch; EarlyStopping and ModelCheckpoint do nothing useful here.
"""

from __future__ import annotations

from collections.abc import Sequence


class KerasCallbacks:
    """Dispatches the campaign's training events to `callbacks` (none: does nothing)."""

    def __init__(self, callbacks: Sequence, model):
        self._list = None
        if callbacks:
            import keras

            for callback in callbacks:
                if not isinstance(callback, keras.callbacks.Callback):
                    raise ValueError(
                        f"callbacks must be keras.callbacks.Callback objects, got "
                        f"{type(callback).__name__}"
                    )
            self._list = keras.callbacks.CallbackList(list(callbacks), model=model)
        self._epoch = 0
        self._training = False

    def train_begin(self) -> None:
        if self._list is not None and not self._training:
            self._list.on_train_begin()
        self._training = True

    def train_end(self) -> None:
        if self._list is not None and self._training:
            self._list.on_train_end()
        self._training = False

    def epoch_begin(self) -> None:
        if self._list is not None:
            self._list.on_epoch_begin(self._epoch)

    def epoch_end(self, *, loss: float, learning_rate: float, cycle: int, semi: bool) -> None:
        if self._list is not None:
            logs = {"loss": float(loss), "learning_rate": float(learning_rate),
                    "cycle": cycle, "semi": 1.0 if semi else 0.0}  # fmt: skip
            self._list.on_epoch_end(self._epoch, logs)
        self._epoch += 1
