"""What a campaign shows on the terminal: a banner, progress of every long stage, a summary.

On a terminal each long stage (training, extraction, PRE) is a Keras progress bar with its rate and
time left; when stdout is a file or a pipe (CI, `nohup`, a log), each stage is one line when it
ends, so logs stay readable. A stage of one step (an LP solve, an acquisition) is one line either
way: a bar that jumps from 0 to 1, and its rate, would say nothing. Values shown beside a stage
(a loss) are their mean over the stage so far, weighted by its units, as Keras' `fit` shows its
loss: the bar, the stage's line and results.jsonl (a phase's mean loss) show one number. Nothing
here changes what is computed; a stage's start and each of its units are where a Ctrl-C is
honoured (`tfal.interrupt.check`).
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

    `values` (a loss) are averaged over the stage's units (`n` each) and shown beside the bar and
    on the stage's line. A stage of `total <= 1` has no bar: one line when it ends (on a terminal
    its name shows meanwhile).
    """
    interrupt.check(name)
    stream = stream or sys.stdout
    one_step = total <= 1
    bar = None
    if _interactive(stream):
        if one_step:
            print(f"{name} ...", end="", file=stream, flush=True)  # the end's line overwrites it
        else:
            import keras  # deferred: only a terminal needs it

            print(name, file=stream, flush=True)
            # stateless_metrics=(): Keras shows each value as given, our running mean.
            bar = keras.utils.Progbar(total, unit_name=unit, stateless_metrics=())
    done, sums, weights, last, start = 0, {}, {}, {}, time.perf_counter()

    def means() -> dict[str, float]:
        return {k: sums[k] / weights[k] if weights[k] else last[k] for k in sums}

    def advance(n: int = 1, **values: float) -> None:
        nonlocal done
        interrupt.check(name)
        done += n
        for key, value in values.items():  # weighted by units: the Trainer's mean over steps
            sums[key] = sums.get(key, 0.0) + value * n
            weights[key] = weights.get(key, 0) + n
            last[key] = value
        if bar is not None:
            bar.update(min(done, total), values=list(means().items()))

    try:
        yield advance
    except BaseException:
        if one_step and _interactive(stream):
            print(file=stream, flush=True)  # end the "name ..." line before the error's
        raise
    seconds = time.perf_counter() - start
    shown = "".join(f", {k} {_fmt(v)}" for k, v in means().items())
    if one_step:
        prefix = "\r" if _interactive(stream) else ""
        print(f"{prefix}{name}: {duration(seconds)}{shown}", file=stream, flush=True)
    elif bar is None:
        rate = f", {done / seconds:,.0f} {unit}/s" if seconds > 0 and done else ""
        print(f"{name}: {done:,}/{total:,} {unit}s in {duration(seconds)}{rate}{shown}",
              file=stream, flush=True)  # fmt: skip


@contextlib.contextmanager
def training(name: str, total: int) -> Iterator[Callable]:
    """A training phase's bar as the training loop's callback (`tfal.training.Chunk`): its
    steps, with the phase's mean loss so far (at its end: the mean the Trainer returns)."""
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
