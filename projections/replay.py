"""Replaying the Koers log into views: for a rebuild, and for views "as of" the past.

"As of" a stream position ``p``: the views built from notifications 1..p. "As of" a time
``t``: the views built from notifications 1..q, where q is the *last* notification whose
event was recorded (its ``timestamp``) at or before ``t``. Both are computed from the log
each time, through the same projection code as the live views; nothing is read from
stored snapshots of views.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from projections._quarantine import SetAside, step_of, subjects_of
from projections.projection import KoersProjection, Step
from projections.views import KoersViews, memory_views

if TYPE_CHECKING:
    from eventsourcing.application import Application

__all__ = ["PAGE", "Progress", "replay", "views_as_of"]

#: ``progress(position, last)``: the views reached ``position`` of ``last``.
Progress = Callable[[int, int], None]
PAGE = 1000


def replay(
    app: Application[Any],
    views: KoersViews,
    *,
    stop: int | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
) -> int:
    """Apply the log after the views' position (up to ``stop``, and up to the last event
    recorded at or before ``until``), one transaction per page; returns the position.

    Events recorded after ``until`` are held back until a later event recorded at or
    before ``until`` shows they belong in; those left at the end are not applied. Events
    that cannot be read or applied are set aside in the quarantine, as the live views do.
    """
    projection = KoersProjection(views, subjects=subjects_of(app))
    position = views.max_tracking_id(app.name) or 0
    last = app.recorder.max_notification_id() or 0
    if stop is not None:
        last = min(last, stop)
    held: list[Step] = []
    if progress:
        progress(position, last)
    start = position
    while start < last:
        notifications = app.recorder.select_notifications(
            start + 1, min(page, last - start), stop=last
        )
        if not notifications:
            break
        steps: list[Step] = [step_of(app, n) for n in notifications]
        start = notifications[-1].id
        if until is not None:
            steps, held = _up_to(held + steps, until)
        projection.apply(steps)
        if steps:
            position = steps[-1][1].notification_id
        if progress:
            progress(start, last)
    return position


def _up_to(steps: list[Step], until: datetime) -> tuple[list[Step], list[Step]]:
    """Split at the last step recorded at or before ``until``: (apply now, hold back).
    Steps set aside have no recorded time: they go with the events around them."""
    for index in range(len(steps) - 1, -1, -1):
        event = steps[index][0]
        if not isinstance(event, SetAside) and event.timestamp <= until:
            return steps[: index + 1], steps[index + 1 :]
    return [], steps


def views_as_of(
    app: Application[Any], position: int | None = None, time: datetime | None = None
) -> KoersViews:
    """Views as they were at a stream ``position`` and/or a recorded ``time``, rebuilt from
    the log in memory. Queries on them default ``at`` to that moment (``time``, or the
    recording time of the event at the position). Close them when done.
    """
    if time is not None and time.tzinfo is None:
        raise ValueError("an 'as of' time needs a time zone")
    views = memory_views()
    try:
        reached = replay(app, views, stop=position, until=time)
        views.as_of = time if time is not None else _recorded_at(app, reached)
    except BaseException:
        views.close()
        raise
    return views


def _recorded_at(app: Application[Any], position: int) -> datetime | None:
    if position == 0:
        return None
    notification = app.recorder.select_notifications(position, 1, stop=position)[0]
    event, _ = step_of(app, notification)
    moment: datetime | None = getattr(event, "timestamp", None)  # none: set aside
    return moment
