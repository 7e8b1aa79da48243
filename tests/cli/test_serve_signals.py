"""`koers serve`'s signal handler: a second signal that arrives while the first handler is
still inside ``Event.set`` (Python runs handlers between any two bytecodes of the main
thread) must not wait for the lock the first one holds; both reach the API's stop."""

from __future__ import annotations

import signal
import threading

import pytest

from ledger.cli._serve import _Stop


def test_a_signal_inside_the_previous_handler_does_not_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # installs nothing here
    stop = _Stop()
    stops: list[int] = []
    stop.stop_api = lambda: stops.append(1)
    original = stop.requested.set

    def set_with_a_signal_inside() -> None:
        with stop.requested._cond:  # type: ignore[attr-defined]  # the lock Event.set holds
            stop.handle(signal.SIGTERM, None)  # a second signal, run right here by Python
        original()

    monkeypatch.setattr(stop.requested, "set", set_with_a_signal_inside)
    runner = threading.Thread(target=stop.handle, args=(signal.SIGINT, None), daemon=True)
    runner.start()
    runner.join(5)
    assert not runner.is_alive(), "the second signal waited for the first handler's lock"
    assert stop.requested.is_set()
    assert stops == [1, 1]  # both signals reached the API's stop (the second forces it)
