"""Data: sources (TFDS, image folders, arrays), batch sampling and tf.data pipelines (the oracles,
which label the data, are `tfal.oracles`)."""

from tfal.data.arrays import npz_dataset
from tfal.data.folders import image_folder_dataset
from tfal.data.sources import Dataset, DatasetNotFoundError, stratified_subset, tfds_dataset

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "image_folder_dataset",
    "npz_dataset",
    "stratified_subset",
    "tfds_dataset",
]
