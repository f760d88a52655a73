"""TensorBoard event writer for a campaign: scalars, a grid of acquired images, text, hparams.

What the loop logs here (`tfal.loop.logger`; the tags, their groups and step axes are
`tfal.monitoring.tags`, which also holds the description every scalar carries):
* `train/*` (SUP) and `semi/*` (SEMI) training per optimizer step, `semi/*` throughput per epoch;
* `lp/*` label-propagation diagnostics per SEMI epoch (Sec. 4.3, eqs. (9)-(12));
* `cycle/test_accuracy`, `cycle/test_loss`, `test_class_accuracy/<class>` and `time/*` per cycle
  with the NUMBER OF LABELS as step, so curves of runs with different budgets line up like the
  paper's accuracy-vs-labels figures;
* `pretrain/*` per PRE epoch (Sec. 4.2);
* an image grid of each cycle's acquired examples with their oracle labels (Algorithm 1, line 9)
  and a histogram of their classes (`acquired/classes`);
* `lp/confusion`: LP's pseudo-labels against the true classes on U at each cycle's last SEMI
  epoch (simulated oracle), as an image;
* hparams: the campaign's dataset, setting, strategy and seed first, then every gin binding that
  differs from its default, with the test accuracies as metrics; the operative gin config as
  markdown text.

With `logdir=None` every method is a no-op, so callers need no `if` around logging.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api as hp
from tensorboard.plugins.hparams import plugin_data_pb2

from tfal.image_grid import caption_grid
from tfal.monitoring import tags

_MIN_TILE_PX = 64  # tiles are upscaled (nearest) to at least this size so labels stay readable


class TensorBoardWriter:
    """Writes TensorBoard summaries for one run (`RUN_DIR/tensorboard`, say).

    Args:
        logdir: event directory, or None to make every method a no-op.
        max_images: at most this many images go into one grid (a CIFAR-100 cycle acquires 1000).
    """

    def __init__(self, logdir: str | None, *, max_images: int = 100):
        if max_images < 1:
            raise ValueError(f"max_images must be >= 1, got {max_images}")
        self.logdir = logdir
        self.max_images = max_images
        self._writer = tf.summary.create_file_writer(logdir) if logdir is not None else None

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        """One scalar per tag at `step` (e.g. `{"train/loss": 0.3, "train/learning_rate": 0.2}`),
        each with its description (`tfal.monitoring.tags`: an undescribed tag raises ValueError)."""
        if self._writer is None:
            return
        with self._writer.as_default(step=int(step)):
            for tag, value in values.items():
                tf.summary.scalar(tag, float(value), description=tags.description(tag))

    def images(
        self,
        tag: str,
        images: np.ndarray,
        labels: Sequence[int],
        step: int,
        class_names: Sequence[str] | None = None,
    ) -> None:
        """One grid image of `images` with their labels drawn under each tile and in the caption.

        Args:
            tag: summary tag, e.g. `acquired/images`.
            images: uint8 `[n, H, W, C]` with C in {1, 3}; the first `max_images` are drawn.
            labels: n integer class ids (the oracle's labels).
            step: summary step (the loop uses the number of labels).
            class_names: optional names indexed by class id, drawn instead of the ids.
        """
        if self._writer is None or len(images) == 0:
            return
        shown = min(len(images), self.max_images)
        grid = label_grid(images[:shown], labels[:shown], class_names=class_names)
        names = [_label_text(int(y), class_names) for y in labels[:shown]]
        caption = f"{shown} of {len(images)} images, labels: " + ", ".join(names)
        with self._writer.as_default(step=int(step)):
            tf.summary.image(tag, grid[None], max_outputs=1, description=caption)

    def text(self, tag: str, text: str, step: int, description: str | None = None) -> None:
        """A markdown text summary (e.g. the operative gin config at step 0)."""
        if self._writer is None:
            return
        with self._writer.as_default(step=int(step)):
            tf.summary.text(tag, text, description=description)

    def hparams(
        self,
        values: Mapping[str, Any],
        metrics: Sequence[str] = (),
        trial_id: str | None = None,
        *,
        first: Sequence[str] = (),
        descriptions: Mapping[str, str] | None = None,
    ) -> None:
        """Records the run's hyperparameters, and the metrics to show beside them, for the HParams
        dashboard (campaigns compare side by side there).

        Values that are not bool, int, float or str (lists, None, ...) are recorded as strings.
        `metrics`: scalar tags of this run (e.g. `cycle/test_accuracy`); the dashboard shows each
        one's last value. `trial_id`: the row's name (else a hash). `first`: the names listed,
        and ticked, first: TensorBoard sorts hparams marked `differs` before the others (then by
        name) and its HParams dashboard shows the first five until the user ticks more, so these
        are marked. `descriptions`: hparam name -> its description (shown on hover).
        """
        if self._writer is None:
            return
        values = {str(k): _hparam_value(v) for k, v in values.items()}
        unknown = [name for name in first if name not in values]
        if unknown:
            raise ValueError(f"first names hparams {unknown} that are not in values {list(values)}")
        order = [*first, *(k for k in values if k not in first)]
        descriptions = descriptions or {}
        pb = hp.hparams_config_pb(
            hparams=[hp.HParam(k, description=descriptions.get(k)) for k in order],
            metrics=[hp.Metric(tag, description=tags.description(tag)) for tag in metrics],
        )
        (summary,) = pb.value
        data = plugin_data_pb2.HParamsPluginData.FromString(summary.metadata.plugin_data.content)
        for info in data.experiment.hparam_infos:
            info.differs = info.name in first
        summary.metadata.plugin_data.content = data.SerializeToString()
        with self._writer.as_default():
            tf.summary.experimental.write_raw_pb(pb.SerializeToString(), step=0)
            hp.hparams(values, trial_id=trial_id)

    def histogram(
        self, tag: str, values: np.ndarray, step: int, buckets: int, description: str | None = None
    ) -> None:
        """A histogram of `values` (e.g. the class ids acquired in a cycle)."""
        if self._writer is None or len(values) == 0:
            return
        with self._writer.as_default(step=int(step)):
            tf.summary.histogram(
                tag, np.asarray(values, np.float64), buckets=int(buckets), description=description
            )

    def confusion(
        self,
        tag: str,
        matrix: np.ndarray,
        class_names: Sequence[str],
        step: int,
        description: str | None = None,
    ) -> None:
        """A confusion matrix (rows: true class, columns: predicted) as a heat-map image."""
        if self._writer is None:
            return
        image = confusion_image(matrix, class_names)[None]
        with self._writer.as_default(step=int(step)):
            tf.summary.image(tag, image, max_outputs=1, description=description)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def __enter__(self) -> TensorBoardWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def label_grid(
    images: np.ndarray, labels: Sequence[int], *, class_names: Sequence[str] | None = None
) -> np.ndarray:
    """Tiles `images` into a near-square RGB grid with each label written under its tile.

    Args:
        images: uint8 `[n, H, W, C]`, C in {1, 3}, n >= 1.
        labels: n integer class ids.
        class_names: optional names indexed by class id.

    Returns:
        uint8 `[rows * (h + caption + gap) - gap, cols * (w + gap) - gap, 3]` where `h, w` are the
        upscaled tile size (`tfal.image_grid.caption_grid`, 2 px gaps on black).
    """
    captions = [_label_text(int(label), class_names) for label in labels]
    return caption_grid(images, captions, tile=_MIN_TILE_PX)


def confusion_image(matrix: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    """uint8 [H, W, 3]: the row-normalised matrix as a heat map with its counts (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 2.0 + 0.45 * len(class_names)
    figure, axes = plt.subplots(figsize=(size, size), dpi=80)
    axes.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = range(len(class_names))
    axes.set_xticks(ticks, [str(n) for n in class_names], rotation=90)
    axes.set_yticks(ticks, [str(n) for n in class_names])
    axes.set_xlabel("pseudo-label")
    axes.set_ylabel("true class")
    if len(class_names) <= 20:
        for (i, j), count in np.ndenumerate(matrix):
            color = "white" if rates[i, j] > 0.5 else "black"
            axes.text(j, i, str(count), ha="center", va="center", fontsize=7, color=color)
    figure.tight_layout()
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[:, :, :3].copy()
    plt.close(figure)
    return image


def _label_text(label: int, class_names: Sequence[str] | None) -> str:
    if class_names is None:
        return str(label)
    if not 0 <= label < len(class_names):
        raise ValueError(f"label {label} out of range for {len(class_names)} class names")
    return str(class_names[label])


def _hparam_value(value: Any) -> bool | int | float | str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)
