"""Data: sources (TFDS, image folders, arrays), batch sampling and tf.data pipelines (the oracles,
which label the data, are `tfal.oracles`)."""

from tfal.data.arrays import from_arrays, from_tf_data, npz_dataset
from tfal.data.disk_images import DiskImages
from tfal.data.folders import image_folder_dataset
from tfal.data.pool_storage import PoolStorage
from tfal.data.sources import Dataset, DatasetNotFoundError, stratified_subset, tfds_dataset

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "DiskImages",
    "from_arrays",
    "from_tf_data",
    "image_folder_dataset",
    "npz_dataset",
    "PoolStorage",
    "stratified_subset",
    "tfds_dataset",
]
