"""SIGINT and SIGTERM become a stop request (checkpoint first); a second one interrupts at once."""

from __future__ import annotations

import os
import signal

import pytest

from gradkit.training.trainer import StopOnInterrupt


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_first_signal_requests_a_stop_second_interrupts(number):
    before = signal.getsignal(number)
    with StopOnInterrupt() as stop:
        assert not stop.requested
        os.kill(os.getpid(), number)
        assert stop.requested and stop.signal_number == number
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), number)
    assert signal.getsignal(number) is before  # the previous handler is back
