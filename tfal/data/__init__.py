"""Data: sources (TFDS, image folders, arrays), batch sampling and tf.data pipelines (the oracles,
which label the data, are `tfal.oracles`)."""

from tfal.data.arrays import from_arrays, from_tf_data, npz_dataset
from tfal.data.folders import image_folder_dataset
from tfal.data.sources import Dataset, DatasetNotFoundError, stratified_subset, tfds_dataset

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "from_arrays",
    "from_tf_data",
    "image_folder_dataset",
    "npz_dataset",
    "stratified_subset",
    "tfds_dataset",
]
