"""Corrections: change a label a campaign already took, with its history.

    python -m tfal.relabel RUN_DIR --pool_index 17 --label cat --why "blurry, re-checked"
    python -m tfal.relabel RUN_DIR --csv corrections.csv      # columns pool_index,label[,why]
    python -m tfal.relabel RUN_DIR --history

A label may be a class name, a class id, or "skip" (the image leaves the pool); a skipped image
may get a class. Each change is recorded in state.json (`extra["corrections"]`: pool index, old,
new, when, why, and the first cycle that trains on it), written atomically with the label itself
under the run directory's lock, so a correction is never half applied. Finished cycles' rows in
results.jsonl stay as they were; the next cycle trains on the corrected labels. Only labeled or
skipped pool indices can be corrected: a pending one is answered in its query, an index never
asked is tfal's to choose.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import os
import sys
from collections.abc import Sequence

import numpy as np

from tfal import run_dir as run_dir_layout
from tfal import run_lock
from tfal.loop.state import SKIP, CampaignState, load_checked, save_state
from tfal.oracles.answers import SKIP_WORD, class_of, integer, shown


@dataclasses.dataclass(frozen=True)
class Correction:
    """One change asked for: a pool index, its new label (a class name, id or "skip"), why."""

    pool_index: int
    label: str
    why: str = ""


def class_id(label: str, class_names: Sequence[str]) -> int:
    """A class name (exact, else case-insensitive if unique), a class id, or "skip" (`SKIP`)."""
    found = class_of(label, class_names)
    if found is not None:
        return found
    allowed = ", ".join(class_names[:20]) + (", ..." if len(class_names) > 20 else "")
    raise ValueError(f"label {shown(label)}; allowed: a class name ({allowed}), its id, or 'skip'")


def apply(
    state: CampaignState, corrections: Sequence[Correction], class_names: Sequence[str], *,
    now: str | None = None,
) -> list[dict]:
    """Applies every correction to `state` or none (each is checked first); returns the history
    records added (a correction to the label it already has adds none)."""
    when = now or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    planned = [(c, class_id(c.label, class_names)) for c in corrections]
    for c, _ in planned:
        _check_index(state, c.pool_index)
    records = []
    for c, new in planned:
        old = _current(state, c.pool_index)
        if new == old:
            continue
        _move(state, c.pool_index, new)
        records.append({
            "pool_index": c.pool_index, "old": _name(old, class_names),
            "new": _name(new, class_names), "when": when, "why": c.why,
            "from_cycle": state.next_cycle,
        })  # fmt: skip
    state.corrections = [*state.corrections, *records]
    return records


def _check_index(state: CampaignState, index: int) -> None:
    if index in state.pending_query:
        raise ValueError(f"pool index {index} waits in the current query; answer it there")
    if index not in state.labeled_idx and index not in state.skipped:
        raise ValueError(
            f"pool index {index} was never labeled or skipped; allowed: one of the "
            f"{len(state.labeled_idx)} labeled or {len(state.skipped)} skipped indices"
        )


def _current(state: CampaignState, index: int) -> int:
    return state.labels[state.labeled_idx.index(index)] if index in state.labeled_idx else SKIP


def _name(label: int, class_names: Sequence[str]) -> str:
    return SKIP_WORD if label == SKIP else class_names[label]


def _move(state: CampaignState, index: int, new: int) -> None:
    """Sets the label of `index`, moving it between labeled and skipped (in its acquired
    record too) when it changes side."""
    if index in state.labeled_idx and new != SKIP:
        state.labels[state.labeled_idx.index(index)] = new
        return
    record = next((b for b in state.acquired if index in [*b["indices"], *b.get("skipped", [])]), None)
    if new == SKIP:  # labeled -> skipped
        k = state.labeled_idx.index(index)
        del state.labeled_idx[k], state.labels[k]
        state.skipped.append(index)
        if record is not None:
            record["indices"].remove(index)
            record.setdefault("skipped", []).append(index)
    else:  # skipped -> labeled
        state.skipped.remove(index)
        state.labeled_idx.append(index)
        state.labels.append(new)
        if record is not None:
            record["skipped"].remove(index)
            record["indices"].append(index)
            if not record["skipped"]:
                del record["skipped"]


def read_corrections(path: str) -> list[Correction]:
    """The rows of a corrections CSV: `pool_index`, `label` and an optional `why` column."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"pool_index", "label"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: header {reader.fieldnames}; expected pool_index,label[,why]")
        rows = list(reader)
    out = []
    for k, row in enumerate(rows, start=2):
        index = integer((row["pool_index"] or "").strip())
        if index is None:
            raise ValueError(f"{path}: row {k} has pool_index {shown(row['pool_index'])}; allowed: an integer")
        out.append(Correction(index, row["label"] or "", (row.get("why") or "").strip()))
    return out


def correct(run_dir: str, corrections: Sequence[Correction]) -> list[dict]:
    """Applies `corrections` to the campaign in `run_dir` under its lock; state.json is written
    atomically once, or not at all when one correction is refused."""
    with run_lock.hold(run_dir):
        path = run_dir_layout.path(run_dir, run_dir_layout.STATE)
        names, pool_size = _pool(run_dir)
        state = load_checked(path, pool_size=pool_size, num_classes=len(names))
        records = apply(state, corrections, names)
        if records:
            save_state(state, path)
        return records


def _pool(run_dir: str) -> tuple[list[str], int]:
    path = os.path.join(run_dir, run_dir_layout.POOL)
    if not os.path.exists(path):
        raise ValueError(f"{run_dir} holds no {run_dir_layout.POOL}: not a campaign that has labels yet")
    with np.load(path) as saved:
        return saved["class_names"].tolist(), len(saved["digests"])


def history(run_dir: str) -> list[dict]:
    path = run_dir_layout.path(run_dir, run_dir_layout.STATE)
    names, pool_size = _pool(run_dir)
    return load_checked(path, pool_size=pool_size, num_classes=len(names)).corrections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfal.relabel", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--pool_index", type=int)
    parser.add_argument("--label")
    parser.add_argument("--why", default="")
    parser.add_argument("--csv", help="a CSV of corrections: pool_index,label[,why]")
    parser.add_argument("--history", action="store_true", help="print the corrections so far")
    args = parser.parse_args(argv)
    try:
        if args.history:
            for r in history(args.run_dir):
                print(f"{r['when']}  pool index {r['pool_index']}: {r['old']} -> {r['new']} "
                      f"(from cycle {r['from_cycle']}) {r['why']}".rstrip())  # fmt: skip
            return 0
        if args.csv:
            corrections = read_corrections(args.csv)
        elif args.pool_index is not None and args.label is not None:
            corrections = [Correction(args.pool_index, args.label, args.why)]
        else:
            parser.error("give --pool_index and --label, or --csv, or --history")
        records = correct(args.run_dir, corrections)
    except (ValueError, OSError) as e:
        print(f"tfal.relabel: {e}", file=sys.stderr)
        return 2
    for r in records:
        print(f"pool index {r['pool_index']}: {r['old']} -> {r['new']} (cycle {r['from_cycle']} "
              "on trains on it)")  # fmt: skip
    if not records:
        print("nothing changed: every label given is the one the campaign has")
    return 0


if __name__ == "__main__":
    sys.exit(main())
