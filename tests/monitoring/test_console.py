"""The console's stages: one loss per stage (the bar's, the line's and the Trainer's mean agree),
and a stage of one step is one line, never a bar."""

import io
import re
import time

import numpy as np
import pytest

from tfal.monitoring import console


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream_type", [io.StringIO, _Terminal])
def test_a_one_step_stage_is_one_line_without_a_bar_or_a_rate(stream_type, capsys):
    stream = stream_type()
    with console.stage(
        "cycle 0 epoch 1/2 LP (kNN graph, CG)", 1, "solve", stream=stream
    ) as advance:
        advance(cg_iterations=12)
    text = stream.getvalue()
    final = text.split("\r")[-1]  # a terminal showed the name meanwhile; the line overwrites it
    assert re.fullmatch(
        r"cycle 0 epoch 1/2 LP \(kNN graph, CG\): \d+\.\ds, cg_iterations 12\n", final
    )
    assert text.count("\n") == 1 and "1/1" not in text and "/s" not in text
    assert capsys.readouterr().out == ""  # no Keras progress bar


@pytest.fixture(scope="module")
def tiny_training():
    """train(steps, callbacks): SGD steps of a tiny CNN in compiled calls of 3 steps; returns the
    Trainer's mean loss (results.jsonl's)."""
    from tfal.data import sampling
    from tfal.data.pipeline import Augmentation, InputPipeline
    from tfal.models import small_cnn
    from tfal.training import Trainer

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = rng.integers(0, 255, size=(64, 12, 12, 1)).astype(np.uint8)
    pipe = InputPipeline(
        x, np.array([0.5], np.float32), np.array([0.3], np.float32), Augmentation()
    )
    trainer = Trainer(
        2, (12, 12, 1), model_fn=lambda **a: small_cnn(widths=(4, 8, 8), **a), steps_per_call=3,
        learning_rate=0.5,
    )  # fmt: skip

    def train(steps, callbacks):
        batches = sampling.supervised_batches(
            np.arange(64), y, batch_size=8, num_steps=steps, rng=rng
        )
        trainer.start_phase(steps)
        return trainer.train(pipe.train_dataset(batches, rng), steps, callbacks=callbacks)

    return train


def test_the_bar_and_the_line_show_the_phase_mean_the_trainer_returns(
    tiny_training, capsys, monkeypatch
):
    chunks = []
    monkeypatch.setattr(console, "_interactive", lambda stream: True)  # a bar on stdout
    with console.training("cycle 0 SUP", 7) as progress:
        mean = tiny_training(7, [progress, chunks.append])
    bar = capsys.readouterr().out
    assert [c.steps for c in chunks] == [3, 3, 1] and chunks[-1].loss != pytest.approx(mean)
    shown = re.findall(r"loss: ([0-9.]+)", bar)
    assert float(shown[-1]) == pytest.approx(mean, abs=5e-5), (shown, mean)  # not the last chunk's
    assert "7/7" in bar

    monkeypatch.setattr(console, "_interactive", lambda stream: False)
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    with console.training("cycle 0 SUP", 7) as progress:
        mean = tiny_training(7, [progress])
    line = stream.getvalue()
    assert line.startswith("cycle 0 SUP: 7/7 steps in ") and line.endswith(f", loss {mean:.4g}\n")


def test_every_update_of_the_bar_shows_the_running_mean(capsys, monkeypatch):
    from tfal.training import Chunk

    monkeypatch.setattr(console, "_interactive", lambda stream: True)
    with console.training("cycle 0 SEMI epoch 1/2", 9) as progress:
        for step, loss in ((3, 3.0), (6, 1.0), (9, 2.0)):
            time.sleep(0.06)  # past Keras' 0.05 s between redraws: each update is drawn
            progress(Chunk(steps=3, loss=loss, step=step, learning_rate=0.1))
    shown = [float(v) for v in re.findall(r"loss: ([0-9.]+)", capsys.readouterr().out)]
    assert shown == [3.0, 2.0, 2.0]  # 3, (3 + 1) / 2, (3 + 1 + 2) / 3: never Keras' mean of means


def test_values_are_averaged_over_units():
    stream = io.StringIO()
    with console.stage("x", 4, stream=stream) as advance:
        advance(3, loss=1.0)
        advance(1, loss=5.0)
    assert stream.getvalue().endswith(", loss 2\n")  # (3 * 1 + 1 * 5) / 4


def test_a_failing_one_step_stage_ends_its_line_on_a_terminal():
    stream = _Terminal()
    with pytest.raises(RuntimeError):
        with console.stage("cycle 0 acquire (coreset)", 1, stream=stream):
            raise RuntimeError("boom")
    assert stream.getvalue() == "cycle 0 acquire (coreset) ...\n"  # the error starts a new line
