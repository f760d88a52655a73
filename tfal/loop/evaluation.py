"""What a cycle's model scores on the test split: accuracy, loss and per-class accuracy, all from
the one pass of predictions the evaluation makes (results.jsonl's cycle row, TensorBoard's
`cycle/*` and `test_class_accuracy/*`)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A model's results on the test split.

    Attributes:
      accuracy: share of test images whose argmax class is their label.
      loss: mean cross-entropy -log p[label] in nats, p clipped to [1e-7, 1 - 1e-7] as Keras'
        crossentropy on probabilities does (a confidently wrong image costs at most 16.1).
      class_accuracy: per class id, the accuracy on its test images (None: the split has none).
    """

    accuracy: float
    loss: float
    class_accuracy: tuple[float | None, ...]


_EPSILON = 1e-7  # keras.config.epsilon()


def evaluation(probs: np.ndarray, labels: np.ndarray, num_classes: int) -> Evaluation:
    """The Evaluation of probabilities float [n, c] against int labels [n] (n >= 1)."""
    probs, labels = np.asarray(probs), np.asarray(labels, np.int64)
    if probs.ndim != 2 or len(probs) != len(labels) or len(labels) == 0:
        raise ValueError(
            f"probs {probs.shape} and labels {labels.shape}: want [n, c] and [n], n > 0"
        )
    predicted = probs.argmax(axis=1)
    correct = predicted == labels
    p_true = np.clip(
        probs[np.arange(len(labels)), labels].astype(np.float64), _EPSILON, 1 - _EPSILON
    )
    per_class_total = np.bincount(labels, minlength=num_classes)
    per_class_correct = np.bincount(labels[correct], minlength=num_classes)
    return Evaluation(
        accuracy=float(np.mean(correct)),
        loss=float(np.mean(-np.log(p_true))),
        class_accuracy=tuple(
            float(k / n) if n else None
            for k, n in zip(per_class_correct, per_class_total, strict=True)
        ),
    )
