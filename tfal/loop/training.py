"""One cycle's training, lines 4-8 of Algorithm 1: SUP on L, then (SEMI) per epoch LP and SEMI.

Chosen once per campaign (`cycle_training`): `SupervisedTraining` for the baseline and PRE
settings, `SemiSupervisedTraining` when SEMI is on. Each has a `plan` — the cycle's schedule of
optimizer steps and pool extractions — which is what it runs and what the cost estimate
(`tfal.loop.estimate`) counts, so the two cannot drift apart. Checkpoints inside a cycle (after SUP
and every SEMI epoch) let a killed cycle resume after its last finished epoch.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from tfal import fault_points, heap, lp, seeds
from tfal.data import sampling
from tfal.loop.checkpoints import CycleCheckpoints
from tfal.loop.logger import CampaignLogger, SemiEpoch, timed
from tfal.loop.pool_model import PoolModel
from tfal.loop.semi import SemiSupervised
from tfal.loop.state import CampaignState
from tfal.monitoring import console
from tfal.training import Trainer


@dataclasses.dataclass(frozen=True)
class LabeledPool:
    """The labeled pool of one cycle, fixed while the cycle trains: L, y and U = I \\ L.

    Attributes:
        labeled_idx, labels: int64 [|L|] pool indices of L and their labels.
        unlabeled_idx: int64 [n - |L|] U, ascending.
        train_idx, train_labels: SUP's training set: L, plus CEAL's confident pseudo-labelled
            examples of the last acquisition when CEAL is on (`state.ceal_pseudo_labels`).
    """

    labeled_idx: np.ndarray
    labels: np.ndarray
    unlabeled_idx: np.ndarray
    train_idx: np.ndarray
    train_labels: np.ndarray

    @classmethod
    def of(cls, state: CampaignState, pool_size: int) -> LabeledPool:
        idx, labels = np.asarray(state.labeled_idx, np.int64), np.asarray(state.labels, np.int64)
        train_idx, train_labels = idx, labels
        ceal = state.ceal_pseudo_labels
        if ceal is not None:
            train_idx = np.concatenate([idx, ceal.indices])
            train_labels = np.concatenate([labels, ceal.labels])
        return cls(idx, labels, state.unlabeled(pool_size), train_idx, train_labels)


@dataclasses.dataclass(frozen=True)
class CyclePlan:
    """What one cycle's training runs.

    Attributes:
        sup_steps: SUP's optimizer steps (0: no SUP).
        semi_epochs: SEMI epochs (0 without SEMI), each after an LP.
        semi_steps_per_epoch: optimizer steps of one SEMI epoch.
        embedding_lps: the LPs that extract the pool's embedding (the others run on pixels).
        warm: the cycle starts from the last cycle's final model, not theta_0.
    """

    sup_steps: int
    semi_epochs: int = 0
    semi_steps_per_epoch: int = 0
    embedding_lps: int = 0
    warm: bool = False

    @property
    def train_steps(self) -> int:
        return self.sup_steps + self.semi_epochs * self.semi_steps_per_epoch


class SupervisedTraining:
    """theta <- SUP(X, L, y; start) (line 4): the baseline and PRE settings' whole cycle."""

    def __init__(
        self,
        *,
        trainer: Trainer,
        model: PoolModel,
        checkpoints: CycleCheckpoints,
        log: CampaignLogger,
        seed: int,
        sup_epochs: int,
        sup_batch_size: int,
    ):
        self.trainer = trainer
        self.model = model
        self.pipeline = model.pipeline
        self.checkpoints = checkpoints
        self.log = log
        self.seed = seed
        self.sup_epochs = sup_epochs
        self.sup_batch_size = sup_batch_size

    def plan(self, cycle: int, *, num_train: int, num_unlabeled: int) -> CyclePlan:
        del cycle, num_unlabeled
        per_epoch = sampling.supervised_steps_per_epoch(num_train, self.sup_batch_size)
        return CyclePlan(sup_steps=self.sup_epochs * per_epoch)

    def keeps_final(self, cycle: int) -> bool:
        """Whether cycle j's final model is kept for cycle j + 1 (a warm start)."""
        del cycle
        return False

    def run(self, cycle: int, state: CampaignState, theta0, timings: dict[str, float]) -> None:
        """Trains cycle j from theta_0 (or the last cycle's model when warm), by its plan."""
        pool = LabeledPool.of(state, len(self.model.data.x_pool))
        plan = self.plan(cycle, num_train=len(pool.train_idx), num_unlabeled=len(pool.unlabeled_idx))
        self._train(cycle, pool, plan, theta0, timings)

    def _train(
        self, cycle: int, pool: LabeledPool, plan: CyclePlan, theta0, timings: dict[str, float]
    ) -> None:
        self._sup_phase(cycle, pool, plan, theta0, timings)

    def _sup_phase(
        self, cycle: int, pool: LabeledPool, plan: CyclePlan, theta0, timings: dict[str, float]
    ) -> None:
        """Line 4: from theta_0 or, warm, the last cycle's model."""
        with timed(timings, "sup"):
            start = self.checkpoints.start_of(cycle, theta0, warm=plan.warm)
            self._sup(cycle, pool, start, plan.sup_steps)
        fault_points.reached("sup_done", cycle)

    def _sup(self, cycle: int, pool: LabeledPool, start, steps: int) -> None:
        """Re-initialises to `start`, then trains on the labeled set only."""
        self.trainer.reset(start, dropout_seed=seeds.model_seed(self.seed, cycle, "dropout"))
        if steps == 0:  # the authors' code: the first LP runs straight on theta_0's features
            return
        rng = seeds.rng(self.seed, cycle, "sup")
        batches = sampling.supervised_batches(
            pool.train_idx, pool.train_labels, batch_size=self.sup_batch_size, num_steps=steps,
            rng=rng,
        )  # fmt: skip
        self.trainer.start_phase(steps)
        loss = self._train_epoch(f"cycle {cycle} SUP", batches, rng, steps, self.log.sup_steps)
        self.log.sup(
            cycle, steps=steps, loss=loss, num_examples=len(pool.train_idx),
            learning_rate=self.trainer.learning_rate(),
        )  # fmt: skip


    def _train_epoch(
        self, desc: str, batches, rng: np.random.Generator, steps: int, log_steps
    ) -> float:
        """`steps` optimizer steps on `batches`, with a progress bar and `log_steps` (the logger's
        SUP or SEMI callback) as callbacks; returns their mean loss, the one the bar shows."""
        self.log.epoch_started()
        with console.training(desc, steps) as progress:
            return self.trainer.train(
                self.pipeline.train_dataset(batches, rng), steps, desc=desc,
                callbacks=[progress, log_steps],
            )  # fmt: skip


