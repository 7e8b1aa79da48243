"""The view store: a tracking recorder whose tables hold the facts the views are made of.

:class:`KoersViews` is what the projection writes to and the query functions read from. A
concrete class joins it with one of the library's tracking recorders, so that one
transaction holds an event batch's table changes *and* its tracking row: committed together
or not at all, which is what makes each event take effect exactly once (the tracking row is
written first; a position at or below the recorded one raises ``IntegrityError`` and the
whole transaction rolls back).

- :class:`SQLiteKoersViews` (``eventsourcing.sqlite``): the default, one file
  (``<KOERS_DATA_DIR>/views.sqlite3``), WAL with ``synchronous=NORMAL`` (a power cut may lose
  the last commits, which only moves the tracking position back with them: they are
  replayed, still exactly once), or an in-memory database for "as of" views.
- :class:`~projections._postgres.PostgresKoersViews` (psycopg 3): when ``KOERS_VIEWS_URL``
  names a PostgreSQL database, every table in one schema of it, shared by any number of
  reading processes (see :mod:`projections._postgres`). The SQL is portable (see
  :mod:`projections._sql`).

:meth:`KoersViews.wait` replaces the library's polling (which sleeps 100 ms first): a commit
in this process wakes waiters at once through a condition variable; commits by another
process are seen by polling the tracking table from 1 ms, doubling up to 20 ms.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.persistence import (
    InfrastructureFactory,
    OperationalError,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import Environment, resolve_topic

from ledger.application._waiting import PollingTrackingRecorder
from ledger.settings import StoreSettings, ViewSettings, private_dir, private_file
from projections._schema import SCHEMA, SCHEMA_VERSION, create_statements
from projections._sql import Row, Tx

__all__ = [
    "PROJECTION_NAME",
    "UPSTREAM",
    "KoersViews",
    "SQLiteKoersViews",
    "ViewsUnavailable",
    "memory_views",
    "open_views",
    "views_env",
    "views_position",
]

#: The projection's name: the prefix of its settings (``KOERSVIEWS_SQLITE_DBNAME``, ...).
PROJECTION_NAME = "KoersViews"
#: The application whose notification log the views follow (``Koers.name``).
UPSTREAM = "Koers"
VIEW_CLASSES = {"eventsourcing.sqlite": "projections.views:SQLiteKoersViews"}
MAX_POLL = 0.02


class ViewsUnavailable(OperationalError):
    """The view database cannot be reached (PostgreSQL down, restarting, or the connection
    lost mid-transaction): a database error, never a reason to set an event aside."""


class KoersViews(PollingTrackingRecorder, ABC):
    """Facts tables plus the tracking position of the Koers notification log they reflect."""

    placeholder: ClassVar[str] = "?"
    longest_pause: ClassVar[float] = MAX_POLL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._committed = threading.Condition()
        self._seen: dict[str, int] = {}
        #: For a view built "as of" a past moment: that moment (queries default to it).
        self.as_of: datetime | None = None

    @abstractmethod
    def _transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        """A transaction; yields the driver's cursor."""

    if TYPE_CHECKING:  # provided by the concrete tracking recorder

        def _insert_tracking(self, c: Any, tracking: Tracking) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Close the database connections."""

    def image(self) -> bytes:
        """The whole view database as the bytes of a SQLite file (an "as of" read keeps it
        in memory, :mod:`projections._images`)."""
        raise NotImplementedError(f"{type(self).__name__} is not a SQLite database")

    @contextmanager
    def recording(self, tracking: Tracking) -> Iterator[Tx]:
        """One transaction: the tracking row first, then whatever the caller writes.

        Raises ``IntegrityError`` (and changes nothing) when ``tracking`` is not beyond the
        recorded position. Waiters are woken after the commit.
        """
        with self._transaction(commit=True) as cursor:
            self._insert_tracking(cursor, tracking)
            yield Tx(cursor, self.placeholder)
        self._note(tracking.application_name, tracking.notification_id)

    def _note(self, application_name: str, position: int) -> None:
        """This process knows ``position`` of ``application_name``'s log committed to the
        views; its waiters are woken."""
        with self._committed:
            seen = self._seen.get(application_name, 0)
            self._seen[application_name] = max(seen, position)
            self._committed.notify_all()

    def rows(self, statement: str, *params: Any) -> list[Row]:
        """Rows of a read-only query (``?`` placeholders)."""
        with self._transaction(commit=False) as cursor:
            return Tx(cursor, self.placeholder).all(statement, *params)

    @property
    def position(self) -> int:
        """The last notification id of the Koers log these views reflect (0: none)."""
        return self.max_tracking_id(UPSTREAM) or 0

    @property
    def outdated(self) -> bool:
        """Whether these views were made by an older schema (``_schema.SCHEMA_VERSION``):
        they hold events but no version, or another one. ``koers projections rebuild``."""
        if not self.position:
            return False
        versions = self.rows(f"SELECT version FROM {SCHEMA.name}")
        return [r["version"] for r in versions] != [SCHEMA_VERSION]

    #: Whether :attr:`committed_position` answers without a query (an event loop may read it
    #: itself); views another process commits to are read by a query each time.
    position_is_cheap: ClassVar[bool] = True

    @property
    def committed_position(self) -> int:
        """:attr:`position` without a query once this process has committed to the views
        (the last commit it saw); the same value, cheap enough for every request."""
        with self._committed:
            seen = self._seen.get(UPSTREAM)
        if seen is None:
            seen = self.position
            self._note(UPSTREAM, seen)
        return seen

    def _reached(self, application_name: str, notification_id: int | None) -> bool:
        """The views reflect ``notification_id``: this process saw it committed, or the
        tracking row says so (written by another process, or by this one's writer between
        its commit and noting it). Then it is noted here too: :attr:`committed_position` is
        never behind a wait that returned (the API keys cached answers by it, so a position
        behind would serve an answer older than the write: read your writes broken)."""
        wanted = notification_id or 0
        if self._seen_at_least(application_name, wanted):
            return True
        if not self.has_tracking_id(application_name, notification_id):
            return False
        self._note(application_name, wanted)
        return True

    def _pause(self, application_name: str, notification_id: int | None, seconds: float) -> None:
        """Until this process commits the position, or ``seconds`` pass."""
        with self._committed:
            if self._seen.get(application_name, 0) < (notification_id or 0):
                self._committed.wait(seconds)

    def _missed(self, application_name: str, notification_id: int | None) -> str:
        return f"the views did not reach {application_name} notification {notification_id}"

    def _seen_at_least(self, application_name: str, wanted: int) -> bool:
        with self._committed:
            return self._seen.get(application_name, 0) >= wanted

    def wake_waiters(self) -> None:
        """Wake every waiter now (used when the views are being closed or swapped)."""
        with self._committed:
            self._committed.notify_all()


class SQLiteKoersViews(KoersViews, SQLiteTrackingRecorder):
    """The views in SQLite (a file, or memory for "as of")."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *create_statements()]

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.get_connection(commit=commit) as connection:
            if commit:  # not allowed inside a transaction, so before BEGIN
                connection.cursor().execute("PRAGMA synchronous=NORMAL")
            with connection.transaction(commit=commit) as cursor:
                yield cursor

    def image(self) -> bytes:
        with self.datastore.get_connection(commit=False) as connection:
            return connection._sqlite_conn.serialize()

    def close(self) -> None:
        self.datastore.close()


