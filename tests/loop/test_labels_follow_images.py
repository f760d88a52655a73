"""Labels stay with their images when a resumed campaign's pool grows or its classes move.

state.json binds labels to pool indices and class ids. The references here come from the folder
layout the test writes itself: which file holds which pixels (PNG is lossless, every image is
distinct) and which class folder the file is in (class id = position of the folder's name among
the sorted folder names, as `image_folder_dataset` documents), never from tfal's pool.npz.
"""

import os
import pathlib

import gin
import numpy as np
import pytest
from PIL import Image

from tfal import campaign
from tfal.data import folders
from tfal.data.sources import Dataset
from tfal.loop import ActiveLearningLoop, StateError, pool_identity

pytestmark = pytest.mark.slow  # whole campaigns or training: `pytest -m 'not slow'` skips it

CLASSES = ("ant", "bee", "cat")  # sorted: the class ids are 0, 1, 2
SIDE = 12
FIRST = [f"{k}.png" for k in range(10, 18)]  # 8 images per class when the campaign starts
ADDED = ["00.png", "01.png", "sub/05.png"]  # sort before every first image of their folder


def _write(folder: pathlib.Path, names, seed: int) -> dict[bytes, str]:
    """folder/<class>/<name> for every class, distinct pixels each; returns pixels -> file."""
    rng, written = np.random.default_rng(seed), {}
    for c, class_name in enumerate(CLASSES):
        for name in names:
            x = rng.integers(0, 160, (SIDE, SIDE)).astype(np.uint8)
            x[2 + 3 * c : 5 + 3 * c, 2:10] += 80
            path = folder / class_name / name
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(x).save(path)
            written[x.tobytes()] = f"{class_name}/{name}"
    return written


def _class_of(file: str) -> int:
    return CLASSES.index(file.split("/")[0])


def _bindings(root, test_root=None, **more):
    bindings = [
        "ActiveLearningLoop.dataset = @tfal.data.image_folder_dataset()",
        f"image_folder_dataset.root = '{root}'",
        "ActiveLearningLoop.labels_per_class = 2",
        "ActiveLearningLoop.budget = 5",
        "ActiveLearningLoop.sup_epochs = 2",
        "small_cnn.widths = (4, 8, 8)",
    ]
    if test_root is not None:
        bindings.append(f"image_folder_dataset.test_root = '{test_root}'")
    return bindings + [f"ActiveLearningLoop.{k} = {v}" for k, v in more.items()]


def test_a_grown_class_folder_pool_keeps_every_index_on_its_file_and_label(tmp_path, repo_root):
    """A simulated pool (root's class folders, test images in test_root) runs a cycle; images
    that sort first in every class folder are added; resumed with grow_pool for two more cycles
    (one acquisition). Every recorded pool index still holds the same file's pixels, every pool
    index's oracle label is its file's class folder, and so is every label in state.json."""
    root, test_root, run_dir = tmp_path / "root", tmp_path / "test", str(tmp_path / "run")
    file_of = _write(root, FIRST, seed=0)
    _write(test_root, ["t0.png", "t1.png"], seed=1)
    tiny = [str(repo_root / "gin_configs/testing/tiny.gin")]
    campaign.parse_gin(tiny, _bindings(root, test_root, num_cycles=1))
    before = ActiveLearningLoop(run_dir)
    first = before.run()
    recorded = [file_of[x.tobytes()] for x in before.data.x_pool]
    assert sorted(recorded) == sorted(file_of.values())
    assert [_class_of(recorded[i]) for i in first.labeled_idx] == first.labels

    file_of.update(_write(root, ADDED, seed=2))
    gin.clear_config()
    scanned = folders.image_folder_dataset(str(root), test_root=str(test_root)).pool_files
    assert scanned[0] == "ant/00.png"  # a fresh scan would move every recorded index
    campaign.parse_gin(tiny, _bindings(root, test_root, num_cycles=3, grow_pool=True))
    loop = ActiveLearningLoop(run_dir)
    state = loop.run()

    now = [file_of[x.tobytes()] for x in loop.data.x_pool]
    assert len(now) == len(recorded) + len(ADDED) * len(CLASSES)
    assert now[: len(recorded)] == recorded  # each recorded index: the same file's pixels
    assert sorted(now[len(recorded) :]) == sorted(f"{c}/{n}" for c in CLASSES for n in ADDED)
    assert list(loop.data.pool_files) == now
    everything = np.arange(len(now))
    oracle_labels = loop.oracle.label(everything, cycle=state.next_cycle)
    assert oracle_labels.tolist() == [_class_of(f) for f in now]
    assert state.labeled_idx[: len(first.labeled_idx)] == first.labeled_idx
    assert len(state.labeled_idx) == len(first.labeled_idx) + 5
    assert state.labels == [_class_of(now[i]) for i in state.labeled_idx]


