"""The cycle loop: Algorithm 1 of the paper, one small method per line.

    1  U <- I \\ L
    2  theta_0 <- PRE(X)                                 _pretrain
    3  for each cycle j:
    4      theta <- SUP(X, L, y; theta_0)                step: training.run (tfal.loop.training)
    5-8    for each epoch: LP, then SEMI on L u U        (SemiSupervisedTraining; warm_epochs)
    9-12   S <- acquire b examples greedily              step: acquisition (tfal.loop.acquire)
    13-14  y <- (y, LABEL(S)); L <- L u S                 _answer_pending, take_labels (also teach)

This class is the composition root: gin configures it, and it alone talks to the oracle, the run
directory and the loggers; one cycle's training is its own room (`tfal.loop.training`, chosen
once by the setting). `run` is `begin` then `step` per cycle. LP and acquisition are pure
functions on numpy arrays.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Annotated

import gin
import numpy as np

from tfal import acquisition, fault_points, interrupt, seeds
from tfal import run_dir as run_dir_layout
from tfal.config_types import (
    BatchSize,
    Count,
    EpochsOrNone,
    OneOf,
    PlainName,
    Range,
    Seed,
    configurable,
)
from tfal.data.pipeline import Augmentation
from tfal.data.sources import Dataset
from tfal.loop import acquire, initial, pool_identity
from tfal.loop.checkpoints import CycleCheckpoints
from tfal.loop.constraints import check_sizes
from tfal.loop.logger import CampaignLogger, timed
from tfal.loop.pool_model import PoolModel
from tfal.loop.semi import SETTINGS, SemiSupervised
from tfal.loop.state import SKIP, CampaignState, save_state
from tfal.loop.stopping import Stability
from tfal.loop.training import cycle_training
from tfal.monitoring.keras_callbacks import KerasCallbacks
from tfal.oracles.protocol import Oracle, conform
from tfal.oracles.simulated import SimulatedOracle
from tfal.training import Trainer


@configurable(module="tfal.loop", denylist=["run_dir"])
class ActiveLearningLoop:
    """Runs a campaign of `num_cycles` active learning cycles in `run_dir`.

    Args:
      run_dir: where state.json, results.jsonl, checkpoints/, tensorboard/ and export/ live.
      dataset: the pool and test split (e.g. `@tfal.data.tfds_dataset()`).
      trainer_fn: Trainer factory (num_classes, input_shape) -> Trainer.
      strategy: acquisition function, e.g. `@tfal.acquisition.random` (see gin_configs/strategy/).
      oracle_fn: Dataset -> oracle (simulated: the true labels; human: asks people).
      labels_per_class: L0 holds labels_per_class x num_classes images.
      initial_selection: how L0 is chosen (`tfal.loop.initial`): 'auto' (balanced with a simulated
        oracle, label-free 'imsat' without true labels), 'balanced', 'random', 'typiclust',
        'probcover', 'imsat'.
      budget: b, examples acquired per cycle.
      num_cycles: cycles 0..num_cycles-1 (the paper runs 5); no acquisition after the last.
      seed: campaign seed: every random draw of the campaign derives from it (`tfal.seeds`): L0,
        the network's initial weights, dropout, sampling, augmentation, LP, acquisition, PRE.
      sup_epochs, sup_batch_size: SUP on L (Table 1: 200 epochs; batch 32, MNIST 10); with SEMI,
        `SemiSupervised.sup_epochs` may override the epochs (0: no SUP, as the authors' code).
      augmentation: translation/flip settings (section 6.1).
      semi: SEMI settings, or None for supervised-only cycles (baseline / PRE settings).
      pretrain: PRE (DeepCluster) component, or None.
      ceal_pseudo_labels: CEAL's pseudo-labelling of confident examples (eq. 7), or None.
      eval_batch_size: batch size of extraction and evaluation (inference only).
      model_name: name of the exported model (RUN_DIR/export/<model_name>/<version>).
      grow_pool: accept a resumed campaign's pool that grew since it started: images added to the
        folder are appended after the recorded ones, whose pool indices (and labels) stay; a
        removed or changed image is still refused (`tfal.loop.pool_identity`).
      mc_dropout_samples: stochastic forward passes for strategies that take MC-dropout
        probabilities (BALD).
      export: write each cycle's model as a TF Serving version (RUN_DIR/export/).
      checkpoints: write checkpoints inside a cycle (after SUP and every SEMI epoch), so a killed
        cycle resumes mid-way; without them it is redone from its start.
      callbacks: a user's `keras.callbacks.Callback`s, told of SUP and SEMI epochs
        (`tfal.monitoring.keras_callbacks`; from Python, not gin).
    """

    def __init__(
        self,
        run_dir: str,
        *,
        dataset: Dataset = gin.REQUIRED,
        trainer_fn: Callable[..., Trainer] = Trainer,
        strategy: Callable[..., np.ndarray] = acquisition.random,
        oracle_fn: Callable[..., Oracle] = SimulatedOracle,
        labels_per_class: Count = 1,
        initial_selection: Annotated[str, OneOf(initial.SELECTIONS)] = "auto",
        budget: Count = 10,
        num_cycles: Annotated[int, Range(1, 10_000)] = 5,
        seed: Seed = 0,
        sup_epochs: EpochsOrNone = 200,
        sup_batch_size: BatchSize = 32,
        augmentation: Augmentation | None = None,
        semi: SemiSupervised | None = None,
        pretrain=None,
        ceal_pseudo_labels: Callable | None = None,
        eval_batch_size: BatchSize = 1000,
        model_name: PlainName = "tfal",
        grow_pool: bool = False,
        mc_dropout_samples: Annotated[int, Range(1, 1000)] = 20,
        export: bool = True,
        checkpoints: bool = True,
        callbacks: Sequence = (),
    ):
        self.run_dir = run_dir
        self.state_path = run_dir_layout.path(run_dir, run_dir_layout.STATE)
        # A resumed campaign's pool and state are checked once, here, before anything is written.
        dataset, self._pool_recorded, self._resumed = pool_identity.check_resumed(
            run_dir, self.state_path, dataset, grow=grow_pool
        )
        check_sizes(
            dataset, labels_per_class=labels_per_class, budget=budget, semi=semi,
            sup_epochs=sup_epochs,
        )  # fmt: skip
        self.data, self.strategy, self.seed = dataset, strategy, seed
        self.oracle = conform(oracle_fn(dataset, run_dir=run_dir))
        self.labels_per_class, self.budget, self.num_cycles = labels_per_class, budget, num_cycles
        self.initial_selection = initial.resolve(initial_selection, self.oracle)
        self.sup_epochs, self.sup_batch_size = sup_epochs, sup_batch_size
        self.semi, self.pretrain, self.ceal_pseudo_labels = semi, pretrain, ceal_pseudo_labels
        self.eval_batch_size, self.model_name, self.export = eval_batch_size, model_name, export
        self._theta0: list[np.ndarray] | None = None
        # The network (and its outputs, `tfal.models.contract`) is checked before anything is written.
        self.model = PoolModel.build(
            dataset, trainer_fn=trainer_fn, augmentation=augmentation, seed=seed,
            batch_size=eval_batch_size,
        )  # fmt: skip
        self.trainer_fn, self.trainer, self.pipeline = trainer_fn, self.model.trainer, self.model.pipeline
        os.makedirs(run_dir, exist_ok=True)
        self.log = CampaignLogger(
            run_dir, num_cycles=num_cycles, seed=seed, class_names=dataset.class_names,
            callbacks=KerasCallbacks(callbacks, self.trainer.model),
        )  # fmt: skip
        self.checkpoints = CycleCheckpoints(run_dir, within_cycles=checkpoints)
        self.stability = Stability()  # gin: Stability.stop_set_size, .window, .threshold
        self.acquisition = acquire.Acquisition(
            strategy, model=self.model, oracle=self.oracle, budget=budget, campaign_seed=seed,
            lp_config=semi, mc_dropout_samples=mc_dropout_samples,
            ceal_pseudo_labels=ceal_pseudo_labels,
        )  # fmt: skip
        self.training = cycle_training(
            semi, true_labels=self.oracle.true_labels_for_diagnostics(), trainer=self.trainer,
            model=self.model, checkpoints=self.checkpoints, log=self.log, seed=seed,
            sup_epochs=sup_epochs, sup_batch_size=sup_batch_size,
        )  # fmt: skip

    @property
    def setting(self) -> str:
        """The paper's name for this combination of PRE and SEMI (section 6.1, Baselines)."""
        return SETTINGS[(self.pretrain is not None, self.semi is not None)]

    def export_dir(self) -> str:
        """RUN_DIR/export/<model_name>: one TF Serving version per cycle."""
        return run_dir_layout.export_dir(self.run_dir, self.model_name)

    # ---- Algorithm 1 -------------------------------------------------------------------------
    def start(self) -> CampaignState:
        """Loads (and checks) state.json of a resumed campaign, or draws L0 of a new one and saves
        it as the first query (line 1); records the pool the labels belong to, once."""
        state = self._resumed
        if state is None:
            state = CampaignState(
                dataset=self.data.name, strategy=acquisition.strategy_name(self.strategy),
                setting=self.setting, seed=self.seed, num_cycles=self.num_cycles,
            )  # fmt: skip
            state.initial_selection = self.initial_selection
            state.pending_query = initial.choose(
                self.initial_selection, oracle=self.oracle, images=self.data.x_pool,
                num_classes=self.data.num_classes, labels_per_class=self.labels_per_class,
                rng=seeds.rng(self.seed, 0, "initial"),
            ).tolist()  # fmt: skip
            save_state(state, self.state_path)
        else:
            logging.info(
                "resuming %s at cycle %d (%d labeled)",
                self.run_dir, state.next_cycle, len(state.labeled_idx),
            )  # fmt: skip
        if not self._pool_recorded:
            pool_identity.record(self.run_dir, self.data)
            self._pool_recorded = True
        return state

    def run(self, state: CampaignState | None = None) -> CampaignState:
        """Runs (or resumes) the campaign to the end from `start()`'s state; returns the final one."""
        state = self.start() if state is None else state
        self.begin(state)
        while self.cycles_left(state):
            self.step(state)
        self.log.campaign_ended()
        return state

    def cycles_left(self, state: CampaignState) -> bool:
        """Whether another cycle runs: cycles are left and the stopping rule has not held."""
        return state.next_cycle < self.num_cycles and "stopped_early" not in state.extra

    def begin(self, state: CampaignState) -> None:
        """Before the first cycle of this run: a query answered since the last run is taken."""
        self.log.campaign_started(step_offset=state.global_step)
        # Answers changed after their labels were taken are reported, never applied (a label
        # corrected with tfal.relabel is not such a change).
        corrected = {c["pool_index"] for c in state.corrections}
        kept = [(i, y) for i, y in zip(state.labeled_idx, state.labels, strict=True) if i not in corrected]
        for message in self.oracle.edited_answers([i for i, _ in kept], [y for _, y in kept]):
            logging.warning("%s", message)
        self._answer_pending(state)

    def step(self, state: CampaignState) -> None:
        """One cycle of Algorithm 1 (lines 4-12), then the oracle's answer to its query (13-14).

        Raises:
          LabelsPending: (an oracle of people) the query is waiting for its labels.
          ValueError: the campaign is finished, or a query is still unanswered.
        """
        cycle = state.next_cycle
        if not self.cycles_left(state):
            raise ValueError(f"the campaign is finished: {cycle} of its {self.num_cycles} cycles ran")
        if state.pending_query:
            raise ValueError(
                f"{len(state.pending_query)} queried examples have no label yet; answer them first"
            )
        interrupt.check(f"cycle {cycle}")
        theta0 = self._pretrain()  # line 2, once: PRE keeps theta_0 in the run directory
        timings: dict[str, float] = {}
        self.training.run(cycle, state, theta0, timings)  # lines 4-8: SUP, then LP + SEMI
        with timed(timings, "evaluate"):
            evaluation = self.model.evaluate(f"cycle {cycle} evaluate")
        signals = self._stability(cycle, state)
        fault_points.reached("evaluated", cycle)
        num_labeled = len(state.labeled_idx)
        if self.export:
            with timed(timings, "export"):  # TF Serving version cycle + 1
                self.model.export(self.export_dir(), version=cycle + 1)
        if self.training.keeps_final(cycle):  # the next cycle's start (warm_epochs)
            self.checkpoints.save_final(self.trainer.model.get_weights(), cycle=cycle)
        stop = signals.get("stop_rule_holds", False)
        if stop and cycle + 1 < self.num_cycles:
            state.extra["stopped_early"] = cycle  # the rule held: no more labels are asked
        if cycle + 1 < self.num_cycles and not stop:
            with timed(timings, "acquire"):  # lines 9-12
                acquired = self.acquisition(cycle, state.asked())
            state.pending_query = acquired.selected.tolist()
            if acquired.ceal is not None:
                state.ceal_pseudo_labels = acquired.ceal
        state.next_cycle = cycle + 1
        state.finished = state.next_cycle == self.num_cycles or stop
        state.global_step = self.log.cycle_steps_done(self.trainer.optimizer_step())
        # The row first: a kill in between writes it again, replacing it (tfal.monitoring.results).
        self.log.cycle(
            cycle, state, num_labeled=num_labeled, evaluation=evaluation, timings=timings,
            signals=signals,
        )  # fmt: skip
        fault_points.reached("results_row", cycle)
        save_state(state, self.state_path)
        self.checkpoints.remove(cycle)
        self._answer_pending(state)  # lines 13-14

    def _stability(self, cycle: int, state: CampaignState) -> dict:
        """The stopping signal of this cycle's model (`tfal.loop.stopping`); {} when off."""
        if not self.stability.stop_set_size:
            return {}
        stop_set = self.stability.stop_set(len(self.data.x_pool), self.seed, state.extra)
        predictions = self.model.predict_classes(stop_set, f"cycle {cycle} stop set")
        return self.stability.after_cycle(predictions, state.extra, self.data.num_classes)

    def _pretrain(self) -> list[np.ndarray] | None:
        """theta_0 <- PRE(X): unsupervised pre-training once per campaign (None without PRE)."""
        if self.pretrain is None or self._theta0 is not None:
            return self._theta0
        self._theta0 = self.pretrain.run(
            self.trainer,
            self.pipeline,
            run_dir=self.run_dir,
            results=self.log.results,
            seed=self.seed,
            diagnostic_labels=self.oracle.true_labels_for_diagnostics(),
            on_epoch=self.log.pretrain_epoch,
        )
        return self._theta0

    def _answer_pending(self, state: CampaignState) -> None:
        """y <- (y, LABEL(S)); L <- L u S (lines 13-14): only the oracle knows the labels.

        The query is saved in the state before the oracle is asked, so a human oracle can take days
        (LabelsPending stops the run) and a crash in between loses nothing.
        """
        if not state.pending_query:
            return
        last = self.acquisition.last  # the model's guesses, shown to people
        labels = self.oracle.label(
            np.asarray(state.pending_query, np.int64), cycle=state.next_cycle - 1,
            probs=None if last is None else last.probs,
        )  # fmt: skip
        self.take_labels(state, labels)

    def take_labels(self, state: CampaignState, labels: np.ndarray) -> None:
        """The pending query's labels, in its order (`SKIP` for a skipped image), into the state
        (saved at once) and the logs. Skips count against the budget; an L0 skipped whole is
        drawn again, uniformly from what nobody skipped (cycle 0 needs a label)."""
        query, labels = np.asarray(state.pending_query, np.int64), np.asarray(labels, np.int64)
        acquired = state.answer_query(labels)
        if not state.labeled_idx:
            state.pending_query = initial.redraw(
                state.unlabeled(len(self.data.x_pool)),
                size=self.labels_per_class * self.data.num_classes,
                rng=seeds.rng(self.seed, 0, "initial", epoch=len(state.skipped)),
            ).tolist()
        save_state(state, self.state_path)
        kept = labels != SKIP
        if not kept.all():
            logging.info("%d of %d queried images skipped; out of the pool for good",
                         int((~kept).sum()), len(query))  # fmt: skip
        if acquired:
            self.log.acquired(self.data.x_pool[query[kept]], labels[kept], len(state.labeled_idx))
