import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfal.data import sources


def test_real_mnist_loads_as_uint8_with_stable_indices(tfds_data_dir):
    ds = sources.tfds_dataset("mnist", data_dir=tfds_data_dir, download=False)
    assert ds.x_pool.shape == (60000, 28, 28, 1) and ds.x_pool.dtype == np.uint8
    assert ds.x_test.shape == (10000, 28, 28, 1)
    assert ds.num_classes == 10 and ds.class_names[3] == "3"
    again = sources.tfds_dataset("mnist", data_dir=tfds_data_dir, download=False)
    np.testing.assert_array_equal(ds.y_pool[:500], again.y_pool[:500])  # same order every time


def test_pool_subset_is_stratified_and_seeded(tfds_data_dir):
    ds = sources.tfds_dataset(
        "mnist", data_dir=tfds_data_dir, download=False, pool_size=1000, subset_seed=3
    )
    counts = np.bincount(ds.y_pool, minlength=10)
    full = np.bincount(sources.tfds_dataset("mnist", data_dir=tfds_data_dir, download=False).y_pool)
    np.testing.assert_allclose(counts, full / full.sum() * 1000, atol=1)
    again = sources.tfds_dataset(
        "mnist", data_dir=tfds_data_dir, download=False, pool_size=1000, subset_seed=3
    )
    np.testing.assert_array_equal(ds.x_pool, again.x_pool)


def test_missing_dataset_offline_says_which_and_how_to_fix(tmp_path):
    with pytest.raises(sources.DatasetNotFoundError) as e:
        sources.tfds_dataset("cifar10", data_dir=str(tmp_path), download=False)
    message = str(e.value).splitlines()[0]  # gin appends a second "In call to" line
    assert "'cifar10'" in message and "TFDS_DATA_DIR" in message and "\n" not in message


def test_unknown_dataset_lists_the_paper_datasets(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'imagenet_nope'.*svhn_cropped"):
        sources.tfds_dataset("imagenet_nope", data_dir=str(tmp_path))


@pytest.mark.parametrize(
    "name,shape,classes",
    [
        ("svhn_cropped", (32, 32, 3), 10),
        ("cifar10", (32, 32, 3), 10),
        ("cifar100", (32, 32, 3), 100),
    ],
)
def test_paper_datasets_through_mock_data(name, shape, classes):
    with tfds.testing.mock_data(num_examples=40):
        ds = sources.tfds_dataset(name)
    assert ds.x_pool.shape[1:] == shape and ds.x_pool.dtype == np.uint8
    assert ds.num_classes == classes and len(ds.y_test) == 40


def test_stratified_subset_rejects_bad_size():
    with pytest.raises(ValueError, match="subset size 0"):
        sources.stratified_subset(np.zeros(5, int), 0, np.random.default_rng(0))


def test_any_split_names_and_a_common_image_size(tfds_data_dir):
    """Any TFDS image classification dataset: split expressions and a resize to one size."""
    from tfal.data.sources import tfds_dataset

    data = tfds_dataset(
        "mnist",
        data_dir=tfds_data_dir,
        download=False,
        pool_split="train[:300]",
        test_split="train[300:400]",
        image_size=(32, 36),
    )
    assert data.x_pool.shape == (300, 32, 36, 1) and data.x_test.shape == (100, 32, 36, 1)
    assert data.x_pool.dtype == np.uint8 and 20 < data.x_pool.mean() < 60  # still MNIST's ink
    same = tfds_dataset("mnist", data_dir=tfds_data_dir, download=False, pool_split="train[:300]")
    np.testing.assert_array_equal(data.y_pool, same.y_pool)  # same images, same order
