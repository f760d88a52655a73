"""The campaign state: what has been labeled and acquired, written atomically after every cycle.

`state.json` is the source of truth of a campaign: which pool indices carry which oracle labels,
what each cycle acquired, and which cycle comes next. It is written to a temporary file, fsynced
and renamed over the old one, so a crash (or a full disk) leaves the previous state intact.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any


class StateError(ValueError):
    """state.json is unreadable or inconsistent; it is never overwritten in that case."""


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
      extra: strategy-specific state (e.g. CEAL pseudo-labels for the next cycle).
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
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def add_labels(self, cycle: int, indices: list[int], labels: list[int]) -> None:
        """Records S_j and LABEL(S_j) (Algorithm 1 lines 13-14), refusing any index labeled twice."""
        already = set(self.labeled_idx).intersection(indices)
        if already or len(set(indices)) != len(indices):
            raise StateError(
                f"cycle {cycle}: indices {sorted(already) or indices} would be labeled twice"
            )
        self.labeled_idx.extend(int(i) for i in indices)
        self.labels.extend(int(y) for y in labels)
        self.acquired.append({"cycle": int(cycle), "indices": [int(i) for i in indices]})


def save_state(state: CampaignState, path: str) -> None:
    """Atomic write: temp file in the same directory, fsync, rename over `path`."""
    data = json.dumps(dataclasses.asdict(state), indent=1, sort_keys=True)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_state(path: str) -> CampaignState:
    """Reads state.json; a truncated or inconsistent file raises StateError (and is left as it is)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        state = CampaignState(**data)
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as e:
        raise StateError(f"{path} is corrupt or truncated ({e}); it was left untouched") from e
    if len(state.labeled_idx) != len(state.labels) or len(set(state.labeled_idx)) != len(
        state.labeled_idx
    ):
        raise StateError(
            f"{path} is inconsistent: labeled_idx and labels differ in length or repeat"
        )
    return state
