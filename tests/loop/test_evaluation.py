"""Test-split metrics from one pass of predictions: accuracy, Keras' crossentropy, per class."""

import numpy as np
import pytest

from tfal.loop.evaluation import evaluation


def test_metrics_match_keras_and_the_confusion_matrix():
    import keras

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    labels[labels == 3] = 2  # class 3 has no test image
    probs = rng.dirichlet(np.ones(4), 200).astype(np.float32)
    probs[:5] = np.eye(4, dtype=np.float32)[(labels[:5] + 1) % 4]  # certain and wrong: clipped
    result = evaluation(probs, labels, 4)
    expected = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(labels, probs)
    )
    assert result.loss == pytest.approx(float(np.mean(expected)), rel=1e-5)
    matrix = np.zeros((4, 4), np.int64)
    np.add.at(matrix, (labels, probs.argmax(1)), 1)
    assert result.accuracy == pytest.approx(np.trace(matrix) / 200)
    assert result.class_accuracy[:3] == pytest.approx(
        [matrix[c, c] / matrix[c].sum() for c in range(3)]
    )
    assert result.class_accuracy[3] is None


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="want"):
        evaluation(np.zeros((3, 2)), np.zeros(4, np.int64), 2)
    with pytest.raises(ValueError, match="want"):
        evaluation(np.zeros((0, 2)), np.zeros(0, np.int64), 2)
