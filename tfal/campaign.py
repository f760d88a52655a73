"""A campaign from gin files: parse the config, prepare the run directory, run the loop.

Kept apart from `tfal.main` so tests and notebooks run campaigns in-process with the same code.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
from collections.abc import Iterator

import gin

from tfal import acquisition, config_types, interrupt, run_lock
from tfal import gin_files as gin_files_module
from tfal import run_dir as run_dir_layout
from tfal.atomic import write_atomically
from tfal.data.sources import DatasetNotFoundError
from tfal.loop import ActiveLearningLoop, CampaignState, estimate
from tfal.monitoring import console, read_results
from tfal.oracles.simulated import LabelsPending  # noqa: F401  (re-exported for tfal.main)
from tfal.run_lock import RunDirectoryBusy  # noqa: F401  (re-exported: campaign.RunDirectoryBusy)
from tfal.training import TrainingDivergedError

# Errors caused by the user's input or environment: reported in one line, no traceback.
# (StateError is a ValueError, FileNotFoundError an OSError.)
USER_ERRORS = (ValueError, OSError, DatasetNotFoundError, TrainingDivergedError)


def _shell_line(command: list[str]) -> str:
    """`command` quoted for a POSIX shell, its `&&` kept as the operator it is."""
    return " ".join(part if part == "&&" else shlex.quote(part) for part in command)


def default_run_dir(gin_files: list[str], seed: int = 0) -> str:
    """runs/<stem of every gin file, joined by '+'>-seed<seed>.

    Re-running the same command resumes the same campaign; two experiments that differ in any gin
    file or in the seed never share a directory (an MNIST and a CIFAR run both ending with
    setting/semi.gin used to).
    """
    if not gin_files:
        raise ValueError("no --gin_file given; e.g. --gin_file=gin_configs/mnist_1label_cpu.gin")
    stems = "+".join(os.path.splitext(os.path.basename(f))[0] for f in gin_files)
    return os.path.join("runs", f"{stems}-seed{seed}")


def bound_or(name: str, default):
    """The parsed configuration's value of the gin parameter `name`, or `default` when unbound."""
    try:
        return gin.query_parameter(name)
    except ValueError:
        return default


def campaign_seed() -> int:
    """The parsed configuration's `ActiveLearningLoop.seed` (its default, 0, when unbound)."""
    return int(bound_or("ActiveLearningLoop.seed", 0))


def parse_gin(gin_files: list[str], bindings: list[str], *, files_required: bool = True) -> None:
    """Parses files then bindings; unknown configurables or parameters are errors, not warnings.

    Files and includes are found by `tfal.gin_files` (tfal's own configs first). Every binding's
    type and range is checked (`tfal.config_types`) before anything runs.
    """
    _register_configurables()
    if not gin_files and files_required:
        raise ValueError("no --gin_file given; e.g. --gin_file=gin_configs/mnist_1label_cpu.gin")
    paths = [gin_files_module.resolve(path) for path in gin_files]
    try:
        with gin_files_module.own_configs_first():
            gin.parse_config_files_and_bindings(
                paths, bindings, skip_unknown=False, finalize_config=False
            )
        config_types.check_bindings()
    except (ValueError, KeyError, SyntaxError, OSError) as e:
        raise ValueError(f"bad gin config: {_first_line(e)}") from e


def run(
    run_dir: str,
    *,
    command: list[str] | None = None,
    allow_config_change: bool = False,
    gin_files: list[str] = (),
) -> CampaignState:
    """Runs the configured campaign in `run_dir`, writing the config and command beside the results.

    A run directory remembers the configuration it was started with (`config.gin`); resuming it
    under a different one is refused, naming the first difference, unless `allow_config_change`.
    """
    with opened(run_dir, command=command, allow_config_change=allow_config_change) as (loop, state):
        say_cost(loop, gin_files)
        state = loop.run(state)
        finish(loop)
    return state


