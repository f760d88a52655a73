"""The campaign state: what has been labeled and acquired, written atomically after every cycle.

`state.json` is the source of truth of a campaign: which pool indices carry which oracle labels,
what each cycle acquired, and which cycle comes next. It is written to a temporary file, fsynced
and renamed over the old one, so a crash (or a full disk) leaves the previous state intact.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from tfal.atomic import write_atomically
from tfal.oracles.answers import SKIP


class StateError(ValueError):
    """state.json is unreadable or inconsistent; it is never overwritten in that case."""


@dataclasses.dataclass(frozen=True)
class PseudoLabels:
    """CEAL's confident pseudo-labels (eq. (7)) chosen at the last acquisition, for the next
    cycle's SUP: int64 pool indices and their predicted classes (state.json: extra["ceal"])."""

    indices: np.ndarray
    labels: np.ndarray

    def as_json(self) -> dict[str, list[int]]:
        return {"indices": [int(i) for i in self.indices], "labels": [int(y) for y in self.labels]}


@dataclasses.dataclass
class CampaignState:
    """Everything needed to continue a campaign (Algorithm 1's L, y and the cycle counter).

    Attributes:
      dataset, strategy, setting, seed: what the campaign is (setting: baseline, pre, semi, pre_semi).
      labeled_idx: pool indices labeled so far, in the order they were labeled.
      labels: the oracle's label for each entry of labeled_idx.
      acquired: per cycle {"cycle": j, "indices": [...]}: the batch S_j acquired after cycle j.
      next_cycle: the first cycle not finished yet ("N saved" means cycles 0..N-1 are done).
      num_cycles: cycles planned.
      finished: all cycles done.
      pending_query: indices asked of a human oracle and not answered yet (else empty).
      skipped: pool indices people skipped (junk, duplicates, no class), in the order they were
        answered: out of the pool for good, never asked again, never trained on.
      extra: what the typed properties below keep in state.json (its keys are the run
        directory's contract): "global_step", "initial_selection", "ceal", "corrections".
    """

    dataset: str
    strategy: str
    setting: str
    seed: int
    num_cycles: int
    labeled_idx: list[int] = dataclasses.field(default_factory=list)
    labels: list[int] = dataclasses.field(default_factory=list)
    acquired: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    next_cycle: int = 0
    finished: bool = False
    pending_query: list[int] = dataclasses.field(default_factory=list)
    skipped: list[int] = dataclasses.field(default_factory=list)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def global_step(self) -> int:
        """The campaign's optimizer steps over the finished cycles (TensorBoard's x axis)."""
        return int(self.extra.get("global_step", 0))

    @global_step.setter
    def global_step(self, value: int) -> None:
        self.extra["global_step"] = int(value)

    @property
    def initial_selection(self) -> str | None:
        """How L0 was chosen (`tfal.loop.initial`); None in a campaign older than the choice."""
        return self.extra.get("initial_selection")

    @initial_selection.setter
    def initial_selection(self, value: str) -> None:
        self.extra["initial_selection"] = str(value)

    @property
    def ceal_pseudo_labels(self) -> PseudoLabels | None:
        """CEAL's pseudo-labels for the next cycle's SUP, or None (no CEAL, or none confident)."""
        ceal = self.extra.get("ceal")
        if not ceal:
            return None
        return PseudoLabels(
            np.asarray(ceal["indices"], np.int64), np.asarray(ceal["labels"], np.int64)
        )

    @ceal_pseudo_labels.setter
    def ceal_pseudo_labels(self, value: PseudoLabels | None) -> None:
        if value is None:
            self.extra.pop("ceal", None)
        else:
            self.extra["ceal"] = value.as_json()

    @property
    def corrections(self) -> list[dict]:
        """Labels changed after they were taken (`tfal.relabel`): per change its pool_index,
        old, new, when, why and from_cycle (the first cycle that trains on it)."""
        return list(self.extra.get("corrections", []))

    @corrections.setter
    def corrections(self, value: list[dict]) -> None:
        if value:
            self.extra["corrections"] = list(value)

    def add_labels(
        self, cycle: int, indices: list[int], labels: list[int], skipped: Sequence[int] = ()
    ) -> None:
        """Records S_j and LABEL(S_j) (Algorithm 1 lines 13-14), refusing any index asked twice;
        `skipped`: the part of S_j people skipped (in the record's "skipped", when any)."""
        asked = [*indices, *skipped]
        already = set(self.labeled_idx).union(self.skipped).intersection(asked)
        if already or len(set(asked)) != len(asked):
            raise StateError(
                f"cycle {cycle}: indices {sorted(already) or asked} would be labeled twice"
            )
        self.labeled_idx.extend(int(i) for i in indices)
        self.labels.extend(int(y) for y in labels)
        self.skipped.extend(int(i) for i in skipped)
        record: dict[str, Any] = {"cycle": int(cycle), "indices": [int(i) for i in indices]}
        if skipped:
            record["skipped"] = [int(i) for i in skipped]
        self.acquired.append(record)

    def unlabeled(self, pool_size: int) -> np.ndarray:
        """U = I \\ (L u skipped): the pool indices still to learn from, int64 ascending."""
        mask = np.ones(pool_size, dtype=bool)
        mask[self.labeled_idx] = False
        mask[self.skipped] = False
        return np.flatnonzero(mask)

    def asked(self) -> np.ndarray:
        """int64 ascending: every pool index people answered (labeled or skipped); acquisition
        picks from the others."""
        return np.sort(np.asarray([*self.labeled_idx, *self.skipped], np.int64))

    def answer_query(self, labels: Sequence[int]) -> bool:
        """Takes the oracle's labels of `pending_query` (`SKIP` for a skipped image): the initial
        labeled set L0 before cycle 0, else the batch S of cycle `next_cycle - 1`. Returns whether
        it was an acquisition (not L0)."""
        query, labels = [int(i) for i in self.pending_query], [int(y) for y in labels]
        kept = [(i, y) for i, y in zip(query, labels, strict=True) if y != SKIP]
        skipped = [i for i, y in zip(query, labels, strict=True) if y == SKIP]
        acquired = self.next_cycle > 0
        if acquired:
            self.add_labels(self.next_cycle - 1, [i for i, _ in kept], [y for _, y in kept], skipped)
        else:
            self.labeled_idx.extend(i for i, _ in kept)
            self.labels.extend(y for _, y in kept)
            self.skipped.extend(skipped)
        self.pending_query = []
        return acquired


