"""The paper's agreement analysis (Appendix A, Table 3 and Figure 5), on numpy arrays.

After a cycle of a campaign, each acquisition function a^(k) picks its batch S^(k) from the same
model; the simulated oracle labels it and LP runs on L u S^(k), giving pseudo-labels y^(k) and
weights w^(k). Two strategies are compared on the examples unlabeled under both, U, with the mean
weights w = (w^(1) + w^(2)) / 2 and the weighted accuracy of eq. (13),

    A_{U,w}(z, z') = sum_{i in U} eta[w]_i delta(z_i, z'_i),   eta[w] = w / sum(w),

as agreement A(y^(1), y^(2)), as each strategy's accuracy A(y^(k), t) against the true labels t,
and restricted to the examples where the two agree (=) or disagree (!=), with the mean weights of
each subset: Table 3's columns. Figure 5's rank correlation compares the strategies' scores of U.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from scipy import stats


def weighted_accuracy(z: np.ndarray, z_other: np.ndarray, weights: np.ndarray) -> float:
    """Eq. (13): the eta[w]-weighted fraction of positions where z and z_other agree (nan if w sums to 0)."""
    z, z_other, weights = np.asarray(z), np.asarray(z_other), np.asarray(weights, np.float64)
    if not (z.shape == z_other.shape == weights.shape) or z.ndim != 1:
        raise ValueError(
            f"z, z_other and weights must be 1-D of one length, got {z.shape}, "
            f"{z_other.shape}, {weights.shape}"
        )
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative")
    total = weights.sum()
    if total == 0:
        return float("nan")
    return float(np.sum(weights[z == z_other]) / total)


@dataclasses.dataclass(frozen=True)
class Propagated:
    """One strategy's outcome on the whole pool: its batch, then LP's pseudo-labels and weights."""

    selected: np.ndarray  # int64 [b]
    pseudo_labels: np.ndarray  # int64 [n]
    weights: np.ndarray  # float [n]


@dataclasses.dataclass(frozen=True)
class Agreement:
    """One row of Table 3: `strategy` against `reference` on their common U (percent, weights)."""

    strategy: str
    reference: str
    num_unlabeled: int
    agree_percent: float  # unweighted share of U where the pseudo-labels agree
    weighted_agreement: float  # A_{U,w}(y, y_ref), percent
    accuracy: float  # A_{U,w}(y, t), percent
    reference_accuracy: float  # A_{U,w}(y_ref, t), percent
    accuracy_agree: float  # on the agreeing subset (=)
    accuracy_disagree: float  # on the disagreeing subset (!=)
    weight_agree: float  # mean w on (=)
    weight_disagree: float  # mean w on (!=)


def compare(
    strategy: str,
    outcome: Propagated,
    reference: str,
    reference_outcome: Propagated,
    *,
    labeled_idx: np.ndarray,
    true_labels: np.ndarray,
) -> Agreement:
    """Table 3's measurements of `strategy` against `reference` (both after the same cycle)."""
    n = len(true_labels)
    unlabeled = np.ones(n, bool)
    unlabeled[np.asarray(labeled_idx, np.int64)] = False
    unlabeled[outcome.selected] = False
    unlabeled[reference_outcome.selected] = False
    y = outcome.pseudo_labels[unlabeled]
    y_ref = reference_outcome.pseudo_labels[unlabeled]
    t = np.asarray(true_labels)[unlabeled]
    w = 0.5 * (outcome.weights[unlabeled] + reference_outcome.weights[unlabeled])
    same = y == y_ref

    def percent(value: float) -> float:
        return 100.0 * value

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else float("nan")

    return Agreement(
        strategy=strategy,
        reference=reference,
        num_unlabeled=int(unlabeled.sum()),
        agree_percent=percent(mean(same.astype(np.float64))),
        weighted_agreement=percent(weighted_accuracy(y, y_ref, w)),
        accuracy=percent(weighted_accuracy(y, t, w)),
        reference_accuracy=percent(weighted_accuracy(y_ref, t, w)),
        accuracy_agree=percent(weighted_accuracy(y[same], t[same], w[same])),
        accuracy_disagree=percent(weighted_accuracy(y[~same], t[~same], w[~same])),
        weight_agree=mean(w[same]),
        weight_disagree=mean(w[~same]),
    )


def rank_correlations(scores: Mapping[str, np.ndarray]) -> dict[tuple[str, str], float]:
    """Spearman's rank correlation between every pair of strategies' scores of U (Figure 5)."""
    names = list(scores)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            out[(a, b)] = float(stats.spearmanr(scores[a], scores[b]).statistic)
    return out


def markdown(
    rows: list[Agreement], correlations: Mapping[tuple[str, str], float], *, title: str
) -> str:
    """Table 3's layout (one row per strategy against the reference) and Figure 5's correlations."""
    lines = [
        f"## {title}",
        "",
        "| strategy | vs | %agree | A(y, y_ref) | accuracy (13) | ref. accuracy | accuracy = | "
        "accuracy ≠ | avg weight = | avg weight ≠ | U |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.strategy} | {r.reference} | {r.agree_percent:.2f} | {r.weighted_agreement:.2f} "
            f"| {r.accuracy:.2f} | {r.reference_accuracy:.2f} | {r.accuracy_agree:.2f} "
            f"| {r.accuracy_disagree:.2f} | {r.weight_agree:.3f} | {r.weight_disagree:.3f} "
            f"| {r.num_unlabeled:,} |"
        )
    if correlations:
        lines += ["", "| scores of U | Spearman ρ |", "|---|---:|"]
        lines += [f"| {a} vs {b} | {rho:.3f} |" for (a, b), rho in correlations.items()]
    return "\n".join(lines) + "\n"
