"""Learning-rate schedule of section 6.1: cosine annealing [23] that reaches zero at 210 epochs of 200."""

from __future__ import annotations

import math

import tensorflow as tf


def cosine_rampdown(step: tf.Tensor, rampdown_steps: tf.Tensor, base_lr: float) -> tf.Tensor:
    """base_lr * 0.5 * (1 + cos(pi * step / rampdown_steps)), clamped at zero after rampdown_steps.

    `rampdown_steps` is longer than the phase (210 vs 200 epochs), so the rate never quite hits zero
    while training, as in the authors' code.
    """
    t = tf.minimum(tf.cast(step, tf.float32) / tf.cast(rampdown_steps, tf.float32), 1.0)
    return base_lr * 0.5 * (1.0 + tf.cos(math.pi * t))
