"""The views in PostgreSQL (``KOERS_VIEWS_URL``): the same tables, the same projection code.

Everything that differs from SQLite is here (and in :func:`projections._schema.column_type`):

- **Where.** A schema (``KOERS_VIEWS_SCHEMA``, default ``koers_views``) holds the view
  tables, the quarantine, the time index and the tracking table; every connection has it as
  its ``search_path`` (and ``TimeZone=UTC``), so the statements are the SQLite ones, with
  ``%s`` for ``?`` (:class:`~projections._sql.Tx`).
- **Exactly once.** A batch's rows and its tracking row commit in one transaction, as in
  SQLite: the tracking row is an upsert that only moves forward (``... WHERE
  tracking.notification_id < excluded.notification_id RETURNING``); no row back means the
  position is not beyond the recorded one, ``IntegrityError``, and the batch rolls back.
- **One writer.** A session advisory lock (:class:`PostgresWriterLock`) per schema instead of
  the file lock: one runner keeps the views, on whatever machine; any number of processes read.
  A restart of the database ends the session and the lock with it: the runner takes it again
  (:meth:`PostgresWriterLock.regain`) before it writes on.
- **Rebuild.** The log is replayed into ``<schema>_rebuild``, then one transaction drops the
  live schema and renames the fresh one into its place: every reader, in any process, sees
  the old views or the new ones, never a mix.
- **Unavailable.** A lost connection (PostgreSQL down, restarting) raises
  :class:`ViewsUnavailable` (a database error: never a reason to set an event aside); the
  connection is dropped, the next call connects again.
- **"As of".** No checkpoints (they are SQLite files): an "as of" read replays the log into a
  private in-memory SQLite view store, as it does with checkpoints turned off.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import IntegrityError, Tracking
from psycopg.rows import dict_row

from ledger.settings import ViewSettings
from projections._lock import ViewsBusy
from projections._schema import POSTGRES, create_statements
from projections._sql import day, dec, moment
from projections.views import KoersViews, ViewsUnavailable

__all__ = ["PostgresKoersViews", "PostgresWriterLock", "ViewsUnavailable", "replace_schema"]

_CONNECT_TIMEOUT = 5
_IDLE = 16  # connections kept open for reuse
_CREATE_LOCK = 0x6B6F657273  # "koers": serialises table creation across processes

_TRACKING = (
    'CREATE TABLE IF NOT EXISTS tracking (application_name TEXT COLLATE "C" PRIMARY KEY, '
    "notification_id BIGINT NOT NULL)"
)
_INSERT_TRACKING = (
    "INSERT INTO tracking (application_name, notification_id) VALUES (%s, %s) "
    "ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id "
    "WHERE tracking.notification_id < excluded.notification_id RETURNING notification_id"
)


def _connect(url: str, schema: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=_CONNECT_TIMEOUT,
            options=f"-c search_path={schema} -c TimeZone=UTC",
        )
    except psycopg.OperationalError as e:
        raise ViewsUnavailable(_unavailable(url, e)) from e


def _where(url: str) -> str:
    return ViewSettings(url=url).where


def _unavailable(url: str, error: BaseException) -> str:
    where = _where(url)
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"the view database {where} is unavailable ({first}); retry in a moment"


class _Cursor:
    """psycopg's cursor, with a lost connection raised as :class:`ViewsUnavailable` where it
    happens (a projection handler's statement too: a database error, never a reason to set
    an event aside, see ``projections._quarantine.DATABASE_ERRORS``)."""

    def __init__(self, cursor: psycopg.Cursor[Any], url: str) -> None:
        self._cursor, self._url = cursor, url

    def execute(self, statement: Any, params: Any = None) -> None:
        try:
            self._cursor.execute(statement, params)
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            raise ViewsUnavailable(_unavailable(self._url, e)) from e

    def fetchone(self) -> Any:
        row = self._cursor.fetchone()
        return None if row is None else _as_stored(row)

    def fetchall(self) -> list[Any]:
        return [_as_stored(row) for row in self._cursor.fetchall()]


def _as_stored(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its typed values (``timestamptz``, ``date``, ``numeric``) in the text forms
    of :mod:`projections._sql`, which every query reads: the same rows as from SQLite."""
    return {k: _TEXT[type(v)](v) if type(v) in _TEXT else v for k, v in row.items()}