def views_env(
    environ: Mapping[str, str] | None = None, *, path: str | Path | None = None
) -> Environment:
    """The settings the view store is built from (``environ``: the views' and the store's
    settings, see :class:`ledger.settings.ViewSettings`), under the ``KOERSVIEWS_`` prefix.

    ``KOERSVIEWS_PERSISTENCE_MODULE`` (default ``eventsourcing.sqlite``),
    ``KOERSVIEWS_SQLITE_DBNAME`` (default ``<KOERS_DATA_DIR>/views.sqlite3``; ``path``
    overrides it), ``KOERSVIEWS_VIEW_CLASS_TOPIC`` (default: the class for the module), and
    any other ``KOERSVIEWS_*`` key the library's factory reads.
    """
    source = dict(environ or {})
    prefix = PROJECTION_NAME.upper() + "_"
    env = Environment(PROJECTION_NAME, {k: v for k, v in source.items() if k.startswith(prefix)})
    env[prefix + "PERSISTENCE_MODULE"] = env.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    if path is not None:
        env[prefix + "SQLITE_DBNAME"] = str(path)
    elif env.get("SQLITE_DBNAME") is None:
        data_dir = StoreSettings.from_env(source).data_dir
        env[prefix + "SQLITE_DBNAME"] = str(data_dir / "views.sqlite3")
    return env


