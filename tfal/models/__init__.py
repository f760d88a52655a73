"""Network factories: each returns a keras.Model with outputs {"embedding", "logits"}.

The embedding phi_theta(x) (section 3) is what LP, CoreSet and jLP use; the logits give f_theta(x).
Inputs are float32 images already normalised by `tfal.data.pipeline.normalize`.
"""

from tfal.models.applications import keras_application
from tfal.models.contract import check_outputs, from_keras
from tfal.models.networks import conv_large, small_cnn

__all__ = ["check_outputs", "conv_large", "from_keras", "keras_application", "small_cnn"]
