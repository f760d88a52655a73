"""A human oracle: people answer LABEL(S) (Algorithm 1, line 13) through files in the run directory.

The paper simulates the oracle with the pool's true labels. With your own images nobody knows them,
so each query S is written to `RUN_DIR/queries/` and the campaign stops (`LabelsPending`); re-running
the same command reads the answers and goes on. The loop saves the query in its state before asking,
so labelling may take days.

Files of one query, `<stem>` = `initial` for the initial labeled set L0 and `cycle_<j>` for the batch
chosen by the model of cycle j:

* `<stem>.csv`: columns `pool_index,file,guess,confidence,label`; people fill `label` with a class
  name (or class id). `guess`/`confidence` are the model's argmax class and its probability.
* `<stem>.png`: a contact sheet of the queried images, each captioned with its pool index.
* with `label_studio=True`: `<stem>.label_studio.json` (tasks to import), `<stem>_images/` (their PNGs)
  and `label_studio_config.xml`. Label Studio's JSON (or JSON-MIN) export saved as
  `<stem>.label_studio.export.json` is read instead of the CSV whenever it exists.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from typing import Annotated

import gin
import numpy as np
from PIL import Image, ImageOps

from tfal import run_dir as run_dir_layout
from tfal.atomic import fsync_directory, write_atomically
from tfal.config_types import Fraction, OneOf, Range
from tfal.data.sources import Dataset
from tfal.image_grid import caption_grid, fitted, pil_pixels
from tfal.oracles import answers as answer_files
from tfal.oracles import label_studio
from tfal.oracles.answers import CSV_COLUMNS  # noqa: F401 (the query file's columns, re-exported)
from tfal.oracles.label_studio import labeling_config
from tfal.oracles.label_studio_live import LabelStudioProject
from tfal.oracles.protocol import uniform_initial_set
from tfal.oracles.simulated import LabelsPending

SKIP, SKIP_NAME = answer_files.SKIP, answer_files.SKIP_WORD

_LIST_CLASSES_UP_TO = 20
_SHOW = 5  # indices quoted in an error message
ORIGINAL_SIDE = 256  # pixels of an original image on a contact sheet (a tile's longer side)


@dataclasses.dataclass(frozen=True)
class QueryFiles:
    """Paths of the files of one query (see the module docstring)."""

    csv: str
    contact_sheet: str
    tasks: str
    export: str
    images_dir: str
    votes: str
    live: str
    name: str

    @classmethod
    def of(cls, queries_dir: str, cycle: int) -> QueryFiles:
        stem = os.path.join(queries_dir, "initial" if cycle < 0 else f"cycle_{cycle}")
        return cls(
            f"{stem}.csv",
            f"{stem}.png",
            f"{stem}.label_studio.json",
            f"{stem}.label_studio.export.json",
            f"{stem}_images",
            f"{stem}.votes.json",
            f"{stem}.label_studio.live.json",
            os.path.basename(stem),
        )


@gin.configurable(module="tfal.data", denylist=["dataset", "run_dir"])
class HumanOracle:
    """Asks people for labels through a CSV (or Label Studio) in `RUN_DIR/queries/`.

    Same interface as `SimulatedOracle`: `label`, `initial_labeled_set`, `true_labels_for_diagnostics`,
    `shows_guesses` (True: the query lists the model's guess for each image).

    Args:
      dataset: the pool; `pool_files` (when set) are listed in the CSV so people can open the files.
      run_dir: the campaign's run directory; queries go to `run_dir/queries/`.
      label_studio: also write Label Studio tasks, and read a Label Studio export when present.
      contact_sheet: write a PNG grid of the queried images next to the CSV.
      label_studio_image_prefix: prepended to each task's image path (relative to `queries/`), e.g.
        "/data/local-files/?d=" when Label Studio serves local files from the queries folder.
      disagreement: annotators of one task who disagree in a Label Studio export: 'refuse' (the
        campaign stops with a one-line error until they agree) or 'majority' (the class most of
        them chose, when it is the only one and holds `min_agreement` of their votes). Every
        task's votes and the policy are recorded in `queries/<stem>.votes.json`.
      min_agreement: the share of votes the majority needs, in (0, 1].
      label_studio_url: a running Label Studio (e.g. "http://localhost:8080"): each query becomes
        tasks of the project `label_studio_project` (created with the class names' interface, or
        reused), with the original image and the model's guess as a pre-annotation; the answers
        are read back from it (the CSV is still written, not read). The access token comes from
        the environment variable LABEL_STUDIO_API_KEY. Project and task ids go to
        `queries/<stem>.label_studio.live.json`.
      label_studio_project: the project's title; None: "tfal <run directory name>".
      label_studio_wait: seconds to wait for the annotations, polling the server, before the
        campaign stops with exit code 3 (0: stop at once).
    """

    def __init__(
        self,
        dataset: Dataset,
        run_dir: str | None = None,
        *,
        label_studio: bool = False,
        contact_sheet: bool = True,
        label_studio_image_prefix: str = "",
        disagreement: Annotated[str, OneOf(label_studio.POLICIES)] = "refuse",
        min_agreement: Fraction = 0.5,
        label_studio_url: str | None = None,
        label_studio_project: str | None = None,
        label_studio_wait: Annotated[float, Range(0.0, 7 * 24 * 3600.0)] = 0.0,
    ):
        self.shows_guesses = True
        self.rule = {"policy": disagreement, "min_agreement": min_agreement}
        if run_dir is None:
            raise ValueError(
                "HumanOracle needs a run_dir: it writes the queries to RUN_DIR/queries/"
            )
        self.data = dataset
        self.queries_dir = run_dir_layout.path(run_dir, run_dir_layout.QUERIES)
        self.label_studio = label_studio
        self.contact_sheet = contact_sheet
        self.image_prefix = label_studio_image_prefix
        self.wait = label_studio_wait
        self.live = None
        if label_studio_url:
            title = label_studio_project or f"tfal {os.path.basename(os.path.abspath(run_dir))}"
            self.live = LabelStudioProject(
                label_studio_url, title, labeling_config(dataset.class_names)
            )

    def label(self, indices: np.ndarray, cycle: int, probs: np.ndarray | None = None) -> np.ndarray:
        """People's labels, int64 [len(indices)] aligned with `indices`, or LabelsPending.

        Args:
          indices: int [b] distinct pool indices of the query S.
          cycle: the cycle whose model chose S; -1 for the initial labeled set L0.
          probs: float [n_pool, c] class probabilities of that model (its guesses), or None.

        Raises:
          LabelsPending: the query was just written (or sent to Label Studio), or some of its
            labels are still empty.
          ValueError: a filled-in file does not answer exactly this query with known classes.
        """
        indices = self._check_indices(indices)
        files = QueryFiles.of(self.queries_dir, cycle)
        votes: dict[int, dict[str, str]] = {}
        found = self._read_answers(files, votes)
        if found is None:
            self._write_query(files, indices, cycle, probs)
            if self.live is None:
                raise LabelsPending(self._instructions(files, len(indices), cycle))
            self._send(files, indices, cycle, probs)
            found = self._read_answers(files, votes)
        deadline = time.monotonic() + self.wait
        while self.live is not None and _unanswered(found[0]) and time.monotonic() < deadline:
            time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            votes.clear()
            found = self._read_answers(files, votes)
        if self.live is not None and _unanswered(found[0]):
            raise LabelsPending(
                f"{_unanswered(found[0])} of {len(indices)} tasks of {files.name} wait for "
                f"annotations in Label Studio ({self.live.link()}); then re-run the same command"
            )
        labels = self._match(*found, indices)
        if votes:  # the audit of a Label Studio answer: who chose what, under which policy
            names = [SKIP_NAME if y == SKIP else self.data.class_names[y] for y in labels]
            record = {**self.rule, "votes": {str(i): votes.get(int(i), {}) for i in indices},
                      "labels": dict(zip((str(int(i)) for i in indices), names, strict=True))}
            write_atomically(files.votes, json.dumps(record, indent=1).encode("utf-8"))
        return labels

    def edited_answers(self, labeled_idx: Sequence[int], labels: Sequence[int]) -> list[str]:
        """Labels in answered query files that now differ from the ones the campaign took.

        A label taken into state.json is never changed behind the campaign's back; an answer file
        edited afterwards is reported (one message per file), never silently applied or ignored.
        """
        taken = dict(zip((int(i) for i in labeled_idx), (int(y) for y in labels), strict=True))
        stems = {name.split(".")[0] for name in answer_files.listdir(self.queries_dir)}
        cycles = sorted(
            -1 if stem == "initial" else int(stem.removeprefix("cycle_"))
            for stem in stems
            if stem == "initial" or re.fullmatch(r"cycle_\d+", stem)
        )
        messages = []
        for cycle in cycles:
            try:
                found = self._read_answers(QueryFiles.of(self.queries_dir, cycle))
                answers, source = found if found else ([], "")
                changed = [
                    (index, taken[index], self._class_id(text.strip(), where, index, source))
                    for index, text, where in answers
                    if index in taken and text.strip()
                ]
            except ValueError as e:
                messages.append(f"{e} (an answer file edited after its labels were taken)")
                continue
            changed = [(i, old, new) for i, old, new in changed if old != new]
            if changed:
                names = self.data.class_names
                shown = ", ".join(
                    f"{i}: {names[o]!r} -> {names[n]!r}" for i, o, n in changed[:_SHOW]
                )
                messages.append(
                    f"{source} was edited after its labels were taken ({len(changed)} changed: "
                    f"{shown}); the campaign keeps the labels in state.json: change one with "
                    "python -m tfal.relabel RUN_DIR --pool_index I --label L"
                )
        return messages

    def _read_answers(self, files: QueryFiles, votes: dict | None = None) -> tuple[list, str] | None:
        """(answers, source) of one query: its Label Studio export or its CSV (None: neither).

        When both hold labels, they must agree: an export never silently overrides a CSV. With a
        live Label Studio, its tasks of the query are the answers (None: none sent yet).
        """
        if self.live is not None:
            tasks = self._live_tasks(files)
            if not tasks:
                return None
            source = f"Label Studio project {self.live.id}"
            return label_studio.parse_export(
                tasks, source, policy=self.rule["policy"],
                min_agreement=self.rule["min_agreement"], votes=votes,
            ), source  # fmt: skip
        csv_answers = (
            answer_files.read_csv(files.csv, self.data.pool_files)
            if os.path.exists(files.csv)
            else None
        )
        if not os.path.exists(files.export):
            return None if csv_answers is None else (csv_answers, files.csv)
        answers = label_studio.read_export(
            answer_files.checked_size(files.export), policy=self.rule["policy"],
            min_agreement=self.rule["min_agreement"], votes=votes,
        )  # fmt: skip
        filled = {i: t.strip() for i, t, _ in csv_answers or [] if t.strip()}
        differ = [i for i, t, _ in answers if i in filled and t.strip() and t.strip() != filled[i]]
        if differ:
            raise ValueError(
                f"{files.export} and {files.csv} give different labels for pool index "
                f"{_few(sorted(differ))}; keep one answer per image (empty the CSV's labels or "
                "fix the export)"
            )
        return answers, files.export

    def initial_labeled_set(self, labels_per_class: int, rng: np.random.Generator) -> np.ndarray:
        """L0 drawn without labels (`tfal.oracles.protocol.uniform_initial_set`)."""
        return uniform_initial_set(
            len(self.data.x_pool), self.data.num_classes, labels_per_class, rng
        )

    def true_labels_for_diagnostics(self) -> None:
        """None: a human oracle has no hidden ground truth for oracle/ diagnostics."""
        return None

    # ---- writing a query ---------------------------------------------------------------------
    def _check_indices(self, indices: np.ndarray) -> np.ndarray:
        indices = np.asarray(indices, np.int64)
        n = len(self.data.x_pool)
        if indices.ndim != 1 or not len(indices) or len(np.unique(indices)) != len(indices):
            raise ValueError(
                f"query must be distinct pool indices int [b > 0], got {indices.tolist()[:_SHOW]}"
            )
        if indices.min() < 0 or indices.max() >= n:
            raise ValueError(
                f"query pool index {int(indices.max())} or {int(indices.min())} outside 0..{n - 1}"
            )
        return indices

    def _guesses(
        self, indices: np.ndarray, probs: np.ndarray | None
    ) -> tuple[list[str], list[float]] | None:
        if probs is None:
            return None
        expected = (len(self.data.x_pool), self.data.num_classes)
        if probs.shape != expected:
            raise ValueError(
                f"probs has shape {probs.shape}; expected {expected} (pool size, classes)"
            )
        p = probs[indices]
        return [self.data.class_names[k] for k in p.argmax(1)], [float(v) for v in p.max(1)]

    def _write_query(self, files: QueryFiles, indices: np.ndarray, cycle: int, probs) -> None:
        """Writes the query files; the CSV last, since its existence means "query written"."""
        os.makedirs(self.queries_dir, exist_ok=True)
        guesses = self._guesses(indices, probs)
        names, confidences = guesses if guesses else (None, None)
        if self.contact_sheet:
            captions = [f"#{i}" + (f" {names[k]}?" if names else "") for k, i in enumerate(indices)]
            buffer = io.BytesIO()
            shown = self._shown(indices)
            sheet = contact_sheet(shown, captions, tile=max(96, max(shown.shape[1:3])))
            sheet.save(buffer, format="PNG")
            write_atomically(files.contact_sheet, buffer.getvalue())
        if self.label_studio:
            self._write_label_studio(files, indices, cycle, names, confidences)
        rows = io.StringIO()
        writer = csv.writer(rows, lineterminator="\n")
        writer.writerow(answer_files.CSV_COLUMNS)
        pool_files = self.data.pool_files
        for k, i in enumerate(indices):
            writer.writerow(
                [
                    int(i),
                    answer_files.spreadsheet_safe(pool_files[i]) if pool_files else "",
                    answer_files.spreadsheet_safe(names[k]) if names else "",
                    f"{confidences[k]:.3f}" if names else "",
                    "",
                ]
            )
        write_atomically(files.csv, rows.getvalue().encode("utf-8"))
        logging.info("wrote %d queries to %s", len(indices), files.csv)

    def _live_tasks(self, files: QueryFiles) -> list[dict]:
        """This query's tasks with their annotations: by the ids recorded when they were sent
        (only this query's images travel), else by their tag in the project (not sent yet, or a
        crash before the record)."""
        if not os.path.exists(files.live):
            return self.live.tasks_of(files.name)
        with open(files.live, encoding="utf-8") as f:
            return [self.live.task(i) for i in json.load(f)["task_ids"]]

    def _send(self, files: QueryFiles, indices: np.ndarray, cycle: int, probs) -> None:
        """The query as tasks of the live project (original images inline), its ids recorded."""
        guesses = self._guesses(indices, probs)
        names, confidences = guesses if guesses else (None, None)
        urls = [_data_uri(*self._image_bytes(int(i))) for i in indices]
        tasks = _task_documents(indices, urls, cycle, names, confidences)
        for task in tasks:
            task["data"]["tfal_query"] = files.name
        self.live.import_tasks(tasks)
        ids = sorted(int(t["id"]) for t in self.live.tasks_of(files.name))
        record = {"url": self.live.url, "project_id": self.live.id, "task_ids": ids}
        write_atomically(files.live, json.dumps(record, indent=1).encode("utf-8"))
        logging.info("sent %d tasks to Label Studio: %s", len(indices), self.live.link())

    def _image_bytes(self, index: int) -> tuple[bytes, str]:
        """(bytes, suffix) of pool image `index` as people see it: its original file, else the
        pool's pixels as a PNG."""
        path = self.data.original(index)
        if path is not None:
            with open(path, "rb") as f:
                return f.read(), os.path.splitext(path)[1].lower()
        buffer = io.BytesIO()
        Image.fromarray(pil_pixels(self.data.x_pool[index])).save(buffer, format="PNG")
        return buffer.getvalue(), ".png"

    def _shown(self, indices: np.ndarray) -> np.ndarray:
        """What people look at: each image's original file at up to `ORIGINAL_SIDE` pixels when
        the pool is a folder (the training pixels may be a thumbnail), else the pool's pixels."""
        if not any(self.data.original(int(i)) for i in indices):
            return self.data.x_pool[indices]
        return np.stack([fitted(self._viewable(int(i)), ORIGINAL_SIDE) for i in indices])

    def _viewable(self, index: int) -> Image.Image:
        path = self.data.original(index)
        if path is not None:
            try:
                with Image.open(path) as image:
                    return ImageOps.exif_transpose(image).convert("RGB")
            except OSError:
                logging.warning("could not read %s; showing its training pixels", path)
        return Image.fromarray(pil_pixels(self.data.x_pool[index]))

    def _task_image(self, folder: str, index: int) -> str:
        """Writes pool image `index` for Label Studio into `folder` (`_image_bytes`); returns the
        file name."""
        data, suffix = self._image_bytes(index)
        with open(os.path.join(folder, f"{index}{suffix}"), "wb") as f:
            f.write(data)
        return f"{index}{suffix}"

    def _write_label_studio(
        self, files: QueryFiles, indices, cycle: int, names, confidences
    ) -> None:
        folder = os.path.basename(files.images_dir)
        tmp = tempfile.mkdtemp(prefix=f".{folder}-", dir=self.queries_dir)
        names_written = [self._task_image(tmp, int(i)) for i in indices]
        if os.path.isdir(files.images_dir):  # left by an earlier, interrupted write of this query
            shutil.rmtree(files.images_dir)
        os.replace(tmp, files.images_dir)
        fsync_directory(self.queries_dir)
        urls = [f"{self.image_prefix}{folder}/{name}" for name in names_written]
        doc = _task_documents(indices, urls, cycle, names, confidences)
        write_atomically(files.tasks, json.dumps(doc, indent=1).encode("utf-8"))
        config = label_studio.labeling_config(self.data.class_names)
        write_atomically(
            os.path.join(self.queries_dir, "label_studio_config.xml"), config.encode("utf-8")
        )

    def _instructions(self, files: QueryFiles, count: int, cycle: int) -> str:
        """The one-line message of LabelsPending: what to label, where, with what, then what."""
        what = "the initial labeled set" if cycle < 0 else f"the query of cycle {cycle}"
        parts = [
            f"{count} examples to label ({what}): fill the 'label' column of {files.csv} "
            f"with {self._allowed()}"
        ]
        if self.contact_sheet:
            parts.append(f"the images are in {files.contact_sheet}")
        if self.label_studio:
            parts.append(
                f"or import {files.tasks} into Label Studio (interface: "
                f"{os.path.join(self.queries_dir, 'label_studio_config.xml')}) and save its "
                f"JSON export as {files.export}"
            )
        return "; ".join(parts) + "; then re-run the same command to continue"

    def _allowed(self) -> str:
        names = self.data.class_names
        ids = (
            " (names that look like numbers: ids are not accepted; keep the column as text)"
            if self._ids_ambiguous()
            else f" or a class id 0..{len(names) - 1}"
        )
        if len(names) > _LIST_CLASSES_UP_TO:
            return (f"one of the {len(names)} class names (e.g. {', '.join(names[:3])}){ids}, "
                    f"or {answer_files.SKIP_WORD!r}")
        return f"a class name ({', '.join(names)}){ids}, or {answer_files.SKIP_WORD!r} (no class)"

    def _ids_ambiguous(self) -> bool:
        """Class names like `0001` could be read as ids once a spreadsheet strips their zeros."""
        return any(answer_files.looks_numeric(name) for name in self.data.class_names)

    # ---- reading the answers -----------------------------------------------------------------
    def _match(
        self, answers: list[tuple[int, str, str]], source: str, indices: np.ndarray
    ) -> np.ndarray:
        """Checks that `answers` label exactly the queried indices; int64 labels aligned with them."""
        by_index: dict[int, tuple[str, str]] = {}
        repeated = []
        for index, text, where in answers:
            if index in by_index:
                repeated.append(index)
            by_index[index] = (text.strip(), where)
        if repeated:
            raise ValueError(
                f"{source}: pool index {_few(sorted(set(repeated)))} appears more than once; "
                "allowed: one row per queried example"
            )
        queried = set(indices.tolist())
        for index, (_, where) in by_index.items():
            if index not in queried:
                raise ValueError(
                    f"{source}: {where} has pool index {index}, which was not queried; "
                    f"allowed: the {len(queried)} queried indices ({_few(sorted(queried))})"
                )
        missing = [int(i) for i in indices if int(i) not in by_index]
        if missing:
            raise ValueError(
                f"{source}: {len(missing)} queried pool indices have no row: {_few(missing)}"
            )
        empty = [int(i) for i in indices if not by_index[int(i)][0]]
        if empty:
            raise LabelsPending(
                f"{source}: {len(empty)} of {len(indices)} examples still have no label "
                f"(pool index {_few(empty)}): fill them with {self._allowed()}; then re-run "
                "the same command to continue"
            )
        return np.asarray(
            [self._class_id(*by_index[int(i)], int(i), source) for i in indices], np.int64
        )

    def _class_id(self, text: str, where: str, index: int, source: str) -> int:
        """A class name (exact, else case-insensitive if unique), an integer class id, or "skip"
        (`SKIP`)."""
        found = answer_files.class_of(text, self.data.class_names)
        if found is not None:
            return found
        raise ValueError(
            f"{source}: {where} (pool index {index}) has label {answer_files.shown(text)}; "
            f"allowed: {self._allowed()}"
        )


def contact_sheet(
    images: np.ndarray, captions: list[str], *, columns: int = 10, tile: int = 96
) -> Image.Image:
    """A grid of images with a caption under each, for people to look at while labelling:
    `tfal.image_grid.caption_grid`, black on white, `columns` per row, tiles of about `tile` px."""
    return Image.fromarray(
        caption_grid(
            images,
            captions,
            columns=columns,
            tile=tile,
            gap=4,
            margin=4,
            background=(255, 255, 255),
            text=(0, 0, 0),
        )  # fmt: skip
    )


_POLL_SECONDS = 10.0
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def _task_documents(indices, urls, cycle: int, names, confidences) -> list[dict]:
    """Label Studio tasks of a query, the model's guesses tagged with the cycle that made them."""
    version = "initial" if cycle < 0 else f"cycle {cycle}"
    return label_studio.tasks(
        indices, urls, guesses=names, confidences=confidences, model_version=version
    )


def _unanswered(answers: list[tuple[int, str, str]]) -> int:
    return sum(1 for _, text, _ in answers if not text.strip())


def _data_uri(data: bytes, suffix: str) -> str:
    """The image inline in the task (no file serving to set up in Label Studio)."""
    return f"data:{_MIME.get(suffix, 'image/png')};base64,{base64.b64encode(data).decode('ascii')}"


def _few(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:_SHOW])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _SHOW else "")