def _make_private(dbname: str) -> None:
    """Create the view file with mode 0600 before sqlite does (with the umask's mode): it
    holds every team's content. sqlite gives its -wal and -shm files the same mode."""
    if not dbname or dbname.startswith("file:") or dbname == ":memory:":
        return
    path = Path(dbname)
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)


def open_views(
    environ: Mapping[str, str] | None = None,
    *,
    path: str | Path | None = None,
    schema: str | None = None,
) -> KoersViews:
    """The view store the settings name (tables created if missing). Close it when done.

    With ``KOERS_VIEWS_URL`` (and no ``path``, which names a SQLite file): the PostgreSQL
    views, in ``schema`` (default ``KOERS_VIEWS_SCHEMA``)."""
    settings = ViewSettings.from_env(environ or {})
    if settings.url and path is None:
        from projections._postgres import PostgresKoersViews

        return PostgresKoersViews(settings.url, schema or settings.schema)
    env = views_env(environ, path=path)
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    topic = env.get("VIEW_CLASS_TOPIC") or VIEW_CLASSES.get(module)
    if topic is None:
        raise ValueError(
            f"no view class for {module}: set {PROJECTION_NAME.upper()}_VIEW_CLASS_TOPIC"
        )
    view_class = resolve_topic(topic)
    _make_private(env.get("SQLITE_DBNAME") or "")
    factory = InfrastructureFactory[TrackingRecorder].construct(env)
    views = factory.tracking_recorder(view_class)
    assert isinstance(views, KoersViews)
    return views


def views_position(environ: Mapping[str, str] | None = None) -> tuple[int, str]:
    """How many events the views the settings name reflect, and where they are: ``0`` when
    there are none yet (a SQLite file that does not exist is not created)."""
    env = views_env(environ)
    settings = ViewSettings.from_env(environ or {})
    where = settings.where or env.get("SQLITE_DBNAME") or PROJECTION_NAME
    sqlite = (
        not settings.url
        and env.get("PERSISTENCE_MODULE", "eventsourcing.sqlite") == "eventsourcing.sqlite"
    )
    if sqlite and not where.startswith("file:") and not Path(where).exists():
        return 0, where
    views = open_views(environ)
    try:
        return views.position, where
    finally:
        views.close()


def memory_views(image: bytes | None = None) -> KoersViews:
    """A fresh, private in-memory view store (for "as of" views): empty (its tables made), or
    holding the view database ``image`` (the bytes of a checkpoint's file, or of
    :meth:`SQLiteKoersViews.image`) as it is, loaded without a copy page by page.

    One connection, private to the store (not a shared cache, whose table locks cost every
    statement): its reads and writes take turns, as the library's pool lets them in memory."""
    datastore = SQLiteDatastore(":memory:", pool_size=1, max_overflow=0)
    views = SQLiteKoersViews(datastore)
    if image is None:
        views.create_table()
        return views
    try:
        with datastore.get_connection(commit=True) as connection:
            connection._sqlite_conn.deserialize(image)
    except BaseException:
        views.close()
        raise
    return views
