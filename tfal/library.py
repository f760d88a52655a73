"""`tfal.Campaign`: an active learning campaign driven from Python, step by step.

The CLI's campaign (`tfal.campaign`: the same lock, checks, run directory and records), built from
Python objects — a Keras model, numpy arrays or any `tfal.data` source, an oracle or none — and
driven modAL-style: `query()` gives the next batch with the model's guesses, `teach(indices,
labels)` answers it, `step()` runs one cycle and `run()` all of them. Every call continues the
campaign where it stands (state.json); nothing restarts from L0.

    campaign = tfal.Campaign(model=my_keras_classifier, data=(x_pool, x_test, y_test), budget=20)
    query = campaign.query()                      # L0: pool indices to label
    campaign.teach(query.indices, my_labels)      # class ids or class names
    query = campaign.query()                      # trains cycle 0, then asks the next batch
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import gin
import numpy as np

from tfal import acquisition, campaign, interrupt
from tfal.atomic import savez_atomically
from tfal.data import from_arrays, from_tf_data
from tfal.data.sources import Dataset
from tfal.loop import CampaignState
from tfal.loop.state import SKIP
from tfal.monitoring import read_results
from tfal.oracles import LabelsPending, SimulatedOracle, TaughtOracle
from tfal.oracles.answers import means_skip

SETTINGS = ("baseline", "pre", "semi", "pre_semi")
INITIAL_WEIGHTS = "initial_weights.npz"  # in RUN_DIR/checkpoints/: a given model's theta_0


@dataclasses.dataclass(frozen=True)
class Query:
    """A batch asked of the oracle.

    Attributes:
        indices: int64 [b] pool indices, in the order `teach` may answer them.
        images: uint8 [b, H, W, C] those pool images.
        guesses: the model's most likely class name per image (None for L0: no model yet, and
            after a restart: the model that chose them is not in memory).
        probabilities: float32 [b, c] the model's class probabilities, or None as `guesses`.
        cycle: the cycle that chose them (-1: the initial labeled set L0).
    """

    indices: np.ndarray
    images: np.ndarray
    guesses: list[str] | None
    probabilities: np.ndarray | None
    cycle: int

    def __len__(self) -> int:
        return len(self.indices)


class Campaign:
    """One campaign from Python (module docstring). Close it (or use `with`) to free its run dir.

    Args:
        data: the pool and test split: a `tfal.data.Dataset` (`tfds_dataset`, `image_folder_dataset`,
            `npz_dataset`, `from_arrays`), a tuple `(x_pool, x_test, y_test)` or `(x_pool, y_pool,
            x_test, y_test)` of uint8 arrays, a dict of `from_arrays`' arguments, or a pair of
            `tf.data.Dataset`s `(pool, test)`; None: the gin files' dataset.
        model: a Keras classifier (one output of class scores; `embedding_layer` names the layer
            whose output LP and CoreSet use, default the last layer's input) or a tfal model
            ({"embedding", "logits"} outputs). Its current weights are theta_0.
        embedding_layer: with a Keras classifier, the name of the layer whose output LP and
            CoreSet use (None: the last layer's input).
        model_fn: instead of `model`, a factory (num_classes, input_shape, seed) -> tfal model:
            the campaign seed draws its weights.
        gin_files: the rest of the configuration, as the CLI's `--gin_file` flags; the CLI can
            resume a campaign configured this way (config.gin).
        gin_bindings: as the CLI's `--gin_bindings`, applied after `gin_files`.
        run_dir: the run directory (None: a new temporary one, `run_dir` tells where).
        oracle: None (the program answers with `teach`), "simulated" (the pool's true labels,
            `y_pool`), or an oracle object (`tfal.oracles.Oracle`).
        strategy: the acquisition function by name (random, uncertainty, ...): a shorthand for
            `ActiveLearningLoop.strategy`.
        setting: baseline, pre, semi or pre_semi: a shorthand for `gin_configs/setting/<name>.gin`.
        budget: a shorthand for `ActiveLearningLoop.budget`.
        labels_per_class: a shorthand for `ActiveLearningLoop.labels_per_class`.
        num_cycles: a shorthand for `ActiveLearningLoop.num_cycles`.
        seed: a shorthand for `ActiveLearningLoop.seed`.
        sup_epochs: a shorthand for `ActiveLearningLoop.sup_epochs`.
        callbacks: `keras.callbacks.Callback`s told of SUP and SEMI epochs
            (`tfal.monitoring.keras_callbacks` says which hooks).
        export: write a SavedModel per cycle.
        checkpoints: write checkpoints inside a cycle.
        allow_config_change: resume a run directory under another configuration.
    """

    def __init__(
        self,
        *,
        data: Any = None,
        model=None,
        embedding_layer: str | None = None,
        model_fn=None,
        gin_files: Sequence[str] = (),
        gin_bindings: Sequence[str] = (),
        run_dir: str | None = None,
        oracle: Any = None,
        strategy: str | None = None,
        setting: str | None = None,
        budget: int | None = None,
        labels_per_class: int | None = None,
        num_cycles: int | None = None,
        seed: int | None = None,
        sup_epochs: int | None = None,
        callbacks: Sequence = (),
        export: bool = True,
        checkpoints: bool = True,
        allow_config_change: bool = False,
    ):
        files = list(gin_files) + ([f"gin_configs/setting/{_setting(setting)}.gin"] if setting else [])
        bindings = list(gin_bindings) + _shorthand_bindings(
            strategy=strategy, budget=budget, labels_per_class=labels_per_class,
            num_cycles=num_cycles, seed=seed, sup_epochs=sup_epochs,
        )  # fmt: skip
        gin.clear_config()  # the campaign's configuration is these files and bindings alone
        campaign.parse_gin(files, bindings, files_required=False)
        options, objects = _objects(data, model, embedding_layer, model_fn, oracle)
        self.run_dir = run_dir or tempfile.mkdtemp(prefix="tfal-campaign-")
        given_model = options.pop("model", None)
        if given_model is not None:
            _initial_weights(given_model, self.run_dir)
        self._stack = contextlib.ExitStack()
        try:
            self._loop, self.state = self._stack.enter_context(
                campaign.opened(
                    self.run_dir,
                    command=["python", "tfal.Campaign", *(f"--gin_file={f}" for f in files),
                             *(f"--gin_bindings={b}" for b in bindings)],
                    allow_config_change=allow_config_change,
                    objects=objects,
                    callbacks=callbacks, export=export, checkpoints=checkpoints, **options,
                )
            )  # fmt: skip
            self._begun = False
            if given_model is not None:
                _initial_weights(given_model, self.run_dir, keep=True)
        except ValueError as e:  # one line, as the CLI says it (gin appends where it was called)
            self._stack.close()
            text = str(e).strip()
            raise ValueError(text.splitlines()[0] if text else type(e).__name__) from e
        except BaseException:
            self._stack.close()
            raise

    # ---- the campaign ----------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """Whether every cycle has run."""
        return self.state.finished

    @property
    def model(self):
        """The current tfal model (keras.Model with {"embedding", "logits"} outputs)."""
        return self._loop.trainer.model

    @property
    def dataset(self) -> Dataset:
        return self._loop.data

    @property
    def results(self) -> list[dict]:
        """One row per finished cycle (results.jsonl's "cycle" rows: test_accuracy, num_labeled)."""
        rows = read_results(self._loop.log.results.path)
        return [r for r in rows if r["stage"] == "cycle"]

    def export_dir(self) -> str:
        """Where each cycle's SavedModel is (one TF Serving version per cycle)."""
        return self._loop.export_dir()

    def query(self) -> Query:
        """The batch waiting for labels; when none waits, runs the next cycle first (`step`).

        Raises:
          ValueError: the campaign is finished.
        """
        if not self.state.pending_query:
            self.step()
        if not self.state.pending_query:
            raise ValueError(f"the campaign is finished: {self._loop.num_cycles} cycles have run")
        indices = np.asarray(self.state.pending_query, np.int64)
        probs = self._loop.acquisition.guesses(indices)
        names = self.dataset.class_names
        return Query(
            indices=indices,
            images=self.dataset.x_pool[indices],
            guesses=None if probs is None else [names[k] for k in probs.argmax(axis=1)],
            probabilities=probs,
            cycle=self.state.next_cycle - 1,
        )

    def teach(self, indices: Sequence[int], labels: Sequence) -> None:
        """Answers the waiting batch: `labels[i]` (a class id or name, or "skip") is the label of pool index
        `indices[i]`; every queried index once, in any order. Saved in state.json at once."""
        pending = [int(i) for i in self.state.pending_query]
        given = [int(i) for i in np.asarray(indices).ravel()]
        labels = list(np.asarray(labels, dtype=object).ravel())
        if len(given) != len(labels):
            raise ValueError(f"{len(given)} indices but {len(labels)} labels; give one label each")
        if sorted(given) != sorted(pending):
            missing, extra = sorted(set(pending) - set(given)), sorted(set(given) - set(pending))
            raise ValueError(
                f"teach answers the waiting query of {len(pending)} pool indices exactly once each; "
                f"missing {missing[:10]}, not asked or repeated {extra[:10] or 'indices'}"
            )
        by_index = dict(zip(given, (self._class_id(y) for y in labels), strict=True))
        self._loop.take_labels(self.state, np.asarray([by_index[i] for i in pending], np.int64))

    def step(self) -> CampaignState:
        """Runs the next cycle (train, evaluate, export, acquire); returns the state.

        Raises:
          ValueError: the campaign is finished, or the waiting query has no labels yet.
        """
        with interrupt.deferred():
            self._begin()
            if self.state.pending_query:
                raise ValueError(
                    f"{len(self.state.pending_query)} queried examples wait for labels: "
                    "query() shows them, teach(indices, labels) answers"
                )
            with contextlib.suppress(LabelsPending):  # the next query waits for teach()
                self._loop.step(self.state)
            if self.finished:
                self._loop.log.campaign_ended()
                campaign.finish(self._loop)
        return self.state

    def run(self) -> CampaignState:
        """Runs cycles until the campaign is finished or a query waits for `teach`."""
        with interrupt.deferred():
            self._begin()
            while not self.finished and not self.state.pending_query:
                self.step()
        return self.state

    def close(self) -> None:
        """Frees the run directory (its lock) for another process; the campaign stays resumable."""
        self._loop.log.campaign_ended()
        self._stack.close()

    def __enter__(self) -> Campaign:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- helpers -----------------------------------------------------------------------------
    def _begin(self) -> None:
        """Once per object: the loop's start of a run (a simulated oracle answers L0 here)."""
        if self._begun:
            return
        self._begun = True
        with contextlib.suppress(LabelsPending):
            self._loop.begin(self.state)

    def _class_id(self, label) -> int:
        names = self.dataset.class_names
        if isinstance(label, str) and means_skip(label, names):
            return SKIP
        if isinstance(label, str):
            if label not in names:
                raise ValueError(
                    f"label {label!r}; allowed: {', '.join(names)} (or their ids), or 'skip'"
                )
            return names.index(label)
        if isinstance(label, bool) or not isinstance(label, int | np.integer):
            raise ValueError(f"label {label!r}; allowed: a class id or name")
        if not 0 <= int(label) < len(names):
            raise ValueError(f"label {int(label)}; allowed class ids 0..{len(names) - 1}")
        return int(label)


def _setting(name: str) -> str:
    if name not in SETTINGS:
        raise ValueError(f"setting {name!r}; allowed: {', '.join(SETTINGS)}")
    return name


def _shorthand_bindings(*, strategy: str | None, **values: int | None) -> list[str]:
    """The gin bindings of `Campaign`'s shorthand arguments (so config.gin records them)."""
    bindings = []
    if strategy is not None:
        if strategy not in acquisition.STRATEGIES:
            raise ValueError(
                f"strategy {strategy!r}; allowed: {', '.join(acquisition.STRATEGIES)}"
            )
        bindings.append(f"ActiveLearningLoop.strategy = @tfal.acquisition.{strategy}")
    for name, value in values.items():
        if value is not None:
            bindings.append(f"ActiveLearningLoop.{name} = {value!r}")
    return bindings


def _objects(data, model, embedding_layer, model_fn, oracle) -> tuple[dict, dict[str, str]]:
    """ActiveLearningLoop arguments from the Python objects, and what objects.json records."""
    from tfal import models
    from tfal.training import Trainer

    options, objects = {}, {}
    if data is not None:
        options["dataset"] = _dataset(data)
        objects["dataset"] = options["dataset"].name
    if model is not None and model_fn is not None:
        raise ValueError("give model or model_fn, not both")
    if model is not None:
        model = models.contract.as_tfal_model(model, embedding_layer=embedding_layer)
        model_fn = models.contract.fixed(model)
        options["model"] = model  # its theta_0 is kept in the run directory (_initial_weights)
        objects["model"] = model.name
    elif model_fn is not None:
        objects["model_fn"] = getattr(model_fn, "__name__", type(model_fn).__name__)
    if model_fn is not None:
        options["trainer_fn"] = functools.partial(Trainer, model_fn=model_fn)
    if oracle is None:
        options["oracle_fn"] = TaughtOracle
        objects["oracle"] = "tfal.Campaign.teach"
    elif oracle == "simulated":
        options["oracle_fn"] = SimulatedOracle
    elif isinstance(oracle, str):
        raise ValueError(f"oracle {oracle!r}; allowed: None (teach), 'simulated', an oracle object")
    else:
        options["oracle_fn"] = lambda dataset, run_dir=None: oracle
        objects["oracle"] = type(oracle).__name__
    return options, objects


def _initial_weights(model, run_dir: str, *, keep: bool = False) -> None:
    """A model given as an object: its first weights are the campaign's theta_0. Kept in
    RUN_DIR/checkpoints/initial_weights.npz once the campaign is accepted (`keep`), and put back
    into the object a resumed campaign is given, so every cycle restarts from the same theta_0
    whatever the new object's initial draw."""
    path = os.path.join(run_dir, "checkpoints", INITIAL_WEIGHTS)
    if keep:
        if not os.path.exists(path):
            savez_atomically(path, {f"w{i}": w for i, w in enumerate(model.get_weights())})
        return
    if not os.path.exists(path):
        return
    with np.load(path) as arrays:
        weights = [arrays[f"w{i}"] for i in range(len(arrays.files))]
    shapes = [tuple(w.shape) for w in model.get_weights()]
    if [tuple(w.shape) for w in weights] != shapes:
        raise ValueError(
            f"{path} holds the weights of another model than {model.name!r}; give the campaign's "
            "model, or use another run_dir"
        )
    model.set_weights(weights)


def _dataset(data) -> Dataset:
    """`Campaign(data=...)`'s accepted forms as a Dataset."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, dict):
        return from_arrays(**data)
    if isinstance(data, tuple | list) and len(data) == 2:
        return from_tf_data(*data)
    if isinstance(data, tuple | list) and len(data) in (3, 4):
        arrays = [np.asarray(a) for a in data]
        if len(arrays) == 3:
            return from_arrays(arrays[0], None, arrays[1], arrays[2])
        return from_arrays(*arrays)
    if isinstance(data, str) and os.path.isdir(data):
        from tfal.data import image_folder_dataset

        return image_folder_dataset(data)
    raise ValueError(
        f"data of type {type(data).__name__}; allowed: a tfal.data.Dataset, (x_pool, x_test, "
        "y_test), (x_pool, y_pool, x_test, y_test), a dict of tfal.data.from_arrays' arguments, "
        "(pool, test) tf.data.Datasets, or an image folder"
    )
