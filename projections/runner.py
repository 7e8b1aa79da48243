"""The view runner: follows the Koers notification log and keeps the views up to date.

Two threads: a *reader* iterates the application recorder's ``subscribe()`` (on NATS an
ordered push consumer, in stream order) into a bounded queue; a *writer* takes whatever
has arrived (up to ``batch`` notifications), decodes the events with the application's
mapper and applies them through :class:`~projections.projection.KoersProjection` in one
transaction with the tracking row of the last one. An event that cannot be read or applied
(foreign, undecodable, a handler that raises) is set aside in the quarantine, in that same
transaction, and the views go on (:mod:`projections._quarantine`). One event waiting means
a batch of one, so a single write is visible after one small commit; a backlog (start-up, a
burst) is applied a page at a time. On start the subscription begins after the views' tracking
position, so a restart after a crash (even SIGKILL mid-transaction, which rolls back)
applies each event exactly once.

:meth:`ViewRunner.wait_for` returns as soon as the views reflect a position (woken by the
commit, no polling delay): read-your-writes. :meth:`ViewRunner.rebuild` replays the whole
log into a fresh file beside the views, then swaps it in. One runner per view file (an
exclusive lock on ``<views>.lock``).

Checkpoints (:mod:`projections._checkpoints`): when a commit takes the views
``KOERSVIEWS_CHECKPOINT_EVERY`` events past the last checkpoint, a third thread copies the
committed view file (the writer goes on meanwhile); a rebuild takes them of the fresh views
as it replays and swaps them in with the file. :meth:`ViewRunner.as_of` starts from them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import Notification, WaitInterruptedError

from ledger.errors import ConfigurationError
from ledger.settings import ROLE_KEY, ViewSettings
from projections._checkpoints import (
    Checkpoints,
    checkpoint_every,
    checkpoints_kept,
    images_kept,
    images_megabytes,
)
from projections._images import Images
from projections._lock import WriterLock
from projections._quarantine import step_of, subjects_of
from projections.export import dump, export
from projections.projection import KoersProjection
from projections.replay import PAGE, Progress, replay, views_as_of
from projections.views import KoersViews, ViewsUnavailable, open_views, views_env

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, Subscription

    from ledger.application import Koers
    from projections._postgres import PostgresWriterLock

__all__ = ["LiveViews", "SharedViews", "ViewRunner"]

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
POLL = 0.05
RETRY_MAX = 2.0


class LiveViews(Protocol):
    """What the API reads live views through: a :class:`ViewRunner` (this process keeps
    them) or :class:`SharedViews` (another process does)."""

    views: KoersViews

    @property
    def error(self) -> BaseException | None: ...

    @property
    def position(self) -> int: ...

    def wait_for(self, position: int | None, timeout: float = 5.0) -> None: ...

    def as_of(self, position: int | None = None, time: datetime | None = None) -> KoersViews: ...

    def close(self) -> None: ...


class SharedViews:
    """Views in PostgreSQL that another process keeps (``koers projections run``, or a
    ``koers serve`` with its views), read by this one: any number of API processes share
    them. Read-your-writes holds across processes through the write's position:
    :meth:`wait_for` polls the shared tracking row until it reaches it. "As of" reads replay
    the log into memory (:func:`~projections.replay.views_as_of`)."""

    def __init__(self, app: Koers, env: Mapping[str, str]) -> None:
        self.app = app
        self.views: KoersViews = open_views(env)

    @property
    def error(self) -> BaseException | None:
        return None  # the process that keeps them reports its own; here they may lag only

    @property
    def position(self) -> int:
        return self.views.position

    def wait_for(self, position: int | None, timeout: float = 5.0) -> None:
        """Return as soon as the shared views reflect ``position``; ``TimeoutError`` after
        ``timeout`` seconds."""
        if position is not None:
            self.views.wait(self.app.name, position, timeout)

    def as_of(self, position: int | None = None, time: datetime | None = None) -> KoersViews:
        return views_as_of(self.app, position, time)

    def close(self) -> None:
        self.views.close()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ViewRunner:
    """The live views of one Koers log, in one view file.

    ``app_env``: the application's settings (``NATS_URL``, ``NATS_STREAM``, ``KOERS_DATA_DIR``,
    ``KOERSVIEWS_*``); ``views_path``: the view file (default ``KOERSVIEWS_SQLITE_DBNAME``,
    else ``<KOERS_DATA_DIR>/views.sqlite3``); ``app``: share an open application instead of
    making one (it is not closed with the runner).
    """

    def __init__(
        self,
        app_env: Mapping[str, str],
        views_path: str | Path | None = None,
        *,
        app: Koers | None = None,
        batch: int = 500,
    ) -> None:
        from ledger.application import Koers

        self._env = dict(app_env)
        self.path = Path(views_path or views_env(self._env).get("SQLITE_DBNAME", ""))
        settings = ViewSettings.from_env(self._env)
        #: The PostgreSQL views (``KOERS_VIEWS_URL``; a ``views_path`` names a SQLite file).
        self.postgres = settings if settings.url and views_path is None else None
        #: Where the views are (for messages).
        self.where = (
            f"{settings.where} (schema {settings.schema})" if self.postgres else str(self.path)
        )
        self.batch = batch
        self.checkpoints = Checkpoints(  # none in PostgreSQL (see projections._postgres)
            self.path,
            0 if self.postgres else checkpoint_every(self._env),
            checkpoints_kept(self._env),
            Images(images_kept(self._env), images_megabytes(self._env)),
        )
        self._checkpoint_due = threading.Event()
        self._lock: WriterLock | PostgresWriterLock
        if self.postgres:
            from projections._postgres import PostgresWriterLock

            self._lock = PostgresWriterLock(self.postgres.url, self.postgres.schema)
        else:
            self._lock = WriterLock(self.path)
        self._lock.acquire()
        self._owns_app = app is None
        self._closed = False
        try:
            # A runner of its own reads as the embedded server's read-only ``views`` user.
            own = {**self._env, ROLE_KEY: "views"}
            self.app: Koers = app if app is not None else Koers(env=own)
            try:
                self.views: KoersViews = self._open()
            except BaseException:
                if self._owns_app:
                    self.app.close()
                raise
        except BaseException:
            self._lock.release()
            raise
        self._stopping = threading.Event()
        self._failed = threading.Event()
        self._error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        self._subscription: Subscription[ApplicationRecorder] | None = None
        self._swap = threading.Lock()
        #: The position the last :meth:`start` followed the log from.
        self.started_from = 0

    def _open(self) -> KoersViews:
        if self.postgres:
            return open_views(self._env)
        return open_views(self._env, path=self.path)

    # -- following ---------------------------------------------------------------------------

    def start(self) -> ViewRunner:
        """Follow the log in the background (from the views' position). Views made by an
        older schema (:attr:`KoersViews.outdated`) are rebuilt first."""
        if self._threads:
            return self
        self._rebuild_if_outdated()
        self._stopping.clear()
        gt = self.views.max_tracking_id(self.app.name)
        self.started_from = gt or 0
        subscription = self.app.recorder.subscribe(gt=gt)
        self._subscription = subscription
        notes: queue.Queue[Notification | _Failed] = queue.Queue(QUEUE_SIZE)
        self._threads = [
            threading.Thread(target=self._read, args=(subscription, notes), daemon=True),
            threading.Thread(target=self._write, args=(notes, self.views), daemon=True),
            threading.Thread(target=self._checkpoint, args=(self.views,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop following (the views keep their position; :meth:`start` resumes)."""
        self._stopping.set()
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.stop()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _read(
        self, subscription: Subscription[ApplicationRecorder], notes: queue.Queue[Any]
    ) -> None:
        try:
            for notification in subscription:
                while not self._stopping.is_set():
                    try:
                        notes.put(notification, timeout=POLL)
                    except queue.Full:
                        continue
                    break
        except BaseException as e:  # handed to the writer, which fails in order
            notes.put(_Failed(e))

    def _write(self, notes: queue.Queue[Notification | _Failed], views: KoersViews) -> None:
        projection = KoersProjection(views, subjects=subjects_of(self.app))
        try:
            while not self._stopping.is_set():
                try:
                    batch = [notes.get(timeout=POLL)]
                except queue.Empty:
                    continue
                while len(batch) < self.batch:
                    try:
                        batch.append(notes.get_nowait())
                    except queue.Empty:
                        break
                self._apply(projection, batch)
                if self.checkpoints.every > 0 and self.checkpoints.due(views.committed_position):
                    self._checkpoint_due.set()
        except BaseException as e:
            self._error = e
            self._failed.set()
            views.wake_waiters()

    def _checkpoint(self, views: KoersViews) -> None:
        """Take a checkpoint whenever the writer says one is due (until stopped)."""
        while not self._stopping.is_set():
            if self._checkpoint_due.wait(POLL):
                self._checkpoint_due.clear()
                # Asked again while the last copy was being taken (the writer saw the older
                # list), it may not be due any more: one checkpoint per EVERY events.
                if not self.checkpoints.due(views.committed_position):
                    continue
                try:
                    self.checkpoints.take(views)
                except Exception as e:  # the views go on; "as of" reads replay more
                    log.warning("no view checkpoint taken of %s: %r", self.path, e)

    def _apply(self, projection: KoersProjection, batch: list[Notification | _Failed]) -> None:
        """Apply the notifications before the first failure (if any), then raise it.

        While the view database is unavailable (PostgreSQL down or restarting) the batch is
        tried again, from 50 ms doubling up to 2 s, until it commits or the runner stops,
        the writer lock taken again first (``ViewsBusy`` if another runner has it now);
        steps the views reflect already are skipped (a commit whose answer was lost), so
        each event still takes effect once."""
        failures = [n for n in batch if isinstance(n, _Failed)]
        ready = batch[: batch.index(failures[0])] if failures else batch
        steps = [step_of(self.app, n) for n in ready if isinstance(n, Notification)]
        pause, retry = POLL, False
        while True:
            try:
                if retry:  # a database's lock went with its lost session: take it again
                    self._lock.regain()
                projection.apply(steps)
            except ViewsUnavailable as e:
                if self._stopping.is_set():
                    raise
                log.warning("views: %s; trying again in %.2f s", e, pause)
                if self._stopping.wait(pause):
                    raise
                pause, retry = min(pause * 2, RETRY_MAX), True
            else:
                break
        if failures:
            raise failures[0].error

    # -- reading your writes --------------------------------------------------------------

    @property
    def position(self) -> int:
        """The last notification id the views reflect."""
        return self.views.position

    @property
    def error(self) -> BaseException | None:
        """Why following stopped, if it failed."""
        return self._error

    def wait_for(self, position: int | None, timeout: float = 5.0) -> None:
        """Return as soon as the views reflect notification ``position`` (a write's
        ``Receipt.position``); ``TimeoutError`` after ``timeout`` seconds; ``RuntimeError``
        (caused by the error) if following stopped on an error."""
        if position is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            self._raise_failure()
            views = self.views
            remaining = deadline - time.monotonic()
            try:
                views.wait(self.app.name, position, max(0.0, remaining), self._failed)
            except WaitInterruptedError:
                continue  # the runner failed: raised above
            except TimeoutError:
                if views is self.views:
                    raise
            except Exception:
                if views is self.views and not self._swap.locked():  # not a rebuild's swap
                    raise
                time.sleep(0.001)
            else:
                return

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"the view runner stopped: {self._error!r}") from self._error

    # -- the past ------------------------------------------------------------------------------

    def checkpoint(self) -> int:
        """Take a checkpoint of the committed views now; returns its position (0: none)."""
        if self.postgres:
            raise ConfigurationError(
                "views in PostgreSQL keep no checkpoints: an 'as of' read replays the log"
            )
        return self.checkpoints.take(self.views)

    def as_of(
        self, position: int | None = None, time: datetime | None = None, *, prefetch: bool = True
    ) -> KoersViews:
        """:func:`~projections.replay.views_as_of` from the nearest checkpoint."""
        return views_as_of(
            self.app,
            position,
            time,
            checkpoints=self.checkpoints,
            live=self.views,
            prefetch=prefetch,
        )

    # -- rebuilding and exporting ----------------------------------------------------------

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply the log up to its current end, in this thread (not while following); views
        made by an older schema are rebuilt instead."""
        if self._threads:
            raise RuntimeError("the runner is following the log; wait_for() a position")
        if self._rebuild_if_outdated(progress):
            return self.views.position
        return replay(self.app, self.views, progress=progress)

    def _rebuild_if_outdated(self, progress: Progress | None = None) -> bool:
        """Rebuild views made by an older schema (:attr:`KoersViews.outdated`); whether it did."""
        if not self.views.outdated:
            return False
        log.warning("%s was made by an older version of the views: rebuilding", self.path)
        self.rebuild(progress)
        return True

    def rebuild(self, progress: Progress | None = None, *, prefetch: bool = True) -> int:
        """Replay the whole log into a fresh view file, then swap it in for the live one
        (following resumes from the rebuilt position). Returns that position.
        ``prefetch``: see :func:`~projections.replay.replay`."""
        if self.postgres:
            return self._rebuild_schema(self.postgres, progress)
        fresh_path = self.path.with_name(self.path.name + ".rebuild")
        _remove_database(fresh_path)
        kept = Checkpoints(fresh_path, self.checkpoints.every, self.checkpoints.most, Images(0))
        kept.remove()
        fresh = open_views(self._env, path=fresh_path)

        def page(done: int, last: int) -> None:
            if progress:
                progress(done, last)
            if kept.due(done):
                kept.take(fresh)

        try:
            every = self.checkpoints.every
            pages = min(PAGE, every) if every > 0 else PAGE  # a checkpoint every `every`
            position = replay(self.app, fresh, progress=page, page=pages, prefetch=prefetch)
        except BaseException:
            fresh.close()
            _remove_database(fresh_path)
            kept.remove()
            raise
        fresh.close()

        def swap() -> None:
            if Path(f"{self.path}-wal").exists():  # someone else still has it open
                raise RuntimeError(f"{self.path} is open in another process; not swapped")
            self.checkpoints.remove()  # first: a crash now leaves none, never stale ones
            os.replace(fresh_path, self.path)
            self.checkpoints.replace_with(kept)

        self._swap_in(swap)
        return position

    def _swap_in(self, swap: Callable[[], None]) -> None:
        """Stop following and close the views, ``swap`` the fresh ones in, open them again
        and resume following (not when ``swap`` raised: the views are opened, as they are)."""
        with self._swap:
            following = bool(self._threads)
            self.stop()
            self.views.close()
            self.views.wake_waiters()
            try:
                swap()
            finally:
                self.views = self._open()
            if following:
                self.start()

    def _rebuild_schema(self, postgres: ViewSettings, progress: Progress | None) -> int:
        """:meth:`rebuild` in PostgreSQL: into ``<schema>_rebuild``, swapped in by renaming
        it in one transaction (see :mod:`projections._postgres`)."""
        from projections._postgres import drop_schema, replace_schema

        url, live, fresh_schema = postgres.url, postgres.schema, f"{postgres.schema}_rebuild"
        drop_schema(url, fresh_schema)
        fresh = open_views(self._env, schema=fresh_schema)
        try:
            position = replay(self.app, fresh, progress=progress)
        except BaseException:
            fresh.close()
            drop_schema(url, fresh_schema)
            raise
        fresh.close()
        self._swap_in(lambda: replace_schema(url, live, fresh_schema))
        return position

    def dump(self) -> bytes:
        """Every view table, deterministically (see :mod:`projections.export`)."""
        return dump(self.views)

    def export(self, path: str | Path) -> int:
        return export(self.views, path)

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stop()
        self.views.close()
        if self._owns_app:
            self.app.close()
        self._lock.release()

    def __enter__(self) -> ViewRunner:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _remove_database(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)