_TEXT: dict[type, Any] = {datetime: moment, date: day, Decimal: dec}


class PostgresKoersViews(KoersViews):
    """The views in one schema of a PostgreSQL database (see the module docstring)."""

    placeholder = "%s"

    def __init__(self, url: str, schema: str) -> None:
        super().__init__()
        self.url, self.schema = url, schema
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()
        self.create_table()

    @property
    def where(self) -> str:
        return f"{_where(self.url)} (schema {self.schema})"

    position_is_cheap: ClassVar[bool] = False  # a query: not on an event loop

    @property
    def committed_position(self) -> int:
        """Always read: another process (the runner) commits to these views."""
        return self.position

    def create_table(self) -> None:
        """The schema and every table, if missing (one process at a time)."""
        with self._transaction(commit=True) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            for statement in (_TRACKING, *create_statements(POSTGRES)):
                cursor.execute(statement)

    def _take(self) -> psycopg.Connection[Any]:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        return _connect(self.url, self.schema)

    def _give(self, connection: psycopg.Connection[Any]) -> None:
        if connection.closed or connection.broken:
            return
        with self._idle_lock:
            if len(self._idle) < _IDLE:
                self._idle.append(connection)
                return
        connection.close()

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        connection = self._take()
        try:
            # A read is one statement (``rows``): in autocommit, one round trip, no BEGIN.
            with (
                connection.transaction() if commit else contextlib.nullcontext(),
                connection.cursor(row_factory=dict_row) as cursor,
            ):
                yield _Cursor(cursor, self.url)
        except (psycopg.OperationalError, psycopg.InterfaceError, ViewsUnavailable) as e:
            connection.close()
            if isinstance(e, ViewsUnavailable):
                raise
            raise ViewsUnavailable(_unavailable(self.url, e)) from e
        finally:
            self._give(connection)

    def _insert_tracking(self, c: Any, tracking: Tracking) -> None:
        c.execute(_INSERT_TRACKING, (tracking.application_name, tracking.notification_id))
        if c.fetchone() is None:
            raise IntegrityError(
                f"Failed to record tracking for {tracking.application_name} "
                f"{tracking.notification_id}"
            )

    def insert_tracking(self, tracking: Tracking) -> None:
        with self._transaction(commit=True) as cursor:
            self._insert_tracking(cursor, tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        rows = self.rows(
            "SELECT notification_id FROM tracking WHERE application_name = ?", application_name
        )
        return int(rows[0]["notification_id"]) if rows else None

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def drop_schema(url: str, schema: str) -> None:
    """Remove a schema and everything in it (nothing if there is none)."""
    with _connect(url, schema) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def replace_schema(url: str, live: str, fresh: str) -> None:
    """Put ``fresh`` in place of ``live`` in one transaction (readers see one or the other)."""
    with _connect(url, live) as connection, connection.transaction():
        connection.execute(f"DROP SCHEMA IF EXISTS {live} CASCADE")
        connection.execute(f"ALTER SCHEMA {fresh} RENAME TO {live}")


class PostgresWriterLock:
    """One runner per schema: a session advisory lock held on a connection of its own from
    :meth:`acquire` to :meth:`release` (PostgreSQL drops it when that session ends, however
    the process ends). ``ViewsBusy`` if another session holds it."""

    def __init__(self, url: str, schema: str) -> None:
        self.url, self.schema = url, schema
        self.key = zlib.crc32(f"koers views {schema}".encode())
        self._connection: psycopg.Connection[Any] | None = None

    def acquire(self) -> None:
        connection = _connect(self.url, self.schema)
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if not row or not row[0]:
            holder = connection.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                "AND granted LIMIT 1",
                (self.key,),
            ).fetchone()
            connection.close()
            where = Path(f"{_where(self.url)} (schema {self.schema})")
            raise ViewsBusy(where, f"PostgreSQL backend {holder[0]}" if holder else "")
        self._connection = connection

    def regain(self) -> None:
        """After the database went away (and the lock with its session): take the lock
        again; ``ViewsBusy`` if another runner took it meanwhile, ``ViewsUnavailable`` if
        the database still does not answer."""
        connection = self._connection
        if connection is not None and not connection.closed:
            try:
                connection.execute("SELECT 1")
            except psycopg.Error:
                pass
            else:
                return
        self.release()
        self.acquire()

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # ends the session: the lock goes with it
