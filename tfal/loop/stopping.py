"""When to stop paying for labels: stabilising predictions (Bloodgood and Vijay-Shanker, CoNLL 2009).

After each cycle the model predicts a fixed stop set, pool images drawn once from the campaign seed
and never labeled for it. Cohen's kappa between two consecutive cycles' predictions measures how
much the last labels changed the model; when its mean over the last `window` cycles reaches
`threshold` (their 0.99), more labels of this kind are unlikely to change it (small-text's
KappaAverage). The signal needs no labels, so a user's campaign can use it.

Every cycle's row in results.jsonl gets `stop_kappa` and `stop_kappa_mean` (None until there are
enough cycles), TensorBoard `stop/kappa`; with `threshold` set, the campaign ends after the cycle
at which the rule holds (state.json `extra["stopped_early"]` says so). Off by default.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np

from tfal import seeds
from tfal.config_types import Range, configurable


def kappa(a: np.ndarray, b: np.ndarray, num_classes: int) -> float:
    """Cohen's kappa of two label vectors: (p_o - p_e) / (1 - p_e); 1.0 when both agree on one
    class everywhere (p_e = 1)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    observed = float(np.mean(a == b))
    expected = float(
        np.dot(np.bincount(a, minlength=num_classes), np.bincount(b, minlength=num_classes))
    ) / (len(a) ** 2)
    return 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


@configurable(module="tfal.loop")
class Stability:
    """Stabilising predictions on a stop set (module docstring).

    Args:
      stop_set_size: pool images in the stop set (the whole pool when it is smaller); 0: off.
      window: consecutive kappas averaged (small-text's KappaAverage uses 3).
      threshold: end the campaign once that average reaches it; None: only report.
    """

    def __init__(
        self,
        stop_set_size: Annotated[int, Range(0, 10_000_000)] = 1000,
        window: Annotated[int, Range(1, 100)] = 3,
        threshold: Annotated[float | None, Range(-1.0, 1.0)] = None,
    ):
        self.stop_set_size, self.window, self.threshold = stop_set_size, window, threshold

    def stop_set(self, pool_size: int, seed: int, extra: dict[str, Any]) -> np.ndarray:
        """int64 ascending pool indices, drawn once and kept in `extra` (state.json's
        "stability"): the same in every cycle, after a restart, and when the pool grows."""
        record = extra.setdefault("stability", {"kappas": []})
        if "stop_set" not in record:
            size = min(self.stop_set_size, pool_size)
            drawn = seeds.rng(seed, 0, "stop_set").choice(pool_size, size, replace=False)
            record["stop_set"] = sorted(int(i) for i in drawn)
        return np.asarray(record["stop_set"], np.int64)

    def after_cycle(
        self, predictions: np.ndarray, extra: dict[str, Any], num_classes: int
    ) -> dict[str, Any]:
        """This cycle's row fields; records the predictions and the kappa in `extra` (state.json's
        "stability") for the next cycle and a restart."""
        record = extra.setdefault("stability", {"kappas": []})
        previous = record.get("predictions")
        value = None if previous is None else kappa(previous, predictions, num_classes)
        if value is not None:
            record["kappas"].append(value)
        record["predictions"] = [int(p) for p in predictions]
        recent = record["kappas"][-self.window :]
        mean = float(np.mean(recent)) if len(recent) == self.window else None
        stop = self.threshold is not None and mean is not None and mean >= self.threshold
        return {"stop_kappa": value, "stop_kappa_mean": mean, "stop_rule_holds": bool(stop)}
