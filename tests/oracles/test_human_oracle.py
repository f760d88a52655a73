"""The human oracle: queries written as files, answers read back and checked."""

import csv
import json
import re

import gin
import numpy as np
import pytest
from PIL import Image

from tfal.data import folders
from tfal.data.sources import Dataset
from tfal.oracles import label_studio
from tfal.oracles.human import CSV_COLUMNS, HumanOracle, QueryFiles, contact_sheet
from tfal.oracles.simulated import LabelsPending

CLASSES = ("cat", "dog", "owl")


def _dataset(n=12, channels=3, files=True) -> Dataset:
    x = np.random.default_rng(0).integers(0, 256, (n, 6, 5, channels), dtype=np.uint8)
    pool_files = tuple(f"img_{i}.png" for i in range(n)) if files else None
    return Dataset("mine", x, None, x[:3], np.array([0, 1, 2]), CLASSES, pool_files=pool_files)


def _probs(n=12) -> np.ndarray:
    p = np.full((n, 3), 0.1)
    p[np.arange(n), np.arange(n) % 3] = 0.8
    return p


def _rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _fill(path, labels: dict[int, str]) -> None:
    """Fills the label column the way a person would, keeping the other columns."""
    rows = _rows(path)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "label": labels.get(int(row["pool_index"]), "")})


def _ask(oracle, query, cycle=2, probs=None) -> LabelsPending:
    with pytest.raises(LabelsPending) as e:
        oracle.label(query, cycle=cycle, probs=probs)
    return e.value


def _asked_cycle_1(tmp_path, **options) -> tuple[HumanOracle, np.ndarray, QueryFiles]:
    """An oracle that has asked for pool indices 3 and 4 in cycle 1: (oracle, query, its files)."""
    oracle = HumanOracle(_dataset(), str(tmp_path), **options)
    query = np.array([3, 4])
    _ask(oracle, query, cycle=1)
    return oracle, query, QueryFiles.of(str(tmp_path / "queries"), 1)


def test_first_call_writes_the_query_and_says_what_to_do(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path), label_studio=True)
    message = str(_ask(oracle, np.array([7, 2, 4]), probs=_probs()))
    files = QueryFiles.of(str(tmp_path / "queries"), 2)
    assert files.csv.endswith("queries/cycle_2.csv")
    assert "\n" not in message and message.startswith("3 examples to label")
    assert (
        files.csv in message and "cat, dog, owl" in message and "re-run the same command" in message
    )
    assert files.export in message
    rows = _rows(files.csv)
    assert [r["pool_index"] for r in rows] == ["7", "2", "4"]
    assert rows[0] == {
        "pool_index": "7",
        "file": "img_7.png",
        "guess": "dog",
        "confidence": "0.800",
        "label": "",
    }
    sheet = Image.open(files.contact_sheet)
    assert sheet.mode == "RGB" and sheet.width > 3 * 5 and sheet.height > 6
    tasks = json.loads(open(files.tasks).read())
    assert [t["data"]["pool_index"] for t in tasks] == [7, 2, 4]
    assert tasks[1]["data"]["image"] == "cycle_2_images/2.png"
    assert tasks[1]["predictions"][0]["result"][0]["value"] == {"choices": ["owl"]}
    saved = np.asarray(Image.open(tmp_path / "queries" / tasks[1]["data"]["image"]))
    np.testing.assert_array_equal(saved, oracle.data.x_pool[2])
    assert 'value="owl"' in (tmp_path / "queries" / "label_studio_config.xml").read_text()
    assert not [
        p for p in (tmp_path / "queries").iterdir() if p.name.startswith(".")
    ]  # no temp files


