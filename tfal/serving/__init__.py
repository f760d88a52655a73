"""SavedModel export for TF Serving and local reloading (see `export/README.md` to serve)."""

from tfal.serving.export import export_model
from tfal.serving.inference import ServedModel, load_for_inference
from tfal.serving.signatures import (
    CLASS_NAMES_ASSET,
    INPUT_NAME,
    METADATA_SIGNATURE,
    OUTPUT_NAMES,
    SERVING_SIGNATURE,
)

__all__ = [
    "CLASS_NAMES_ASSET",
    "INPUT_NAME",
    "METADATA_SIGNATURE",
    "OUTPUT_NAMES",
    "SERVING_SIGNATURE",
    "ServedModel",
    "export_model",
    "load_for_inference",
]
