"""Replaying the Koers log into views: for a rebuild, and for views "as of" the past.

"As of" a stream position ``p``: the views built from notifications 1..p. "As of" a time
``t``: the views built from notifications 1..q, where q is the *last* notification whose
event was recorded (its ``timestamp``) at or before ``t``. Both go through the same
projection code as the live views.

Given the live views' checkpoints (:mod:`projections._checkpoints`), an "as of" read starts
from the nearest checkpoint c at or before q and replays only (c, q]: the checkpoint holds
exactly what replaying 1..c wrote, so the answer is the full replay's. For a time, q is
found without reading the log: the live views' time index (``_schema.BATCHES``) names the
last batch (a, b] holding an event recorded at or before ``t``, so a < q <= b; the replay
starts at a checkpoint at or before a and reads no further than b — unless an event the live
views have not applied yet was recorded at or before ``t`` (then it reads to the log's end).
Without checkpoints, or with a time index that does not reach back to position 1 (views made
before it existed: ``koers projections rebuild`` makes one), the whole log is replayed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import TYPE_CHECKING, Any

from projections._images import Image
from projections._quarantine import SetAside, step_of, subjects_of
from projections._sql import moment
from projections.projection import KoersProjection, Step
from projections.views import KoersViews, memory_views

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from projections._checkpoints import Checkpoints

__all__ = ["PAGE", "Progress", "recorded_at", "replay", "views_as_of"]

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
    topics: Sequence[str] = (),
    prefetch: bool = True,
) -> int:
    """Apply the log after the views' position (up to ``stop``, and up to the last event
    recorded at or before ``until``), one transaction per page; returns the position.
    With ``topics``, only the events of those topics (e.g. one kind's, for views that
    answer for that kind alone).

    Events recorded after ``until`` are held back until a later event recorded at or
    before ``until`` shows they belong in; those left at the end are not applied. Events
    that cannot be read or applied are set aside in the quarantine, as the live views do.

    ``prefetch``: read and decode the next page in a second thread while this one is
    applied (:func:`_pages`); ``False`` does one after the other (the benchmarks' baseline).
    """
    return _replay(app, views, stop=stop, until=until, progress=progress, page=page,
                   topics=topics, prefetch=prefetch)[0]  # fmt: skip


def _replay(
    app: Application[Any],
    views: KoersViews,
    *,
    stop: int | None = None,
    end: int | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
    topics: Sequence[str] = (),
    prefetch: bool = True,
) -> tuple[int, Step | None]:
    """:func:`replay`, and the last step it applied (``None``: none). ``end``: the log's
    last position when the caller knows the log reaches it (no round trip to ask)."""
    projection = KoersProjection(views, subjects=subjects_of(app))
    position = views.max_tracking_id(app.name) or 0
    last = end if end is not None else app.recorder.max_notification_id() or 0
    if stop is not None:
        last = min(last, stop)
    held: list[Step] = []
    applied: Step | None = None
    if progress:
        progress(position, last)
    for start, read in _pages(app, position, last, page, topics=topics, prefetch=prefetch):
        steps = read
        if until is not None:
            steps, held = _up_to(held + read, until)
        projection.apply(steps)
        if steps:
            applied = steps[-1]
            position = applied[1].notification_id
        if progress:
            progress(start, last)
    return position, applied


def _pages(
    app: Application[Any],
    after: int,
    last: int,
    page: int,
    *,
    topics: Sequence[str] = (),
    prefetch: bool,
) -> Iterator[tuple[int, list[Step]]]:
    """The log's pages in (``after``, ``last``] as (the page's last position, its steps).

    With ``prefetch``, one helper thread reads and decodes page k+1 while the caller applies
    page k: the server's work and the network overlap the caller's, and so does decoding with
    SQLite's writes (which run without the GIL). Pages still come in order, each exactly as
    without it; an error reading a page is raised here when that page is due.
    """

    def read(start: int) -> tuple[int, list[Step]]:
        notifications = app.recorder.select_notifications(
            start + 1, min(page, last - start), stop=last, topics=topics
        )
        end = notifications[-1].id if notifications else last
        return end, [step_of(app, n) for n in notifications]

    if not prefetch or last - after <= page:  # one page: nothing to read ahead
        start = after
        while start < last:
            start, steps = read(start)
            if not steps:
                return
            yield start, steps
        return
    pool = _prefetcher()
    ahead: Future[tuple[int, list[Step]]] | None = pool.submit(read, after)
    try:
        while ahead is not None:
            start, steps = ahead.result()
            ahead = pool.submit(read, start) if steps and start < last else None
            if not steps:
                return
            yield start, steps
    finally:
        if ahead is not None and not ahead.cancel():
            wait([ahead])  # a page still being read: let it finish before going on


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _prefetcher() -> ThreadPoolExecutor:
    """The threads that read pages ahead, shared by every replay of the process (starting a
    thread per replay cost an "as of" read ~13 ms at load 10, measured); each replay has at
    most one page in flight, so a few threads serve concurrent replays."""
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(4, thread_name_prefix="replay-prefetch")
        return _pool


def _up_to(steps: list[Step], until: datetime) -> tuple[list[Step], list[Step]]:
    """Split at the last step recorded at or before ``until``: (apply now, hold back).
    Steps set aside have no recorded time: they go with the events around them."""
    for index in range(len(steps) - 1, -1, -1):
        event = steps[index][0]
        if not isinstance(event, SetAside) and event.timestamp <= until:
            return steps[: index + 1], steps[index + 1 :]
    return [], steps


def views_as_of(
    app: Application[Any],
    position: int | None = None,
    time: datetime | None = None,
    *,
    checkpoints: Checkpoints | None = None,
    live: KoersViews | None = None,
    into: KoersViews | None = None,
    prefetch: bool = True,
) -> KoersViews:
    """Views as they were at a stream ``position`` and/or a recorded ``time``, rebuilt in
    memory (or, without checkpoints, ``into`` the empty views given): from the nearest of
    ``checkpoints`` (of the ``live`` views) or of the images they keep in memory when given,
    else from the whole log (see the module docstring). With checkpoints, the views made are
    kept as an image too (:mod:`projections._images`): the next read at or after their
    position starts there. Queries on them default ``at`` to that moment (``time``, or the
    recording time of the event at the position). Close them when done. ``prefetch``: see
    :func:`replay`.
    """
    if time is not None and time.tzinfo is None:
        raise ValueError("an 'as of' time needs a time zone")
    if checkpoints is not None and live is not None:
        if into is not None:
            raise ValueError("'as of' views from checkpoints are made in memory, not 'into'")
        return _from_checkpoints(app, position, time, checkpoints, live, prefetch=prefetch)
    views = memory_views() if into is None else into
    try:
        reached, applied = _replay(app, views, stop=position, until=time, prefetch=prefetch)
        views.as_of = time if time is not None else _recorded(app, reached, applied)
    except BaseException:
        views.close()
        raise
    return views


def _from_checkpoints(
    app: Application[Any],
    position: int | None,
    time: datetime | None,
    checkpoints: Checkpoints,
    live: KoersViews,
    *,
    prefetch: bool,
) -> KoersViews:
    """:func:`views_as_of` from the nearest checkpoint or image, kept as an image after."""
    bound, stop = _plan(app, live, position, time)
    start, views = checkpoints.open(bound, by=time, upto=stop if time is not None else None)
    try:
        # Up to a position the live views have reached, the log is known to reach it too.
        end = stop if stop is not None and stop <= live.committed_position else None
        reached, applied = _replay(app, views, stop=stop, end=end, until=time, prefetch=prefetch)
        if applied is None and start is not None and start.recorded is not None:
            recorded: datetime | None = start.recorded  # nothing after the start applied
        else:
            recorded = _recorded(app, reached, applied)
        if reached > (start.position if start else 0) and checkpoints.images.most > 0:
            checkpoints.images.keep(Image(reached, views.image(), recorded))
        views.as_of = time if time is not None else recorded
    except BaseException:
        views.close()
        raise
    return views


def _recorded(app: Application[Any], reached: int, applied: Step | None) -> datetime | None:
    """When the event at ``reached`` was recorded: from the step applied there, if any."""
    if applied is not None and applied[1].notification_id == reached:
        moment: datetime | None = getattr(applied[0], "timestamp", None)  # none: set aside
        return moment
    return recorded_at(app, reached)


#: Events past the live views' position read to see whether an "as of" time reaches them;
#: beyond this the replay just reads on to the log's end.
_UNAPPLIED = 1000


def _plan(
    app: Application[Any],
    live: KoersViews,
    position: int | None,
    time: datetime | None,
) -> tuple[int, int | None]:
    """(the latest position a checkpoint to start from may have, 0: none; where to stop
    reading, ``None``: the end)."""
    if time is None:
        return (position if position is not None else live.committed_position), position
    window = _time_window(app, live, time)
    if window is None:
        return 0, position
    after, last = window
    bound = after if position is None else min(position, after)
    stop = position
    if last is not None:
        stop = last if stop is None else min(stop, last)
    return bound, stop


def _time_window(
    app: Application[Any], live: KoersViews, time: datetime
) -> tuple[int, int | None] | None:
    """(a, b) with a < q <= b for the last event q recorded at or before ``time`` (b
    ``None``: past the live views); ``None`` when the time index does not cover the log."""
    applied = live.position  # before the index is read: every batch up to it is in there
    first = live.rows("SELECT min(after) AS first FROM view_batches")
    if not first or first[0]["first"] != 0:
        return None
    found = live.rows(
        "SELECT after, position FROM view_batches WHERE earliest <= ? "
        "ORDER BY position DESC LIMIT 1",
        moment(time),
    )
    after, last = (found[0]["after"], found[0]["position"]) if found else (0, 0)
    if _recorded_by(app, applied, time):
        return after, None
    return after, last


def _recorded_by(app: Application[Any], applied: int, time: datetime) -> bool:
    """Whether an event after position ``applied`` may have been recorded by ``time``."""
    end = app.recorder.max_notification_id() or 0
    if end - applied > _UNAPPLIED:
        return True
    if end <= applied:
        return False
    for notification in app.recorder.select_notifications(applied + 1, end - applied, stop=end):
        event = step_of(app, notification)[0]
        if isinstance(event, SetAside) or event.timestamp <= time:
            return True
    return False


def recorded_at(app: Application[Any], position: int) -> datetime | None:
    """When the event at ``position`` was recorded (``None``: none, or it was set aside)."""
    if position == 0:
        return None
    notification = app.recorder.select_notifications(position, 1, stop=position)[0]
    event, _ = step_of(app, notification)
    moment: datetime | None = getattr(event, "timestamp", None)  # none: set aside
    return moment