class SemiSupervisedTraining(SupervisedTraining):
    """SUP, then per epoch (y_hat, w) <- LP(X, L, y, theta) and theta <- SEMI(...) (lines 4-8)."""

    def __init__(self, *, semi: SemiSupervised, true_labels: np.ndarray | None, **kwargs):
        super().__init__(**kwargs)
        self.semi = semi
        self.true_labels = true_labels  # oracle/ diagnostics only, never LP's input

    def plan(self, cycle: int, *, num_train: int, num_unlabeled: int) -> CyclePlan:
        semi = self.semi
        per_epoch = sampling.supervised_steps_per_epoch(num_train, self.sup_batch_size)
        epochs = semi.epochs_of(cycle)
        return CyclePlan(
            sup_steps=semi.sup_epochs_or(self.sup_epochs) * per_epoch,
            semi_epochs=epochs,
            semi_steps_per_epoch=semi.steps_per_epoch(num_unlabeled),
            embedding_lps=max(0, epochs - semi.pixel_epochs),
            warm=semi.warm(cycle),
        )

    def keeps_final(self, cycle: int) -> bool:
        return self.semi.warm(cycle + 1)

    def _train(
        self, cycle: int, pool: LabeledPool, plan: CyclePlan, theta0, timings: dict[str, float]
    ) -> None:
        """Resumes after the last finished epoch of a killed cycle (its checkpoint)."""
        epochs_done = self.checkpoints.restore(self.trainer, cycle=cycle)
        if epochs_done is None:
            self._sup_phase(cycle, pool, plan, theta0, timings)
            epochs_done = 0
            self.checkpoints.save(self.trainer, cycle=cycle, epochs_done=0)
            fault_points.reached("sup_checkpoint", cycle)
        for epoch in range(epochs_done, plan.semi_epochs):  # lines 5-8
            result, lp_part = self._label_propagation(cycle, epoch, pool, plan, timings)
            with timed(timings, "semi_train"):
                loss, train_seconds = self._semi_epoch(cycle, epoch, pool, plan, result)
            self.log.semi_epoch(
                SemiEpoch(
                    **lp_part, result=result, unlabeled=pool.unlabeled_idx,
                    last_of_cycle=epoch + 1 == plan.semi_epochs, train_seconds=train_seconds,
                    loss=loss, steps=plan.semi_steps_per_epoch, batch_size=self.semi.batch_size,
                    learning_rate=self.trainer.learning_rate(),
                    global_step=self.log.global_step(self.trainer.optimizer_step()),
                ),
                true_labels=self.true_labels,
            )  # fmt: skip
            self.checkpoints.save(self.trainer, cycle=cycle, epochs_done=epoch + 1)

    def _label_propagation(
        self, cycle: int, epoch: int, pool: LabeledPool, plan: CyclePlan, timings: dict
    ) -> tuple[lp.LPResult, dict]:
        """(y_hat, w) <- LP(X, L, y, theta) on embeddings extracted in inference mode (line 6);
        returns LP's result and the epoch record's LP fields (`SemiEpoch`)."""
        where = f"cycle {cycle} epoch {epoch + 1}/{plan.semi_epochs}"
        with timed(timings, "extract") as extract:
            on_pixels = self.semi.on_pixels(epoch)
            features = self.model.lp_features(on_pixels=on_pixels, desc=f"{where} extract")
        with (
            timed(timings, "lp") as label_propagation,
            console.stage(f"{where} LP (kNN graph, CG)", 1, "solve") as advance,
        ):
            result = lp.propagate(
                features, pool.labeled_idx, pool.labels, self.model.data.num_classes, self.semi,
                seed=self.seed,
            )  # fmt: skip
            advance(cg_iterations=result.diagnostics.cg_iterations)
        heap.release()  # the graph LP built and dropped: else the resident set keeps it
        return result, {
            "cycle": cycle,
            "epoch": epoch,
            "features": "pixels" if on_pixels else "embedding",
            "extract_seconds": extract.seconds,
            "lp_seconds": label_propagation.seconds,
        }

    def _semi_epoch(
        self, cycle: int, epoch: int, pool: LabeledPool, plan: CyclePlan, result: lp.LPResult
    ) -> tuple[float, float]:
        """theta <- SEMI(X, L u U, (y, y_hat), w; theta): one epoch of weighted mixed batches
        (line 7); returns its mean loss and its training's seconds."""
        steps = plan.semi_steps_per_epoch
        if epoch == 0:
            self.trainer.start_phase(steps * plan.semi_epochs)
        rng = seeds.rng(self.seed, cycle, "semi", epoch)
        batches = self.semi.epoch_batches(
            labeled_idx=pool.labeled_idx,
            labels=pool.labels,
            unlabeled_idx=pool.unlabeled_idx,
            pseudo_labels=result.pseudo_labels,
            weights=result.weights,
            rng=rng,
        )
        fault_points.reached("semi_train", cycle)
        desc = f"cycle {cycle} SEMI epoch {epoch + 1}/{plan.semi_epochs}"
        start = time.perf_counter()
        loss = self._train_epoch(desc, batches, rng, steps, self.log.semi_steps)
        return loss, time.perf_counter() - start


def cycle_training(
    semi: SemiSupervised | None, *, true_labels: np.ndarray | None, **kwargs
) -> SupervisedTraining:
    """The cycle's training for this campaign's setting, decided once."""
    if semi is None:
        return SupervisedTraining(**kwargs)
    return SemiSupervisedTraining(semi=semi, true_labels=true_labels, **kwargs)
