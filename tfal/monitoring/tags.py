"""The campaign's TensorBoard scalars: every tag's name and its description, in one place.

TensorBoard groups charts by a tag's first path component, so each group is one part of
Algorithm 1 with one step axis:

* `train/` SUP training and `semi/` SEMI training, at the campaign's optimizer step;
* `lp/` label propagation's diagnostics, per SEMI epoch at the step its training ended;
* `cycle/`, `final/`, `test_class_accuracy/`, `time/`, `stop/` per cycle, at the NUMBER OF
  LABELS, so campaigns with different budgets line up like the paper's accuracy-vs-labels figures;
* `pretrain/` per PRE epoch.

`description(tag)` is what the writer attaches to each scalar (TensorBoard shows it beside the
chart); a scalar without one is refused, so a new tag cannot go undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ORACLE = (
    " Oracle diagnostic: uses the true labels of the unlabeled pool, which a real user does not "
    "have."
)
_PER_CALL = "over the optimizer steps of one compiled call (`Trainer.steps_per_call`) ending here"
_PER_CYCLE = " Step: number of labels."
_PER_EPOCH = " Step: the optimizer step at the end of the SEMI epoch."
_PER_STEP = " Step: the campaign's optimizer step."

SCALARS: dict[str, str] = {
    "train/loss": (
        f"SUP training loss (softmax cross-entropy on L, no L2 term), mean {_PER_CALL}." + _PER_STEP
    ),
    "train/learning_rate": "SUP learning rate (cosine rampdown of the phase)." + _PER_STEP,
    "semi/loss": (
        f"SEMI training loss (cross-entropy on mixed batches of L and pseudo-labeled U, U drawn "
        f"in proportion to LP's certainty weights, eq. (10)), mean {_PER_CALL}." + _PER_STEP
    ),
    "semi/learning_rate": (
        "SEMI learning rate (cosine rampdown over the cycle's SEMI epochs)." + _PER_STEP
    ),
    "semi/epoch_loss": "Mean SEMI training loss of the epoch (results.jsonl `loss`)." + _PER_EPOCH,
    "semi/images_per_second": "SEMI training throughput, images per second." + _PER_EPOCH,
    "semi/train_seconds": "Wall-clock seconds of the epoch's SEMI training." + _PER_EPOCH,
    "cycle/test_accuracy": (
        "Accuracy on the whole test split at the cycle's end (0-1)." + _PER_CYCLE
    ),
    "cycle/test_loss": (
        "Mean cross-entropy on the whole test split at the cycle's end (nats; probabilities "
        "clipped to [1e-7, 1 - 1e-7] as Keras does)." + _PER_CYCLE
    ),
    "final/test_accuracy": "Test accuracy of the campaign's last cycle (0-1)." + _PER_CYCLE,
    "stop/kappa": (
        "Cohen's kappa of this and the last cycle's predictions on the stop set (1: the labels "
        "stopped changing the model; tfal.loop.stopping)." + _PER_CYCLE
    ),
    "pretrain/loss": "Mean DeepCluster training loss of the PRE epoch. Step: PRE epoch.",
    "pretrain/nmi_prev": "NMI of this and the last PRE epoch's clusterings (0-1). Step: PRE epoch.",
    "pretrain/nmi": (
        "NMI of the PRE epoch's clusters with the pool's true classes (0-1). Step: PRE epoch."
        + ORACLE
    ),
}
# LP's diagnostics, per SEMI epoch
_LP = {
    "lp_accuracy": "Share of U whose LP pseudo-label is its true class (0-1).",
    "mean_weight": "Mean certainty weight of U's pseudo-labels (eq. (10), 0-1).",
    "cg_iterations": "Conjugate-gradient iterations of LP's solve (the most over classes).",
    "cg_residual": "Largest relative residual of LP's conjugate-gradient solves at their end.",
    "extract_seconds": "Wall-clock seconds extracting the pool's features for this LP.",
    "lp_seconds": "Wall-clock seconds of this LP: kNN graph, normalisation and CG solve.",
    "knn_seconds": "Wall-clock seconds of LP's kNN search.",
    "graph_seconds": "Wall-clock seconds building LP's affinity matrix from the kNN.",
    "cg_seconds": "Wall-clock seconds of LP's conjugate-gradient solve.",
}
SCALARS.update(
    {
        f"lp/{key}": text + _PER_EPOCH + (ORACLE if key == "lp_accuracy" else "")
        for key, text in _LP.items()
    }
)

_STAGES = {
    "sup": "SUP training",
    "extract": "extracting the pool's features for LP",
    "lp": "label propagation",
    "semi_train": "SEMI training",
    "evaluate": "evaluating on the test split",
    "export": "exporting the model for TF Serving",
    "acquire": "acquisition",
}
CLASS_ACCURACY = "test_class_accuracy/"
TIME = "time/"


def description(tag: str) -> str:
    """What the scalar `tag` is, its unit and step axis.

    Raises:
      ValueError: `tag` is none of the campaign's scalars.
    """
    if tag in SCALARS:
        return SCALARS[tag]
    if tag.startswith(CLASS_ACCURACY):
        name = tag[len(CLASS_ACCURACY) :]
        return (
            f"Accuracy on the test images of class {name} at the cycle's end (0-1): the "
            f"confusion matrix's diagonal over its row." + _PER_CYCLE
        )
    if tag.startswith(TIME) and tag.endswith("_seconds"):
        stage = tag[len(TIME) : -len("_seconds")]
        what = _STAGES.get(stage, f"the {stage} stage")
        return f"Wall-clock seconds of {what} in the cycle (results.jsonl `{stage}_seconds`)." + (
            _PER_CYCLE
        )
    raise ValueError(
        f"no description for the TensorBoard scalar {tag!r}; add it to tfal.monitoring.tags"
    )


def class_accuracy_tags(class_names: Sequence[str]) -> list[str]:
    """`test_class_accuracy/<name>` per class id: the name with what a tag cannot hold replaced
    by `_`, prefixed by the class id where two names would collide."""
    names = [re.sub(r"[^A-Za-z0-9_.\-]", "_", str(n)) or "_" for n in class_names]
    if len(set(names)) < len(names):
        names = [f"{i}_{n}" for i, n in enumerate(names)]
    return [CLASS_ACCURACY + n for n in names]
