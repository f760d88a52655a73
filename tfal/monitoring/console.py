"""What a campaign shows on the terminal: a banner, progress of every long stage, a summary.

On a terminal each long stage (training, extraction, LP, acquisition, PRE) is a Keras progress bar
with its rate and time left; when stdout is a file or a pipe (CI, `nohup`, a log), each stage is one
line when it ends, so logs stay readable. Nothing here changes what is computed; a stage's start
and each of its units are where a Ctrl-C is honoured (`tfal.interrupt.check`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from tfal import interrupt
from tfal import run_dir as run_dir_layout


def _interactive(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def stage(
    name: str, total: int, unit: str = "step", stream: TextIO | None = None
) -> Iterator[Callable[..., None]]:
    """Progress of one stage of `total` units; yields `advance(n=1, **values)`.

    `values` (a loss, an accuracy) are shown beside the bar, and their last values on the line.
    """
    interrupt.check(name)
    stream = stream or sys.stdout
    bar = None
    if _interactive(stream):
        import keras  # deferred: only a terminal needs it

        print(name, file=stream, flush=True)
        bar = keras.utils.Progbar(max(1, total), unit_name=unit, stateful_metrics=None)
    done, last, start = 0, {}, time.perf_counter()

    def advance(n: int = 1, **values: float) -> None:
        nonlocal done
        interrupt.check(name)
        done += n
        last.update(values)
        if bar is not None:
            bar.update(min(done, max(1, total)), values=list(values.items()))

    yield advance
    if bar is None:
        seconds = time.perf_counter() - start
        rate = f", {done / seconds:,.0f} {unit}/s" if seconds > 0 and done else ""
        shown = "".join(f", {k} {_fmt(v)}" for k, v in last.items())
        print(f"{name}: {done:,}/{total:,} {unit}s in {duration(seconds)}{rate}{shown}",
              file=stream, flush=True)  # fmt: skip


@contextlib.contextmanager
def training(name: str, total: int) -> Iterator[Callable]:
    """A training phase's bar as the training loop's callback (`tfal.training.Chunk`): its
    steps, with the chunk's loss beside them."""
    with stage(name, total, "step") as advance:
        yield lambda chunk: advance(chunk.steps, loss=chunk.loss)


def line(text: str, stream: TextIO | None = None) -> None:
    """One line of campaign output (banner, per-cycle line, summary)."""
    print(text, file=stream or sys.stdout, flush=True)


def banner(fields: Sequence[tuple[str, object]], stream: TextIO | None = None) -> None:
    """What runs: dataset, setting, strategy, seed, cycles, network, precision, run directory."""
    width = max(len(k) for k, _ in fields)
    line("tfal campaign", stream)
    for key, value in fields:
        line(f"  {key:<{width}}  {value}", stream)


def cycle_line(
    cycle: int, num_cycles: int, num_labeled: int, accuracy: float, elapsed: float, cycles_run: int
) -> str:
    """'cycle 2 done (3/5): 30 labels, test accuracy 97.10%, 12m04s elapsed, about 8m left'."""
    left = num_cycles - cycle - 1
    eta = f", about {duration(elapsed / cycles_run * left)} left" if left and cycles_run else ""
    return (
        f"cycle {cycle} done ({cycle + 1}/{num_cycles}): {num_labeled} labels, test accuracy "
        f"{100 * accuracy:.2f}%, {duration(elapsed)} elapsed{eta}"
    )


def summary(
    rows: Sequence[dict], *, run_dir: str, export_dir: str, model_name: str, stream=None
) -> None:
    """The per-cycle table of a finished campaign and the commands to look further."""
    line("", stream)
    line(f"{'cycle':>5}  {'labels':>6}  {'test accuracy':>13}  {'time':>8}  {'stability':>9}", stream)
    for row in rows:
        seconds = sum(v for k, v in row.items() if k.endswith("_seconds"))
        kappa = row.get("stop_kappa")
        line(
            f"{row['cycle']:>5}  {row['num_labeled']:>6}  {100 * row['test_accuracy']:>12.2f}%"
            f"  {duration(seconds):>8}  {'' if kappa is None else f'{kappa:.3f}':>9}",
            stream,
        )
    line("", stream)
    line("stability: Cohen's kappa of the predictions of this cycle's and the last cycle's model "
         "on a fixed stop set (1.0: labels stopped changing the model; tfal.loop.stopping)",
         stream)  # fmt: skip
    # Absolute, shell-quoted paths: Docker bind-mounts only absolute ones; paths may hold spaces.
    run_dir, export_dir = os.path.abspath(run_dir), os.path.abspath(export_dir)
    q = shlex.quote
    line(f"results      {q(run_dir_layout.path(run_dir, run_dir_layout.RESULTS))}", stream)
    tensorboard = run_dir_layout.path(run_dir, run_dir_layout.TENSORBOARD)
    line(f"TensorBoard  tensorboard --logdir {q(tensorboard)}", stream)
    report = os.path.join(run_dir, "report")
    line(f"report       python -m tfal.report {q(run_dir)} --out {q(report)}", stream)
    line(f"model        {q(export_dir)}  (one numbered version per cycle)", stream)
    line(
        f"serve        docker run -p 8501:8501 -v {q(f'{export_dir}:/models/{model_name}')} "
        f"-e MODEL_NAME={q(model_name)} tensorflow/serving",
        stream,
    )


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def duration(seconds: float) -> str:
    """12.3s, 4m05s, 3h07m."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
