"""What a tfal model is, checked when it is built, and any Keras classifier made into one.

A tfal model maps normalised float32 images [B, H, W, C] to {"embedding": [B, d], "logits":
[B, c]}: the embedding is what LP, CoreSet and jLP work on (section 3), the logits what the
cross-entropy trains and the softmax serves. `check_outputs` calls a new model once on two blank
images, so a model of another shape is refused in one line when the campaign is built, not inside
training after the run directory was written. `from_keras` wraps a plain classifier (one output)
given the name of its embedding layer.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

EXPECTED = "a dict with 'embedding' [batch, d] and 'logits' [batch, num_classes]"


def check_outputs(model: keras.Model, *, num_classes: int, input_shape: tuple[int, ...]) -> None:
    """Raises ValueError (one line, what was expected and what came) unless `model` is a tfal model."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"the model factory returned {type(model).__name__}, not a keras.Model")
    try:
        out = model(np.zeros((2, *input_shape), np.float32), training=False)
    except Exception as e:  # noqa: BLE001  any failure of the user's model is reported, not hidden
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(
            f"model {model.name!r} cannot take images of shape {tuple(input_shape)} (the data's): {text}"
        ) from e
    if not isinstance(out, dict) or not {"embedding", "logits"} <= set(out):
        got = f"a dict with keys {sorted(out)}" if isinstance(out, dict) else _shape_of(out)
        raise ValueError(
            f"model {model.name!r} returns {got}; a tfal model returns {EXPECTED}: wrap a classifier "
            "with tfal.models.from_keras(model, embedding_layer=NAME)"
        )
    embedding, logits = out["embedding"], out["logits"]
    if len(embedding.shape) != 2:
        raise ValueError(
            f"model {model.name!r}: 'embedding' has shape {tuple(embedding.shape)}; expected "
            "[batch, d] (pool or flatten it, e.g. GlobalAveragePooling2D)"
        )
    if tuple(logits.shape) != (2, num_classes):
        raise ValueError(
            f"model {model.name!r}: 'logits' has shape {tuple(logits.shape)} for 2 images; expected "
            f"(2, {num_classes}), one score per class of the data"
        )


def from_keras(model: keras.Model, *, embedding_layer: str | None = None) -> keras.Model:
    """A tfal model from a Keras classifier with one output of class scores.

    Args:
        model: a functional or Sequential keras.Model (built: its inputs are known) whose output
            is [batch, num_classes]; a final softmax is taken off (set to linear), since tfal
            trains on logits and serves the softmax itself. The model is trained in place.
        embedding_layer: the layer whose output is the embedding [batch, d]; default the input of
            the last layer (the penultimate features).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"expected a keras.Model, got {type(model).__name__}")
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ValueError(
            f"model {model.name!r} has no symbolic inputs (a subclassed or unbuilt model): build it "
            "with keras.Input, or return {'embedding', 'logits'} from its call()"
        )
    if len(outputs) != 1:
        raise ValueError(f"model {model.name!r} has {len(outputs)} outputs; expected one of class scores")
    last = model.layers[-1]
    if getattr(last, "activation", None) is keras.activations.softmax:
        last.activation = keras.activations.linear  # tfal's softmax is in its loss and serving
    if embedding_layer is None:
        embedding = last.input
    else:
        names = [layer.name for layer in model.layers]
        if embedding_layer not in names:
            raise ValueError(
                f"model {model.name!r} has no layer {embedding_layer!r}; its layers: {', '.join(names)}"
            )
        embedding = model.get_layer(embedding_layer).output
    inputs = inputs[0] if len(inputs) == 1 else inputs  # the structure the model is called with
    return keras.Model(
        inputs, {"embedding": embedding, "logits": outputs[0]}, name=f"{model.name}_tfal"
    )


def as_tfal_model(model, *, embedding_layer: str | None = None) -> keras.Model:
    """`model` itself when it already returns {"embedding", "logits"}, else
    `from_keras(model, embedding_layer=...)` (which names what a model without symbolic outputs,
    such as a subclassed one, must do)."""
    try:
        output = model.output
    except (AttributeError, ValueError):  # a Sequential not yet called, a subclassed model
        output = None
    return model if isinstance(output, dict) else from_keras(model, embedding_layer=embedding_layer)


def fixed(model: keras.Model) -> Callable[..., keras.Model]:
    """A `Trainer.model_fn` that hands out this one, already built, tfal model.

    The model's own initial weights are theta (the campaign seed does not draw them); the Trainer
    checks its outputs against the data (`check_outputs`).
    """

    def model_fn(num_classes: int, input_shape: tuple[int, ...], seed: int = 0) -> keras.Model:
        del num_classes, input_shape, seed
        return model

    return model_fn


def _shape_of(out) -> str:
    if isinstance(out, list | tuple):
        return f"{len(out)} outputs"
    shape = getattr(out, "shape", None)
    return f"one tensor of shape {tuple(shape)}" if shape is not None else type(out).__name__