@contextlib.contextmanager
def opened(
    run_dir: str,
    *,
    command: list[str] | None = None,
    allow_config_change: bool = False,
    objects: dict[str, str] | None = None,
    **loop_options,
) -> Iterator[tuple[ActiveLearningLoop, CampaignState]]:
    """The campaign of `run_dir` built, checked and started, with the run directory held.

    What the CLI and `tfal.Campaign` share: the lock, the process settings, every check that can
    refuse the invocation before anything is written (links, replaceable files, the configuration,
    a damaged state.json or a changed pool in the loop's constructor), then the command log, the
    state, the holder, the configs and the banner. `loop_options` are ActiveLearningLoop arguments
    given as Python objects, named in `objects` ({argument: description}, RUN_DIR/objects.json):
    the CLI refuses such a directory, whose campaign gin alone cannot rebuild.
    """
    with run_lock.hold(run_dir), _runtime(), interrupt.deferred():
        _refuse_links(run_dir)
        run_dir_layout.check_replaceable(run_dir)
        _check_same_config(run_dir, allow_config_change)
        _check_objects(run_dir, objects)
        loop = ActiveLearningLoop(run_dir, **loop_options)
        if command:
            with open(
                run_dir_layout.path(run_dir, run_dir_layout.COMMAND), "a", encoding="utf-8"
            ) as f:
                f.write(_shell_line(command) + "\n")
        state = loop.start()
        run_lock.write_holder(run_dir)
        _write_config(run_dir)
        if objects:
            _write_text(run_dir_layout.path(run_dir, run_dir_layout.OBJECTS), json.dumps(objects))
        _write_operative_config(run_dir)
        console.banner(describe(loop))
        yield loop, state


def finish(loop: ActiveLearningLoop) -> None:
    """After the last cycle of a run: the operative config and the summary table."""
    _write_operative_config(loop.run_dir)
    cycles = {r["cycle"]: r for r in read_results(loop.log.results.path) if r["stage"] == "cycle"}
    console.summary(
        [cycles[c] for c in sorted(cycles)],
        run_dir=loop.run_dir,
        export_dir=loop.export_dir(),
        model_name=loop.model_name,
    )


def _check_objects(run_dir: str, objects: dict[str, str] | None) -> None:
    """A campaign started from Python objects is resumed from Python, never by gin alone."""
    path = run_dir_layout.path(run_dir, run_dir_layout.OBJECTS)
    if objects or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        named = ", ".join(f"{k} ({v})" for k, v in json.load(f).items())
    raise ValueError(
        f"{run_dir} was started from Python with objects that gin cannot name: {named}; resume it "
        f"with tfal.Campaign(..., run_dir={run_dir!r}) and the same objects"
    )


def say_cost(loop: ActiveLearningLoop, gin_files: list[str] = ()) -> float | None:
    """On a machine without a GPU, a long campaign first says what it will cost here.

    Long: more planned optimizer steps than `estimate.MIN_STEPS_TO_ESTIMATE` (the faithful,
    200-epoch configs; the `_cpu` ones stay below). Returns the estimate in seconds, or None.
    """
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return None
    if estimate.planned_work(loop).train_steps < estimate.MIN_STEPS_TO_ESTIMATE:
        return None
    seconds = estimate.estimate_seconds(loop)
    counterparts = [c for c in map(_cpu_counterpart, gin_files) if c]
    hint = f"; {counterparts[0]} is its CPU counterpart" if counterparts else ""
    console.line(
        f"no GPU visible: this campaign's training and extraction take about "
        f"{console.duration(seconds)} on this machine (from a few timed steps){hint}. It runs "
        "anyway; Ctrl-C stops it and the same command resumes it."
    )
    return seconds


def _cpu_counterpart(gin_file: str) -> str | None:
    """gin_configs/mnist_1label.gin -> gin_configs/mnist_1label_cpu.gin, where one exists."""
    stem, ext = os.path.splitext(gin_file)
    candidate = f"{stem}_cpu{ext}"
    try:
        gin_files_module.resolve(candidate)
    except FileNotFoundError:
        return None
    return candidate