def test_a_grown_pool_split_from_root_is_refused_not_reshuffled(tmp_path, repo_root):
    """Without test_root the pool is root minus a seeded stratified test split, drawn again from
    the grown folder: recorded pool images land in the test split. Resuming with grow_pool is
    refused in one line naming lost files and the split, before anything is written."""
    root, run_dir = tmp_path / "root", tmp_path / "run"
    _write(root, FIRST, seed=0)
    tiny = [str(repo_root / "gin_configs/testing/tiny.gin")]
    campaign.parse_gin(tiny, _bindings(root, num_cycles=1))
    ActiveLearningLoop(str(run_dir)).run()
    saved = {name: (run_dir / name).read_bytes() for name in ("state.json", "pool.npz")}
    _write(root, ADDED, seed=2)
    gin.clear_config()
    campaign.parse_gin(tiny, _bindings(root, num_cycles=3, grow_pool=True))
    with pytest.raises(StateError) as e:
        ActiveLearningLoop(str(run_dir))
    message = str(e.value).splitlines()[0]  # gin adds an "In call to" line
    assert "lost" in message and "a pool may grow, never shrink" in message
    assert "test_fraction" in message and "image_folder_dataset.test_root" in message
    assert {name: (run_dir / name).read_bytes() for name in saved} == saved


# ---- the class list ---------------------------------------------------------------------------
def _npz(path, class_names) -> str:
    rng = np.random.default_rng(0)
    y_pool, y_test = np.repeat([0, 1, 2], 20), np.array([0, 1, 2] * 3)
    x_pool = rng.integers(0, 256, (len(y_pool), SIDE, SIDE, 1), dtype=np.uint8)
    x_test = rng.integers(0, 256, (len(y_test), SIDE, SIDE, 1), dtype=np.uint8)
    np.savez(path, x_pool=x_pool, y_pool=y_pool, x_test=x_test, y_test=y_test,
             class_names=np.array(class_names))  # fmt: skip
    return str(path)


def test_the_same_class_names_in_another_order_are_refused(tmp_path, repo_root):
    """A campaign on an npz pool with classes (ant, bee, cat), resumed on the same pixels and
    labels with class_names (bee, ant, cat): label 0 would now mean 'bee'. Refused before
    anything is written, in one line naming the recorded and the new order."""
    path, run_dir = _npz(tmp_path / "pool.npz", CLASSES), tmp_path / "run"
    tiny = [str(repo_root / "gin_configs/testing/tiny.gin")]
    common = [
        "ActiveLearningLoop.dataset = @tfal.data.npz_dataset()",
        f"npz_dataset.path = '{path}'",
        "ActiveLearningLoop.sup_epochs = 1",
        "small_cnn.widths = (4, 8, 8)",
    ]
    campaign.parse_gin(tiny, [*common, "ActiveLearningLoop.num_cycles = 1"])
    ActiveLearningLoop(str(run_dir)).run()
    saved = {name: (run_dir / name).read_bytes() for name in ("state.json", "pool.npz")}
    gin.clear_config()
    reordered = ("bee", "ant", "cat")
    campaign.parse_gin(
        tiny,
        [*common, "ActiveLearningLoop.num_cycles = 2", f"npz_dataset.class_names = {reordered}"],
    )
    for grow in (False, True):
        gin.bind_parameter("ActiveLearningLoop.grow_pool", grow)
        with pytest.raises(ValueError) as e:
            ActiveLearningLoop(str(run_dir))
        first, *rest = str(e.value).splitlines()
        assert all(line.startswith("  In call to") for line in rest)  # gin's, not ours
        assert f"class names {list(CLASSES)} are now {list(reordered)}" in first
        assert "the same names in another order" in first
    assert {name: (run_dir / name).read_bytes() for name in saved} == saved


def test_pool_identity_refuses_a_permuted_class_list_of_an_unlabeled_folder(tmp_path):
    """The check itself, for a human oracle's pool (y_pool None), same files and pixels."""
    x = np.random.default_rng(0).integers(0, 256, (4, 5, 5, 1), dtype=np.uint8)
    files = ("a.png", "b.png", "c.png", "d.png")
    data = Dataset("mine", x, None, x[:1], np.array([0]), CLASSES, pool_files=files)
    pool_identity.record(str(tmp_path), data)
    assert pool_identity.check(str(tmp_path), data) == (data, True)
    permuted = Dataset(
        "mine", x, None, x[:1], np.array([0]), ("cat", "ant", "bee"), pool_files=files
    )
    for grow in (False, True):
        with pytest.raises(
            StateError, match=r"\['ant', 'bee', 'cat'\] are now \['cat', 'ant', 'bee'\]"
        ):
            pool_identity.check(str(tmp_path), permuted, grow=grow)
    assert os.path.exists(tmp_path / pool_identity.FILE_NAME)
