"""Ctrl-C and SIGTERM are recorded while a campaign works and raised where it checks."""

import io
import os
import signal

import pytest

from tfal import interrupt
from tfal.monitoring import console


def test_a_signal_while_working_is_raised_at_the_next_check_with_its_place():
    with interrupt.handlers(), interrupt.deferred():
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, and must not raise
        with pytest.raises(interrupt.Interrupted) as raised:
            interrupt.check("cycle 1 SEMI epoch 2/5")
    assert raised.value.signum == signal.SIGINT and raised.value.exit_code == 130
    assert str(raised.value) == (
        "interrupted during cycle 1 SEMI epoch 2/5 (SIGINT); the same command resumes"
    )


def test_every_unit_of_a_progress_stage_is_a_check():
    """A SIGTERM during a stage's second unit stops it there, naming the stage: nothing after
    the signal runs past the next unit."""
    done = []
    with interrupt.handlers(), interrupt.deferred():
        with pytest.raises(interrupt.Interrupted) as raised:
            with console.stage("cycle 0 SUP", 5, stream=io.StringIO()) as advance:
                for step in range(5):
                    if step == 1:
                        os.kill(os.getpid(), signal.SIGTERM)
                    advance()
                    done.append(step)
    assert done == [0] and raised.value.where == "cycle 0 SUP"
    assert raised.value.exit_code == 143


def test_outside_the_work_and_on_a_second_signal_it_stops_at_once():
    with interrupt.handlers():
        with pytest.raises(interrupt.Interrupted):
            os.kill(os.getpid(), signal.SIGINT)  # not deferred: e.g. while TensorFlow loads
        with interrupt.deferred():
            os.kill(os.getpid(), signal.SIGINT)  # recorded
            with pytest.raises(interrupt.Interrupted):
                os.kill(os.getpid(), signal.SIGINT)  # the second one does not wait


def test_the_previous_handlers_come_back_and_no_request_outlives_them():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupt.handlers(), interrupt.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    interrupt.check("after")  # the recorded request went with the handlers
