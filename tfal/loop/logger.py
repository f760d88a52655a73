"""What a campaign records as it runs: results.jsonl rows, TensorBoard, the console's cycle lines.

The cycle loop (`tfal.loop.cycle`) calls one method per event of Algorithm 1, as Keras calls its
callbacks, and knows nothing of where the records go. TensorBoard's groups and step axes (every
tag with its description: `tfal.monitoring.tags`):

* `train/*` (SUP) and `semi/*` (SEMI) per optimizer step, counted over the whole campaign
  (`step_offset` + the step within the cycle), so the cycles follow each other on one axis;
  `semi/*` throughput and `lp/*` per SEMI epoch at the global step its training ended;
* `cycle/*`, `final/*`, `test_class_accuracy/*`, `time/*`, `stop/*`, `acquired/*`,
  `lp/confusion` at the NUMBER OF LABELS, so campaigns with different budgets line up like the
  paper's accuracy-vs-labels figures;
* `pretrain/*` per PRE epoch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import gin
import numpy as np

from tfal import config_types
from tfal import run_dir as run_dir_layout
from tfal.loop.evaluation import Evaluation
from tfal.loop.state import CampaignState
from tfal.lp import LPResult
from tfal.monitoring import console, tags
from tfal.monitoring.keras_callbacks import KerasCallbacks
from tfal.monitoring.results import ResultsWriter
from tfal.monitoring.tensorboard import TensorBoardWriter

ACCURACY_METRICS = ("cycle/test_accuracy", "final/test_accuracy")
# What tells campaigns apart: the HParams dashboard's first columns, ticked from the start.
CAMPAIGN_HPARAMS = {
    "dataset": "The pool and test split.",
    "setting": "The paper's setting: baseline, pre, semi or pre_semi (with PRE, with SEMI).",
    "strategy": "The acquisition function.",
    "seed": "The campaign seed every random draw derives from.",
}
# results.jsonl "semi" row key -> its TensorBoard tag (the row's other keys are not plotted)
_SEMI_TAGS = {
    "lp_accuracy": "lp/lp_accuracy",
    "mean_weight": "lp/mean_weight",
    "cg_iterations": "lp/cg_iterations",
    "cg_residual": "lp/cg_residual",
    "extract_seconds": "lp/extract_seconds",
    "lp_seconds": "lp/lp_seconds",
    "knn_seconds": "lp/knn_seconds",
    "graph_seconds": "lp/graph_seconds",
    "cg_seconds": "lp/cg_seconds",
    "loss": "semi/epoch_loss",
    "train_seconds": "semi/train_seconds",
    "train_images_per_second": "semi/images_per_second",
}


@dataclasses.dataclass(frozen=True)
class SemiEpoch:
    """What one SEMI epoch did, as the cycle's training hands it to the logger once it ends.

    Attributes:
      cycle, epoch: where (epoch 0-based); last_of_cycle: the cycle's last SEMI epoch.
      result, unlabeled: LP's output and U (int64 pool indices).
      features: what LP ran on, "embedding" or "pixels".
      extract_seconds, lp_seconds, train_seconds: the epoch's three parts.
      loss, steps, batch_size, learning_rate: its training (mean loss, steps of that batch size,
        the rate at its end); global_step: the campaign's optimizer step at its end.
    """

    cycle: int
    epoch: int
    last_of_cycle: bool
    result: LPResult
    unlabeled: np.ndarray
    features: str
    extract_seconds: float
    lp_seconds: float
    train_seconds: float
    loss: float
    steps: int
    batch_size: int
    learning_rate: float
    global_step: int


class CampaignLogger:
    """Records one campaign's events in RUN_DIR/results.jsonl, RUN_DIR/tensorboard and on the console."""

    def __init__(
        self,
        run_dir: str,
        *,
        num_cycles: int,
        seed: int,
        class_names: Sequence[str],
        callbacks: KerasCallbacks | None = None,
    ):
        self.run_name = os.path.basename(os.path.normpath(run_dir))  # the HParams row's name
        self.results = ResultsWriter(run_dir_layout.path(run_dir, run_dir_layout.RESULTS))
        self.tensorboard = TensorBoardWriter(
            run_dir_layout.path(run_dir, run_dir_layout.TENSORBOARD)
        )
        self.num_cycles = num_cycles
        self.seed = seed
        self.class_names = list(class_names)
        self.step_offset = 0  # optimizer steps of the cycles before this one
        self._started = time.perf_counter()
        self._cycles_run = 0
        self.callbacks = callbacks or KerasCallbacks((), None)

    def campaign_started(self, step_offset: int) -> None:
        """A run (or a resumed one) starts: the console's time-left estimate counts from here."""
        self.step_offset = step_offset
        self._started, self._cycles_run = time.perf_counter(), 0
        self.callbacks.train_begin()

    def campaign_ended(self) -> None:
        """The run has run its last cycle (a user's callbacks' `on_train_end`)."""
        self.callbacks.train_end()

    def epoch_started(self) -> None:
        """A SUP phase or a SEMI epoch starts training."""
        self.callbacks.epoch_begin()

    # ---- training -----------------------------------------------------------------------------
    def cycle_steps_done(self, optimizer_step: int) -> int:
        """A cycle ended after `optimizer_step` steps of its own: the next cycle counts on from the
        campaign's step reached, which is returned for state.json (`CampaignState.global_step`)."""
        self.step_offset = self.global_step(optimizer_step)
        return self.step_offset

    def global_step(self, optimizer_step: int) -> int:
        """The campaign's step: the cycles before this one's steps, then the optimizer's count
        within this cycle (restored with a mid-cycle checkpoint)."""
        return self.step_offset + optimizer_step

    def sup_steps(self, chunk) -> None:
        """The Trainer's callback in SUP (`tfal.training.Chunk`): loss and learning rate."""
        self._steps("train", chunk)

    def semi_steps(self, chunk) -> None:
        """The Trainer's callback in SEMI (`tfal.training.Chunk`): loss and learning rate."""
        self._steps("semi", chunk)

    def _steps(self, group: str, chunk) -> None:
        self.tensorboard.scalars(
            {f"{group}/loss": chunk.loss, f"{group}/learning_rate": chunk.learning_rate},
            self.global_step(chunk.step),
        )

    def pretrain_epoch(self, row: Mapping[str, Any]) -> None:
        """PRE wrote its row to results.jsonl itself; TensorBoard gets its NMIs and loss."""
        values = {
            f"pretrain/{k}": row[k] for k in ("nmi", "nmi_prev", "loss") if row.get(k) is not None
        }
        self.tensorboard.scalars(values, step=row["epoch"])

    def sup(
        self, cycle: int, *, steps: int, loss: float, num_examples: int, learning_rate: float
    ) -> None:
        self.results.write(
            {"stage": "sup", "cycle": cycle, "steps": steps, "loss": loss,
             "num_examples": num_examples}
        )  # fmt: skip
        self.callbacks.epoch_end(loss=loss, learning_rate=learning_rate, cycle=cycle, semi=False)

    def semi_epoch(self, epoch: SemiEpoch, *, true_labels: np.ndarray | None) -> None:
        """One SEMI epoch, its LP and its training: one "semi" row, its `lp/*` (LP's diagnostics)
        and `semi/*` (training's loss and throughput) scalars, a user's callbacks. With a
        simulated oracle (`true_labels`), LP's accuracy on U, and at a cycle's last epoch its
        confusion matrix as an image: diagnostics computed here, never inside LP."""
        result, unlabeled = epoch.result, epoch.unlabeled
        d = result.diagnostics
        num_labeled = len(result.pseudo_labels) - len(unlabeled)
        row = {
            "stage": "semi",
            "cycle": epoch.cycle,
            "epoch": epoch.epoch,
            "num_labeled": num_labeled,
            "lp_features": epoch.features,
            "mean_weight": float(np.mean(result.weights[unlabeled])),
            "extract_seconds": epoch.extract_seconds,
            "lp_seconds": epoch.lp_seconds,
            "knn_seconds": d.knn_seconds,
            "graph_seconds": d.graph_seconds,
            "cg_seconds": d.cg_seconds,
            "cg_iterations": d.cg_iterations,
            "cg_residual": d.cg_residual,
            "loss": epoch.loss,
            "steps": epoch.steps,
            "train_seconds": epoch.train_seconds,
            "train_images_per_second": epoch.steps * epoch.batch_size / epoch.train_seconds,
        }
        if true_labels is not None:
            truth, pseudo = true_labels[unlabeled], result.pseudo_labels[unlabeled]
            row["lp_accuracy"] = float(np.mean(pseudo == truth))
            if epoch.last_of_cycle:
                c = len(self.class_names)
                matrix = np.zeros((c, c), np.int64)
                np.add.at(matrix, (truth, pseudo), 1)
                self.tensorboard.confusion(
                    "lp/confusion", matrix, self.class_names, num_labeled,
                    description="LP's pseudo-labels (columns) against the true classes (rows) on "
                    "U at the cycle's last SEMI epoch." + tags.ORACLE,
                )  # fmt: skip
        self.results.write(row)
        self.tensorboard.scalars(
            {tag: row[k] for k, tag in _SEMI_TAGS.items() if k in row}, epoch.global_step
        )
        self.callbacks.epoch_end(
            loss=epoch.loss, learning_rate=epoch.learning_rate, cycle=epoch.cycle, semi=True
        )

    # ---- labels and cycles --------------------------------------------------------------------
    def acquired(self, images: np.ndarray, labels: np.ndarray, num_labeled: int) -> None:
        """The oracle's answers to one acquisition (not to L0)."""
        self.tensorboard.images(
            "acquired/images", images, labels, step=num_labeled, class_names=self.class_names
        )
        self.tensorboard.histogram(
            "acquired/classes", labels, num_labeled, len(self.class_names),
            description="The oracle's labels of the images acquired for this cycle (class ids).",
        )  # fmt: skip

    def cycle(
        self,
        cycle: int,
        state: CampaignState,
        *,
        num_labeled: int,
        evaluation: Evaluation,
        timings: Mapping[str, float],
        signals: Mapping[str, Any] | None = None,
    ) -> None:
        """A finished cycle: its row, the test curves, the stages' seconds, the console line; with
        cycle 0 the campaign's hyperparameters (what it is first, so the HParams dashboard lists
        and ticks them, then every non-default gin binding) and gin config."""
        accuracy = evaluation.accuracy
        row = {
            "stage": "cycle",
            "cycle": cycle,
            "num_labeled": num_labeled,
            "test_accuracy": accuracy,
            "test_loss": evaluation.loss,
            "test_class_accuracy": list(evaluation.class_accuracy),
            "strategy": state.strategy,
            "setting": state.setting,
            "seed": self.seed,
            **{f"{k}_seconds": v for k, v in timings.items()},
            **(signals or {}),
        }
        self.results.write(dict(row))
        per_class = zip(tags.class_accuracy_tags(self.class_names), evaluation.class_accuracy,
                        strict=True)  # fmt: skip
        self.tensorboard.scalars(
            {
                "cycle/test_accuracy": accuracy,
                "cycle/test_loss": evaluation.loss,
                **{tag: value for tag, value in per_class if value is not None},
                **{f"time/{k}_seconds": v for k, v in timings.items()},
            },
            step=num_labeled,
        )
        if signals and signals.get("stop_kappa") is not None:
            self.tensorboard.scalars({"stop/kappa": signals["stop_kappa"]}, step=num_labeled)
        if cycle + 1 == self.num_cycles:
            self.tensorboard.scalars({"final/test_accuracy": accuracy}, step=num_labeled)
        if cycle == 0:
            campaign = {
                "dataset": state.dataset,
                "setting": state.setting,
                "strategy": state.strategy,
                "seed": self.seed,
            }
            self.tensorboard.hparams(
                {**campaign, **config_types.non_default_bindings()},
                metrics=ACCURACY_METRICS,
                trial_id=self.run_name,
                first=list(CAMPAIGN_HPARAMS),
                descriptions=CAMPAIGN_HPARAMS,
            )
            self.tensorboard.text(
                "config/operative_gin", gin.config.markdown(gin.operative_config_str()), step=0,
                description="Every gin parameter the campaign ran with (operative_config.gin).",
            )  # fmt: skip
        self.tensorboard.flush()
        self._cycles_run += 1
        console.line(
            console.cycle_line(
                cycle,
                self.num_cycles,
                num_labeled,
                accuracy,
                time.perf_counter() - self._started,
                self._cycles_run,
            )
        )


class Stopwatch:
    seconds: float = 0.0


@contextlib.contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[Stopwatch]:
    """Adds the block's wall seconds to timings[name]; the yielded stopwatch holds them too."""
    watch, start = Stopwatch(), time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start
        timings[name] = timings.get(name, 0.0) + watch.seconds
