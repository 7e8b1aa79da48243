"""Waiting for a position: one ``wait()`` for the store's tracking recorder and the views."""

from __future__ import annotations

import time
from abc import ABC
from threading import Event
from typing import ClassVar

from eventsourcing.persistence import TrackingRecorder, WaitInterruptedError

__all__ = ["PollingTrackingRecorder"]


class PollingTrackingRecorder(TrackingRecorder, ABC):
    """A tracking recorder whose ``wait()`` polls from 1 ms (the library starts at 100 ms),
    the pauses doubling up to :attr:`longest_pause`. A subclass may say when a position is
    reached (:meth:`_reached`), how to pause (:meth:`_pause`) and what a timeout missed
    (:meth:`_missed`)."""

    longest_pause: ClassVar[float] = 0.05

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: Event | None = None,
    ) -> None:
        """Return as soon as ``notification_id`` of ``application_name`` is reached;
        ``TimeoutError`` after ``timeout`` seconds, ``WaitInterruptedError`` when
        ``interrupt`` is set."""
        deadline = time.monotonic() + timeout
        delay = 0.001
        while not self._reached(application_name, notification_id):
            if interrupt is not None and interrupt.is_set():
                raise WaitInterruptedError
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missed = self._missed(application_name, notification_id)
                raise TimeoutError(f"{missed} within {timeout:g} s")
            self._pause(application_name, notification_id, min(delay, remaining))
            delay = min(delay * 2, self.longest_pause)

    def _reached(self, application_name: str, notification_id: int | None) -> bool:
        return self.has_tracking_id(application_name, notification_id)

    def _pause(self, application_name: str, notification_id: int | None, seconds: float) -> None:
        time.sleep(seconds)

    def _missed(self, application_name: str, notification_id: int | None) -> str:
        return f"{application_name} did not reach notification {notification_id}"