def test_filled_csv_gives_labels_aligned_with_the_query(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    query = np.array([7, 2, 4])
    _ask(oracle, query, probs=_probs())
    _fill(tmp_path / "queries" / "cycle_2.csv", {7: "owl", 2: " Cat ", 4: "1"})  # name, case, id
    labels = oracle.label(query, cycle=2, probs=None)
    assert labels.dtype == np.int64 and labels.tolist() == [2, 0, 1]
    assert oracle.label(query, cycle=2).tolist() == [2, 0, 1]  # the same answer on every re-run


def test_initial_set_file_and_grey_images_without_files_or_probs(tmp_path):
    oracle = HumanOracle(_dataset(channels=1, files=False), str(tmp_path))
    query = oracle.initial_labeled_set(2, np.random.default_rng(0))
    assert query.dtype == np.int64 and len(query) == 6 and len(set(query.tolist())) == 6
    assert query.tolist() == sorted(query.tolist())
    assert "the initial labeled set" in str(_ask(oracle, query, cycle=-1))
    rows = _rows(tmp_path / "queries" / "initial.csv")
    assert {r["file"] for r in rows} == {""} and {r["guess"] for r in rows} == {""}
    assert (tmp_path / "queries" / "initial.png").exists()
    _fill(
        tmp_path / "queries" / "initial.csv", {int(i): CLASSES[k % 3] for k, i in enumerate(query)}
    )
    assert oracle.label(query, cycle=-1).tolist() == [0, 1, 2, 0, 1, 2]
    assert oracle.true_labels_for_diagnostics() is None
    with pytest.raises(ValueError, match="allowed 1..12"):
        oracle.initial_labeled_set(5, np.random.default_rng(0))


def test_untouched_or_partly_filled_csv_is_still_pending(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    query = np.array([1, 3, 5])
    _ask(oracle, query)
    message = str(_ask(oracle, query))
    assert "3 of 3 examples still have no label" in message
    _fill(tmp_path / "queries" / "cycle_2.csv", {1: "dog"})
    assert "2 of 3 examples still have no label (pool index 3, 5)" in str(_ask(oracle, query))


def _write_csv(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("pool_index", "label"), *rows])


@pytest.mark.parametrize(
    "rows,match",
    [
        ([(1, "dog"), (3, "owl")], "1 queried pool indices have no row: 5"),
        ([(1, "dog"), (3, "owl"), (5, "cat"), (3, "cat")], "pool index 3 appears more than once"),
        (
            [(1, "dog"), (3, "owl"), (5, "cat"), (9, "cat")],
            "row 5 has pool index 9, which was not queried",
        ),
        (
            [(1, "dog"), (3, "horse"), (5, "cat")],
            r"row 3 \(pool index 3\) has label 'horse'; allowed: a class name \(cat, dog, owl\)",
        ),
        ([(1, "dog"), (3, "7"), (5, "cat")], "has label '7'; allowed"),
        ([(1, "dog"), ("three", "owl"), (5, "cat")], "row 3 has pool_index 'three'"),
    ],
)
def test_bad_answers_are_one_line_errors_naming_the_value(tmp_path, rows, match):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    query = np.array([1, 3, 5])
    _ask(oracle, query)
    _write_csv(tmp_path / "queries" / "cycle_2.csv", rows)
    with pytest.raises(ValueError, match=match) as e:
        oracle.label(query, cycle=2)
    assert "\n" not in str(e.value) and "cycle_2.csv" in str(e.value)


def test_semicolon_csv_with_bom_from_a_spreadsheet(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    _ask(oracle, np.array([0, 6]))
    (tmp_path / "queries" / "cycle_2.csv").write_text(
        "\ufeffpool_index;label\n6;owl\n\n0;dog\n", "utf-8"
    )
    assert oracle.label(np.array([0, 6]), cycle=2).tolist() == [1, 2]


def _export(tasks_path, labels: dict[int, str]) -> list[dict]:
    """What Label Studio exports after people annotated the imported tasks."""
    exported = []
    for k, task in enumerate(json.loads(open(tasks_path).read())):
        index = task["data"]["pool_index"]
        result = (
            [
                {
                    "from_name": "label",
                    "to_name": "image",
                    "type": "choices",
                    "value": {"choices": [labels[index]]},
                }
            ]
            if index in labels
            else []
        )
        cancelled = {
            "was_cancelled": True,
            "result": [{"type": "choices", "value": {"choices": ["cat"]}}],
        }
        exported.append(
            {
                "id": 100 + k,
                "data": task["data"],
                "predictions": task.get("predictions", []),
                "annotations": [cancelled, {"was_cancelled": False, "result": result}],
            }
        )
    return exported


def test_label_studio_export_is_read_instead_of_the_csv(tmp_path):
    oracle = HumanOracle(
        _dataset(),
        str(tmp_path),
        label_studio=True,
        label_studio_image_prefix="/data/local-files/?d=",
    )
    query = np.array([8, 0, 11])
    _ask(oracle, query, cycle=0, probs=_probs())
    files = QueryFiles.of(str(tmp_path / "queries"), 0)
    assert (
        json.loads(open(files.tasks).read())[0]["data"]["image"]
        == "/data/local-files/?d=cycle_0_images/8.png"
    )
    exported = _export(files.tasks, {8: "owl", 0: "dog", 11: "owl"})
    with open(files.export, "w") as f:
        json.dump(exported, f)
    assert oracle.label(query, cycle=0).tolist() == [2, 1, 2]
    minimal = [
        {"id": 1, "image": "x", "pool_index": 8, "label": "cat"},
        {"id": 2, "image": "y", "pool_index": "0", "label": "cat"},
        {"id": 3, "image": "z", "pool_index": 11, "label": "dog"},
    ]
    with open(files.export, "w") as f:
        json.dump(minimal, f)  # the JSON-MIN export
    assert oracle.label(query, cycle=0).tolist() == [0, 0, 1]


def test_label_studio_export_errors_and_unannotated_tasks(tmp_path):
    oracle, query, files = _asked_cycle_1(tmp_path, label_studio=True)
    with open(files.export, "w") as f:
        json.dump(_export(files.tasks, {3: "dog"}), f)
    assert "1 of 2 examples still have no label (pool index 4)" in str(_ask(oracle, query, cycle=1))
    several = _export(files.tasks, {3: "dog", 4: "owl"})
    several[1]["annotations"][1]["result"][0]["value"]["choices"] = ["owl", "cat"]
    with open(files.export, "w") as f:
        json.dump(several, f)
    with pytest.raises(ValueError, match=r"task 101 \(pool index 4\) has several choices"):
        oracle.label(query, cycle=1)
    with open(files.export, "w") as f:
        json.dump([{"id": 5, "data": {"image": "a.png"}, "annotations": []}], f)
    with pytest.raises(ValueError, match="task 5 has pool_index None"):
        oracle.label(query, cycle=1)
    with open(files.export, "w") as f:
        json.dump({"tasks": []}, f)
    with pytest.raises(ValueError, match="expected a list of tasks"):
        label_studio.read_export(files.export)


def test_bad_queries_and_probs_are_refused(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    with pytest.raises(ValueError, match="distinct pool indices"):
        oracle.label(np.array([1, 1]), cycle=0)
    with pytest.raises(ValueError, match="outside 0..11"):
        oracle.label(np.array([1, 12]), cycle=0)
    with pytest.raises(ValueError, match=r"probs has shape \(12, 2\); expected \(12, 3\)"):
        oracle.label(np.array([1]), cycle=0, probs=np.ones((12, 2)))
    with pytest.raises(ValueError, match="needs a run_dir"):
        HumanOracle(_dataset())


def test_contact_sheet_grid_holds_every_image():
    images = np.zeros((23, 4, 4, 1), np.uint8)
    images[7] = 255
    sheet = contact_sheet(images, [f"#{i}" for i in range(23)], columns=10, tile=40)
    assert sheet.size == (10 * 44 + 4, 3 * (40 + 14 + 4) + 4)  # 10 columns x 3 rows of 40 px tiles
    pixels = np.asarray(sheet)
    assert pixels[4 + 20, 4 + 7 * 44 + 20].tolist() == [255, 255, 255]  # image 7 is white
    assert pixels[4 + 20, 4 + 6 * 44 + 20].tolist() == [0, 0, 0]


def test_example_gin_config_builds_the_dataset_and_oracle(tmp_path, repo_root):
    import tfal.acquisition  # noqa: F401  (registers what the config references)
    import tfal.models  # noqa: F401
    import tfal.training  # noqa: F401
    from tfal.loop import SemiSupervised

    for name in ("cat", "dog"):
        for k in range(2):
            (tmp_path / "labeled" / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((30, 20, 3), k, np.uint8)).save(
                tmp_path / "labeled" / name / f"{k}.jpg"
            )
    (tmp_path / "pool").mkdir()
    for k in range(5):
        Image.fromarray(np.full((10, 12), k, np.uint8)).save(tmp_path / "pool" / f"{k}.png")
    gin.add_config_file_search_path(str(repo_root / "gin_configs"))
    gin.parse_config_files_and_bindings(
        [str(repo_root / "gin_configs" / "own_images_example.gin")],
        [
            f"image_folder_dataset.root = '{tmp_path / 'labeled'}'",
            f"image_folder_dataset.unlabeled_root = '{tmp_path / 'pool'}'",
        ],
        skip_unknown=False,
    )
    assert gin.query_parameter("ActiveLearningLoop.oracle_fn").selector.endswith("HumanOracle")
    assert SemiSupervised().on_pixels(0)  # the small-pool SEMI of results/small_pool
    dataset = folders.image_folder_dataset()
    assert dataset.x_pool.shape == (5, 64, 64, 3) and dataset.class_names == ("cat", "dog")
    oracle = HumanOracle(dataset, run_dir=str(tmp_path / "run"))
    assert oracle.contact_sheet and not oracle.label_studio
    assert re.search(r"\(cat, dog\)", str(_ask(oracle, np.array([0, 1]), cycle=-1)))


def test_file_names_that_look_like_formulas_stay_text_in_the_csv(tmp_path):
    data = _dataset(4)
    names = ('=HYPERLINK("http://x","y").png', "+1.png", "@SUM(A1).png", "ok.png")
    data = Dataset("mine", data.x_pool, None, data.x_test, data.y_test, CLASSES, pool_files=names)
    oracle = HumanOracle(data, str(tmp_path))
    _ask(oracle, np.arange(4), cycle=0)
    files = [row["file"] for row in _rows(tmp_path / "queries" / "cycle_0.csv")]
    assert files == ["'" + n for n in names[:3]] + ["ok.png"]


def test_a_row_whose_file_is_not_the_pool_file_at_its_index_is_refused(tmp_path):
    oracle = HumanOracle(_dataset(), str(tmp_path))
    query = np.array([2, 5])
    _ask(oracle, query, cycle=0)
    path = tmp_path / "queries" / "cycle_0.csv"
    rows = _rows(path)
    rows[0]["file"], rows[1]["file"] = rows[1]["file"], rows[0]["file"]  # a sort gone wrong
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "label": "cat"})
    with pytest.raises(ValueError, match=r"labels file 'img_5.png' at pool index 2, but that"):
        oracle.label(query, cycle=0)
    for row in rows:  # each row back with its own file: accepted
        row["file"] = f"img_{row['pool_index']}.png"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({**r, "label": ("cat", "dog")[k]} for k, r in enumerate(rows))
    assert oracle.label(query, cycle=0).tolist() == [0, 1]


def test_class_names_that_look_like_numbers_are_never_read_as_ids(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 6, 5, 3), dtype=np.uint8)
    names = ("0001", "0002", "0003")
    data = Dataset("codes", x, None, x[:3], np.array([0, 1, 2]), names, pool_files=None)
    oracle = HumanOracle(data, str(tmp_path))
    query = np.array([1, 4])
    _ask(oracle, query, cycle=0)
    path = tmp_path / "queries" / "cycle_0.csv"
    _fill(path, {1: "2", 4: "0003"})  # "0002" with its zeros stripped by a spreadsheet
    with pytest.raises(
        ValueError, match=r"label '2'; allowed: a class name .* ids are not accepted"
    ):
        oracle.label(query, cycle=0)
    _fill(path, {1: "0002", 4: "0003"})
    assert oracle.label(query, cycle=0).tolist() == [1, 2]


