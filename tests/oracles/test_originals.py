"""People look at the original files, not the training-resolution pixels."""

import json

import numpy as np
import pytest
from PIL import Image

from tfal.data.folders import image_folder_dataset
from tfal.oracles.human import ORIGINAL_SIDE, HumanOracle, QueryFiles
from tfal.oracles.simulated import LabelsPending


def _folders(tmp_path):
    rng = np.random.default_rng(0)
    for split, count in (("labeled/cat", 2), ("labeled/dog", 2), ("pool", 6)):
        (tmp_path / split).mkdir(parents=True)
        for k in range(count):
            pixels = rng.integers(0, 256, (84, 84, 3), dtype=np.uint8)
            pixels[:, :42] = 255 * (k % 2)  # half the image one flat colour: visible at any size
            Image.fromarray(pixels).save(tmp_path / split / f"{k}.png")
    return image_folder_dataset(str(tmp_path / "labeled"), unlabeled_root=str(tmp_path / "pool"),
                                image_size=(28, 28))  # fmt: skip


def test_the_contact_sheet_and_label_studio_show_the_originals(tmp_path):
    data = _folders(tmp_path)
    assert data.x_pool.shape[1:3] == (28, 28) and data.original(3).endswith("pool/3.png")
    oracle = HumanOracle(data, str(tmp_path / "run"), label_studio=True)
    with pytest.raises(LabelsPending):
        oracle.label(np.array([1, 3]), cycle=0)
    files = QueryFiles.of(str(tmp_path / "run" / "queries"), 0)
    sheet = Image.open(files.contact_sheet)
    assert sheet.width >= 2 * ORIGINAL_SIDE  # two tiles of 256 px, not 28 px thumbnails
    tasks = json.load(open(files.tasks))
    for task in tasks:
        index = task["data"]["pool_index"]
        copied = tmp_path / "run" / "queries" / task["data"]["image"]
        assert copied.read_bytes() == (tmp_path / "pool" / f"{index}.png").read_bytes()


def test_without_originals_people_see_the_pool_pixels(tmp_path):
    data = _folders(tmp_path)
    for k in range(6):
        (tmp_path / "pool" / f"{k}.png").unlink()  # the folder moved away since
    oracle = HumanOracle(data, str(tmp_path / "run"), label_studio=True)
    with pytest.raises(LabelsPending):
        oracle.label(np.array([1, 3]), cycle=0)
    files = QueryFiles.of(str(tmp_path / "run" / "queries"), 0)
    assert Image.open(files.contact_sheet).width < 2 * ORIGINAL_SIDE
    task = json.load(open(files.tasks))[0]
    image = Image.open(tmp_path / "run" / "queries" / task["data"]["image"])
    assert image.size == (28, 28)
