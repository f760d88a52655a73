"""Coupled L2 weight decay, exact under loss scaling and data parallelism.

The authors train with PyTorch's `SGD(weight_decay=wd)`: `wd * v` joins each gradient before
momentum. Two things sit between our gradients and the update and would change that term:
- a `LossScaleOptimizer` (mixed_float16) divides every gradient by its loss scale (2^15 at the
  start), so the term is added pre-scaled by the same factor;
- under a tf.distribute strategy the optimizer sums the replicas' gradients (each replica's loss
  is already divided by the global batch), so each replica adds 1 / replicas of the term.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def add_coupled_l2(
    grads: list[tf.Tensor],
    variables: list[tf.Variable],
    *,
    weight_decay: float,
    optimizer: keras.optimizers.Optimizer,
    num_replicas: int,
) -> list[tf.Tensor]:
    """Returns grads + weight_decay * v, as the optimizer will see them after unscaling and summing.

    Args:
      grads: gradients of `optimizer.scale_loss(loss)` w.r.t. `variables` (one replica's).
      weight_decay: the coupled L2 factor (0 leaves the gradients as they are).
      optimizer: the optimizer that applies them (its `scale_loss` gives the loss scale).
      num_replicas: replicas whose gradients the optimizer sums.
    """
    if not weight_decay:
        return grads
    # scale_loss is the identity for a plain optimizer and multiplies by the current (dynamic)
    # loss scale for a LossScaleOptimizer, which divides the gradients by it again in apply().
    factor = optimizer.scale_loss(tf.constant(weight_decay / num_replicas, tf.float32))
    return [
        g + tf.cast(factor, g.dtype) * tf.cast(v, g.dtype)
        for g, v in zip(grads, variables, strict=True)
    ]
