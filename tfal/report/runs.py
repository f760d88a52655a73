"""Reads one run directory (`state.json` + `results.jsonl`) into the numbers a report needs."""

from __future__ import annotations

import dataclasses
import json
import os

from tfal import run_dir as run_dir_layout
from tfal.monitoring.results import read_results

REQUIRED_STATE_KEYS = ("dataset", "strategy", "setting", "seed")


class NotARunDirError(ValueError):
    """A path given as a run directory has no readable `state.json`."""


@dataclasses.dataclass(frozen=True)
class CycleResult:
    """Test accuracy (0..1) after training at one cycle, with the labels used to train."""

    num_labeled: int
    test_accuracy: float


@dataclasses.dataclass(frozen=True)
class Run:
    """What a report needs from one run directory.

    Attributes:
        path: the run directory.
        dataset, setting, strategy, seed: from `state.json`.
        finished: whether the campaign completed all its cycles.
        cycles: cycle index -> result, from the last `"stage": "cycle"` row of each cycle (a
            resumed run may have logged a cycle twice; the last row is the one that counts).
        bindings: "Configurable.param" -> value text, from the run's `config.gin` (what
            `--group_by` reads); empty for a directory without one.
    """

    path: str
    dataset: str
    setting: str
    strategy: str
    seed: int
    finished: bool
    cycles: dict[int, CycleResult]
    bindings: dict[str, str] = dataclasses.field(default_factory=dict)


def load_run(path: str) -> Run:
    """Reads `path/state.json` and `path/results.jsonl`.

    Raises:
        NotARunDirError: `path` is not a directory with a `state.json`, or the file lacks a key.
    """
    state_file = run_dir_layout.path(path, run_dir_layout.STATE)
    if not os.path.isfile(state_file):
        raise NotARunDirError(f"not a run directory (no state.json): {path}")
    try:
        with open(state_file, encoding="utf-8") as f:
            state = json.load(f)
    except json.JSONDecodeError as err:
        raise NotARunDirError(f"unreadable state.json in {path}: {err}") from err
    missing = [key for key in REQUIRED_STATE_KEYS if key not in state]
    if missing:
        raise NotARunDirError(f"state.json in {path} lacks {missing}")
    return Run(
        path=path,
        dataset=str(state["dataset"]),
        setting=str(state["setting"]),
        strategy=str(state["strategy"]),
        seed=int(state["seed"]),
        finished=bool(state.get("finished", False)),
        cycles=_cycle_results(run_dir_layout.path(path, run_dir_layout.RESULTS)),
        bindings=_bindings(run_dir_layout.path(path, run_dir_layout.CONFIG)),
    )


def _bindings(config_file: str) -> dict[str, str]:
    """`A.b = value` lines of a gin config (gin.config_str() writes one binding per line)."""
    if not os.path.isfile(config_file):
        return {}
    out = {}
    with open(config_file, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.partition("=")
            if sep and not line.startswith(("#", " ")) and "." in name:
                out[name.strip()] = value.strip()
    return out


def _cycle_results(results_file: str) -> dict[int, CycleResult]:
    cycles: dict[int, CycleResult] = {}
    for row in read_results(results_file):
        if row.get("stage") != "cycle":
            continue
        missing = [k for k in ("cycle", "num_labeled", "test_accuracy") if k not in row]
        if missing:
            raise ValueError(f"a cycle row of {results_file} lacks {missing}: {row}")
        cycles[int(row["cycle"])] = CycleResult(
            num_labeled=int(row["num_labeled"]), test_accuracy=float(row["test_accuracy"])
        )
    return dict(sorted(cycles.items()))