def test_annotators_who_disagree_are_reported_not_resolved(tmp_path):
    oracle, query, files = _asked_cycle_1(tmp_path, label_studio=True)
    exported = _export(files.tasks, {3: "dog", 4: "owl"})
    second = json.loads(json.dumps(exported[1]["annotations"][1]))
    second["completed_by"] = 7
    exported[1]["annotations"][1]["completed_by"] = 2
    exported[1]["annotations"].append(second)  # a second annotator, same answer: fine
    with open(files.export, "w") as f:
        json.dump(exported, f)
    assert oracle.label(query, cycle=1).tolist() == [1, 2]
    second["result"][0]["value"]["choices"] = ["cat"]
    with open(files.export, "w") as f:
        json.dump(exported, f)
    with pytest.raises(ValueError) as e:
        oracle.label(query, cycle=1)
    assert (
        "(pool index 4): annotators disagree ('owl' by annotator 2, 'cat' by annotator 7)"
        in str(e.value)
    )
    exported[1]["annotations"][1]["result"] = [{"value": "owl"}]  # malformed
    with open(files.export, "w") as f:
        json.dump(exported, f)
    with pytest.raises(ValueError, match=r"\(pool index 4\) has a malformed annotation result"):
        oracle.label(query, cycle=1)


def test_an_export_never_silently_overrides_a_filled_csv(tmp_path):
    oracle, query, files = _asked_cycle_1(tmp_path, label_studio=True)
    _fill(files.csv, {3: "dog", 4: "owl"})
    with open(files.export, "w") as f:
        json.dump(_export(files.tasks, {3: "dog", 4: "owl"}), f)
    assert oracle.label(query, cycle=1).tolist() == [1, 2]  # both agree
    with open(files.export, "w") as f:
        json.dump(_export(files.tasks, {3: "dog", 4: "cat"}), f)
    with pytest.raises(ValueError, match="give different labels for pool index 4"):
        oracle.label(query, cycle=1)


def test_oversized_cells_and_unreadable_csvs_are_one_line_errors(tmp_path):
    oracle, query, files = _asked_cycle_1(tmp_path)
    _fill(files.csv, {3: "dog", 4: "x" * 2000})
    with pytest.raises(ValueError, match="has a label of 2,000 characters; allowed: at most 1,000"):
        oracle.label(query, cycle=1)
    _fill(files.csv, {3: "dog", 4: '"' + "y" * 200_000})  # beyond the csv module's field limit
    with pytest.raises(ValueError, match="not a readable CSV near row"):
        oracle.label(query, cycle=1)


def test_an_answer_file_edited_after_its_labels_were_taken_is_reported(tmp_path):
    oracle, query, files = _asked_cycle_1(tmp_path)
    _fill(files.csv, {3: "dog", 4: "owl"})
    taken = oracle.label(query, cycle=1).tolist()
    assert oracle.edited_answers([3, 4], taken) == []
    _fill(files.csv, {3: "cat", 4: "owl"})
    (message,) = oracle.edited_answers([3, 4], taken)
    assert "cycle_1.csv was edited after its labels were taken (1 changed: 3: 'dog' -> 'cat')" in (
        message
    )
    assert "keeps the labels in state.json" in message