def save_state(state: CampaignState, path: str) -> None:
    """Atomic write of state.json (`write_atomically`)."""
    data = json.dumps(dataclasses.asdict(state), indent=1, sort_keys=True)
    write_atomically(path, data.encode("utf-8"))


def load_state(path: str) -> CampaignState:
    """Reads state.json; a damaged file of any kind raises StateError naming it (and is left as it is).

    Damage covers: truncated or empty, not an object, missing or unknown keys, values of the wrong
    type, negative or repeated pool indices, labels and indices of different lengths, acquired
    batches or a pending query inconsistent with the labeled set. What needs the dataset (indices
    beyond the pool, labels outside the classes) is `check_against_pool`'s.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StateError(f"{path} is corrupt or truncated ({e}); it was left untouched") from e
    problem = _structure_problem(data)
    if problem:
        raise StateError(f"{path} is damaged: {problem}; it was left untouched")
    return CampaignState(**data)


def load_checked(path: str, *, pool_size: int, num_classes: int) -> CampaignState:
    """`load_state`, then `check_against_pool`: a resumed campaign's state, refused if damaged or
    if it does not fit this pool and its classes."""
    state = load_state(path)
    check_against_pool(state, path, pool_size=pool_size, num_classes=num_classes)
    return state


def check_against_pool(
    state: CampaignState, path: str, *, pool_size: int, num_classes: int
) -> None:
    """Refuses a state whose indices fall outside the pool or whose labels are not class ids."""
    for key in ("labeled_idx", "pending_query", "skipped"):
        bad = [i for i in getattr(state, key) if i >= pool_size]
        if bad:
            raise StateError(
                f"{path} is damaged: {key} holds {bad[:5]}, beyond the pool of {pool_size}; "
                "it was left untouched"
            )
    bad = [y for y in state.labels if y >= num_classes]
    if bad:
        raise StateError(
            f"{path} is damaged: labels {bad[:5]} are not class ids 0..{num_classes - 1}; "
            "it was left untouched"
        )


_FIELD_TYPES = {
    "dataset": str,
    "strategy": str,
    "setting": str,
    "seed": int,
    "num_cycles": int,
    "labeled_idx": list,
    "labels": list,
    "acquired": list,
    "next_cycle": int,
    "finished": bool,
    "pending_query": list,
    "skipped": list,
    "extra": dict,
}


def _structure_problem(data: Any) -> str | None:
    """What is wrong with a parsed state.json, or None."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    required = {
        f.name for f in dataclasses.fields(CampaignState) if f.default is dataclasses.MISSING
    }
    required = {f for f in required if f not in ("extra", "skipped")}
    missing, unknown = sorted(required - data.keys()), sorted(data.keys() - _FIELD_TYPES.keys())
    if missing or unknown:
        return f"missing keys {missing}" if missing else f"unknown keys {unknown}"
    for key, value in data.items():
        kind = _FIELD_TYPES[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{key} is {value!r}, expected {kind.__name__}"
    for key in ("labeled_idx", "labels", "pending_query", "skipped"):
        values = data.get(key, [])
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
            return f"{key} must hold integers >= 0"
    labeled, labels = data["labeled_idx"], data["labels"]
    if len(labeled) != len(labels):
        return f"labeled_idx ({len(labeled)}) and labels ({len(labels)}) differ in length"
    if len(set(labeled)) != len(labeled):
        return "labeled_idx repeats a pool index"
    pending, skipped = data["pending_query"], data.get("skipped", [])
    if len(set(pending)) != len(pending) or set(pending) & set(labeled):
        return "pending_query repeats an index or asks for one already labeled"
    if len(set(skipped)) != len(skipped) or set(skipped) & (set(labeled) | set(pending)):
        return "skipped repeats an index or holds one labeled or pending"
    acquired = [i for batch in data["acquired"] for i in _batch_indices(batch)]
    if not set(acquired) <= set(labeled):
        return "acquired lists indices that are not in labeled_idx"
    if not 0 <= data["next_cycle"] <= data["num_cycles"]:
        return f"next_cycle {data['next_cycle']} outside 0..num_cycles ({data['num_cycles']})"
    return None


def _batch_indices(batch: Any) -> list:
    if not isinstance(batch, dict) or not isinstance(batch.get("indices"), list):
        return [-1]  # not a {"cycle", "indices"} record: never a subset of labeled_idx
    return batch["indices"]
