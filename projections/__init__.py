"""The views: read models of the Koers log, built with the library's projection machinery.

How it fits together::

    Koers log (NATS JetStream, notification id = stream sequence)
        │ subscribe() (ordered push consumer)            select_notifications() (pages)
        ▼                                                 ▼
    ViewRunner (live, runner.py)              replay() (rebuild, "as of", replay.py)
        └──────────────► KoersProjection.apply(batch) ◄──────┘      projection.py
                              │ handlers per event class    _goals/_decisions/_follow_up/_lineage
                              ▼
        KoersViews = a tracking recorder (SQLiteKoersViews)        views.py, _schema.py
        facts tables + tracking row, ONE transaction per batch  →  exactly once
                              │
                              ▼
        query functions (facts + an ``at`` moment → plain dataclasses)

Design:

- **Facts, not answers.** The tables (``_schema.py``) hold what the events say (targets,
  check-ins, decision timestamps, ratings, action-item states...). Everything that depends
  on "now" (expected progress, freshness, overdue, review due...) is computed by the query
  functions from those facts and an ``at`` moment, with ``Decimal`` arithmetic, rounded once
  when reported. The exact definitions are in ``docs/metrics.md``.
- **Exactly once.** The view is a subclass of the library's ``SQLiteTrackingRecorder``;
  a batch of events and its tracking row (the last notification id) commit in one
  transaction; the tracking row is written first and must move up, so a replayed or
  redelivered event changes nothing. A runner killed mid-transaction rolls back and resumes
  after the last committed position.
- **One code path.** Live following, ``koers projections rebuild``, views "as of" a past
  position or time, and the library's own ``ProjectionRunner`` all apply events through
  :meth:`KoersProjection.apply`.
- **As of.** :func:`views_as_of` replays the log into a fresh in-memory view up to a stream
  position, or up to the last event recorded at or before a time; queries on it are
  evaluated at that moment. :meth:`ViewRunner.as_of` starts from the nearest view checkpoint
  (a copy of the view file the runner keeps every ``KOERSVIEWS_CHECKPOINT_EVERY`` events,
  ``_checkpoints.py``) or view image kept in memory (a checkpoint read, an earlier answer,
  ``_images.py``) and replays only the tail: the same answer, O(tail) instead of O(log).
- **Rebuild.** :meth:`ViewRunner.rebuild` replays the whole log into ``<views>.rebuild``, then
  swaps the file in atomically (``os.replace``) and resumes following. :func:`dump` writes
  every table deterministically: a rebuilt view dumps byte for byte what the live one does.
- **Read your writes.** A write returns its stream position (``Receipt.position``);
  :meth:`ViewRunner.wait_for` returns as soon as the views committed it: the commit wakes a
  condition variable (no 100 ms polling), typically within a millisecond.
- **Portable SQL.** Plain SQL with ``?`` placeholders, translated in one place
  (``_sql.Tx``); each column has a semantic kind (``_schema.Kind``); in SQLite times are
  sortable UTC text and decimals exact text. With ``KOERS_VIEWS_URL`` the same tables are in
  PostgreSQL (``_postgres.py``: ``timestamptz``, ``date``, ``numeric``, read back in the text
  forms), shared by several API processes (:class:`SharedViews`); no checkpoints there.
- **Quarantine.** An event the views cannot read or apply (foreign, undecodable, a handler
  that raises) is set aside with why, in the same transaction as the tracking row, and the
  views go on (``_quarantine.py``); a rebuild sets aside the same events.
- **Typed columns.** Every column is declared with a kind (timestamp, date, decimal, integer,
  bigint, boolean, text; ``_schema.Kind``); SQLite stores times, dates and decimals as text,
  another backend maps the kinds through ``Table.create(types)``, and ``typed.py`` reads a
  stored value back as its kind for ``koers export`` (docs/metrics.md, "Column types").
- **Settings** (prefix ``KOERSVIEWS_``): ``PERSISTENCE_MODULE`` (``eventsourcing.sqlite``),
  ``SQLITE_DBNAME`` (``<KOERS_DATA_DIR>/views.sqlite3``), ``VIEW_CLASS_TOPIC``,
  ``CHECKPOINT_EVERY`` (2000; 0: no checkpoints), ``CHECKPOINTS_KEPT`` (24), ``IMAGES_KEPT``
  (8; 0: none) and ``IMAGES_MB`` (256); ``KOERS_VIEWS_URL`` and
  ``KOERS_VIEWS_SCHEMA`` for PostgreSQL (``ledger/settings/_sections.py``).

Query results are frozen dataclasses of JSON-ready values: ids, times (UTC ISO 8601) and
dates as text; decimals as text with a fixed number of places (``"0.4167"``, ``"3.50"``), so
no precision is lost; counts as integers; ``None`` where there is nothing to measure (e.g. a
rate over zero items). :func:`as_json` turns any of them into plain dicts and lists.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from projections._quarantine import SetAside
from projections._quarantine import count as quarantine_count
from projections._quarantine import entries as quarantine_entries
from projections._schema import TABLES, Table
from projections.decision_quality import Calibration, DecisionQuality, calibration, decision_quality
from projections.delegation_board import DelegationBoard, delegation_board
from projections.export import dump, export
from projections.kpis import KpiBoard, KpiStatus, kpi_board, kpi_order, kpi_status, team_kpis
from projections.lineage import Lineage, LineageNode, lineage
from projections.okr import OkrProgress, OrgAlignment, okr_progress, org_alignment
from projections.projection import KoersProjection
from projections.prompts import PromptInbox, ReflectionJournal, prompt_inbox, reflection_journal
from projections.replay import replay, views_as_of
from projections.retro_follow_through import RetroFollowThrough, retro_follow_through
from projections.runner import LiveViews, SharedViews, ViewRunner
from projections.things import ThingPage, thing_page, thing_state
from projections.views import (
    KoersViews,
    SQLiteKoersViews,
    ViewsUnavailable,
    memory_views,
    open_views,
    views_position,
)

__all__ = [
    "TABLES",
    "Calibration",
    "DecisionQuality",
    "DelegationBoard",
    "KoersProjection",
    "KoersViews",
    "KpiBoard",
    "KpiStatus",
    "Lineage",
    "LineageNode",
    "LiveViews",
    "OkrProgress",
    "OrgAlignment",
    "PromptInbox",
    "ReflectionJournal",
    "RetroFollowThrough",
    "SQLiteKoersViews",
    "SetAside",
    "SharedViews",
    "Table",
    "ThingPage",
    "ViewRunner",
    "ViewsUnavailable",
    "as_json",
    "calibration",
    "decision_quality",
    "delegation_board",
    "dump",
    "export",
    "kpi_board",
    "kpi_order",
    "kpi_status",
    "lineage",
    "memory_views",
    "okr_progress",
    "open_views",
    "org_alignment",
    "prompt_inbox",
    "quarantine_count",
    "quarantine_entries",
    "reflection_journal",
    "replay",
    "retro_follow_through",
    "team_kpis",
    "thing_page",
    "thing_state",
    "views_as_of",
    "views_position",
]


def as_json(result: Any) -> Any:
    """A query result as plain dicts and lists (``json.dumps`` takes it as it is)."""
    return dataclasses.asdict(result)
