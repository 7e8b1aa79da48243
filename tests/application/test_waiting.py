"""``PollingTrackingRecorder.wait``: the polling of the store's tracking recorder and the views."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import pytest
from eventsourcing.persistence import Tracking, WaitInterruptedError

from ledger.application._waiting import PollingTrackingRecorder
from projections import memory_views


class Counting(PollingTrackingRecorder):
    """Reaches the position on the ``reached_on``-th look; records every pause."""

    longest_pause: ClassVar[float] = 0.004

    def __init__(self, reached_on: int | None, *, sleep: bool = False) -> None:
        self.reached_on = reached_on
        self.sleep = sleep
        self.looks = 0
        self.pauses: list[float] = []

    def insert_tracking(self, tracking: Tracking) -> None:
        raise NotImplementedError

    def max_tracking_id(self, application_name: str) -> int | None:
        raise NotImplementedError

    def has_tracking_id(self, application_name: str, notification_id: int | None) -> bool:
        self.looks += 1
        return self.looks == self.reached_on

    def _pause(self, application_name: str, notification_id: int | None, seconds: float) -> None:
        self.pauses.append(seconds)
        if self.sleep:
            time.sleep(seconds)


def test_returns_once_reached_the_pauses_doubling_from_1_ms_up_to_the_longest() -> None:
    recorder = Counting(reached_on=6)
    recorder.wait("koers", 3, timeout=60)
    assert recorder.pauses == [0.001, 0.002, 0.004, 0.004, 0.004]


def test_no_pause_when_already_reached() -> None:
    recorder = Counting(reached_on=1)
    recorder.wait("koers", 3, timeout=0)
    assert recorder.pauses == []


def test_a_timeout_says_what_was_missed_and_never_pauses_past_the_deadline() -> None:
    recorder = Counting(reached_on=None, sleep=True)
    with pytest.raises(TimeoutError, match=r"^koers did not reach notification 7 within 0\.05 s$"):
        recorder.wait("koers", 7, timeout=0.05)
    assert recorder.pauses[:3] == [0.001, 0.002, 0.004]
    assert all(0 < p <= 0.004 for p in recorder.pauses)


def test_an_interrupt_stops_the_wait_before_any_pause() -> None:
    interrupt = threading.Event()
    interrupt.set()
    recorder = Counting(reached_on=None)
    with pytest.raises(WaitInterruptedError):
        recorder.wait("koers", 7, timeout=60, interrupt=interrupt)
    assert recorder.pauses == []


def test_the_views_wait_for_their_tracking_row_and_say_what_they_missed() -> None:
    views = memory_views()
    with pytest.raises(
        TimeoutError, match=r"^the views did not reach koers notification 1 within 0\.02 s$"
    ):
        views.wait("koers", 1, timeout=0.02)
    views.insert_tracking(Tracking(notification_id=1, application_name="koers"))
    views.wait("koers", 1, timeout=0)