def _refuse_links(run_dir: str) -> None:
    """Refuses a run directory where something tfal writes is a symbolic link: every write stays
    inside the run directory, never through a link to elsewhere."""
    for path in run_dir_layout.written_paths(run_dir):
        if os.path.islink(path):
            raise ValueError(
                f"{path} is a symbolic link (to {os.readlink(path)}); tfal writes only inside the "
                "run directory and never through a link: replace it with a real file or folder"
            )


@contextlib.contextmanager
def _runtime():
    """`configure_runtime` for one campaign: process-wide settings are undone when it ends."""
    from tensorflow.python.framework import config as tf_config

    from tfal.training.trainer import start_collectives

    start_collectives()
    was_deterministic = tf_config.is_op_determinism_enabled()
    configure_runtime()
    try:
        yield
    finally:
        if not was_deterministic:
            tf_config.disable_op_determinism()


@gin.configurable(module="tfal")
def configure_runtime(*, deterministic: bool = False) -> None:
    """Process-wide TensorFlow settings of a campaign.

    Args:
      deterministic: TF op determinism on, so a seeded campaign, killed and resumed, ends exactly
        like an uninterrupted one (slower on GPU; on by default in testing/tiny.gin).
    """
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _check_same_config(run_dir: str, allow_change: bool) -> None:
    """Refuses to resume under another configuration than `config.gin`'s; writes nothing."""
    path = run_dir_layout.path(run_dir, run_dir_layout.CONFIG)
    if os.path.exists(path) and not allow_change:
        with open(path, encoding="utf-8") as f:
            saved = f.read()
        current = gin.config_str()
        if saved != current:
            old, new = _config_lines(saved), _config_lines(current)
            diff = sorted((old - new) | (new - old))
            raise ValueError(
                f"run directory {run_dir} was started with a different configuration "
                f"(first difference: {diff[0]!r}); use a new --run_dir or pass --allow_config_change"
            )


def _write_config(run_dir: str) -> None:
    """config.gin: the configuration the directory runs under (the first, or an allowed change)."""
    _write_text(run_dir_layout.path(run_dir, run_dir_layout.CONFIG), gin.config_str())


def _write_text(path: str, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))


def _config_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def _write_operative_config(run_dir: str) -> None:
    path = run_dir_layout.path(run_dir, run_dir_layout.OPERATIVE_CONFIG)
    _write_text(path, gin.operative_config_str() or gin.config_str())


def _register_configurables() -> None:
    """Imports the modules whose configurables gin files reference (gin's registry is the import)."""
    import tfal.acquisition  # noqa: F401
    import tfal.data  # noqa: F401
    import tfal.loop  # noqa: F401
    import tfal.models  # noqa: F401
    import tfal.oracles  # noqa: F401
    import tfal.pretrain  # noqa: F401
    import tfal.training  # noqa: F401


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe(loop: ActiveLearningLoop) -> list[tuple[str, object]]:
    """What this campaign runs, for the start banner."""
    shape = "x".join(str(s) for s in loop.data.image_shape)
    return [
        ("dataset", f"{loop.data.name}: pool {len(loop.data.x_pool):,}, test "
                    f"{len(loop.data.x_test):,}, {loop.data.num_classes} classes, {shape}"),
        ("setting", loop.setting),
        ("strategy", acquisition.strategy_name(loop.strategy)),
        (
            "labels",
            f"L0 {loop.labels_per_class * loop.data.num_classes} ({loop.initial_selection}), "
            f"then {loop.budget} per cycle",
        ),
        ("cycles", loop.num_cycles),
        ("seed", loop.seed),
        ("network", f"{loop.trainer.model.name} ({loop.trainer.model.count_params():,} weights)"),
        ("precision", loop.trainer.precision),
        ("run dir", loop.run_dir),
    ]  # fmt: skip
