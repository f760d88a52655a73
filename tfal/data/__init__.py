"""Data: sources (TFDS, image folders, arrays), the oracle, batch sampling and tf.data pipelines."""

from tfal.data.oracle import SimulatedOracle
from tfal.data.sources import Dataset, DatasetNotFoundError, stratified_subset, tfds_dataset

__all__ = ["Dataset", "DatasetNotFoundError", "SimulatedOracle", "stratified_subset", "tfds_dataset"]
