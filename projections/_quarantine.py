"""The views' quarantine: events the views cannot read or apply, set aside with why.

An event is set aside (and the views go on with the next one) when

- it is foreign: not written by Koers (:class:`~ledger.nats._foreign.ForeignNotification`
  says why: no Koers headers, a payload that does not match its digest, ...);
- it does not decode: an unknown type, a payload its class cannot be built from;
- its handler raises: a value out of range, a missing aggregate, an ``OverflowError``...

Each is a row of the ``quarantine`` table (position, subject, event type if known, reason,
when first seen), written in the same transaction as the batch's tracking row, so the row and
the position that passed it commit together. Whether an event is set aside depends only on
the event and the events before it, so a rebuild sets aside exactly the same events, for
the same reasons: the views equal a rebuild (:func:`~projections.export.dump` lists the
quarantine too, without the times first seen).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, Tracking
from eventsourcing.utils import get_topic

from ledger.nats._foreign import ForeignNotification
from ledger.nats._subjects import SubjectScheme, kind_and_type
from projections._schema import QUARANTINE
from projections._sql import Row, Tx

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from projections.views import KoersViews

__all__ = [
    "DATABASE_ERRORS",
    "SetAside",
    "count",
    "entries",
    "failed",
    "record",
    "step_of",
    "subjects_of",
]

log = logging.getLogger(__name__)

#: Errors of the view database itself: never a reason to set an event aside (they stop
#: the batch, which is tried again).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError, OperationalError)
_LIMIT = 1000  # characters of a reason kept


@dataclass(frozen=True)
class SetAside:
    """An event the views do not apply, and why (what a ``quarantine`` row holds)."""

    position: int
    subject: str
    event_type: str | None
    reason: str


def step_of(app: Application[Any], notification: Notification) -> tuple[Any, Tracking]:
    """The notification as a projection step: its domain event, or :class:`SetAside`."""
    tracking = Tracking(app.name, notification.id)
    if isinstance(notification, ForeignNotification):
        aside = SetAside(
            notification.id,
            notification.subject,
            notification.claimed_type,
            f"foreign message: {notification.reason}",
        )
        return aside, tracking
    try:
        return app.mapper.to_domain_event(notification), tracking
    except Exception as e:  # any payload or topic: set aside, never stop the views
        reason = f"cannot decode: {_why(e)}"
        n = notification
        return set_aside(subjects_of(app), n.id, n.originator_id, n.topic, reason), tracking


def subjects_of(app: Application[Any]) -> SubjectScheme | None:
    """The subject scheme of the application's store (``None``: not on NATS)."""
    scheme = getattr(app.recorder, "scheme", None)
    return scheme if isinstance(scheme, SubjectScheme) else None


def set_aside(
    scheme: SubjectScheme | None,
    position: int,
    originator_id: UUID | str,
    topic: str,
    reason: str,
) -> SetAside:
    """An event of ``topic`` set aside for ``reason`` (``scheme``: where its subject is)."""
    subject = "" if scheme is None else scheme.event_subject(originator_id, topic)
    kind, type_ = kind_and_type(topic)
    return SetAside(position, subject, f"{kind}.{type_}", reason)


def failed(scheme: SubjectScheme | None, event: Any, position: int, error: Exception) -> SetAside:
    """An event whose handler raised ``error``, set aside."""
    reason = f"cannot apply: {_why(error)}"
    return set_aside(scheme, position, event.originator_id, get_topic(type(event)), reason)


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_LIMIT]


def record(tx: Tx, aside: SetAside) -> None:
    """Write ``aside`` in the current transaction (a second time changes nothing); log it."""
    log.warning(
        "views: set aside position %d (%s): %s; see 'koers quarantine list'",
        aside.position, aside.subject or aside.event_type, aside.reason,
    )  # fmt: skip
    tx.run(
        f"INSERT INTO {QUARANTINE.name} (position, subject, event_type, reason, first_seen) "
        f"VALUES (?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING",
        aside.position,
        aside.subject,
        aside.event_type,
        aside.reason,
        datetime.now(UTC).isoformat(timespec="seconds"),
    )


def count(views: KoersViews) -> int:
    """How many events the views set aside."""
    rows = views.rows(f"SELECT COUNT(*) AS n FROM {QUARANTINE.name}")
    return int(rows[0]["n"]) if rows else 0


def entries(views: KoersViews) -> list[Row]:
    """The events the views set aside, by position."""
    return views.rows(
        f"SELECT position, subject, event_type, reason, first_seen FROM {QUARANTINE.name} "
        f"ORDER BY position"
    )
