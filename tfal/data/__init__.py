"""Data: sources (TFDS, image folders, arrays), the oracle, batch sampling and tf.data pipelines."""

from tfal.data.folders import image_folder_dataset, npz_dataset
from tfal.data.human_oracle import HumanOracle
from tfal.data.oracle import LabelsPending, SimulatedOracle
from tfal.data.sources import Dataset, DatasetNotFoundError, stratified_subset, tfds_dataset

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "HumanOracle",
    "LabelsPending",
    "SimulatedOracle",
    "image_folder_dataset",
    "npz_dataset",
    "stratified_subset",
    "tfds_dataset",
]
