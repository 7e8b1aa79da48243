"""The ``eventsourcing`` recorders on NATS JetStream.

Guarantees (the library's recorder contract, checked by its reusable test cases in
``tests/store/test_nats_contract.py``):

- ``(originator_id, originator_version)`` is unique: writing a version the aggregate already
  has, or one lower than its last, raises ``IntegrityError`` (a ``ConcurrencyConflict``);
- one ``insert_events`` call is atomic, even across aggregates (one ADR-50 batch);
- notification ids are the stream sequences: 1, 2, 3… in a fresh stream, contiguous within
  one call, never interleaved between concurrent calls; a reader never sees id n+1 while n
  can still appear (JetStream assigns sequences at commit);
- tracking positions only move up (``IntegrityError`` otherwise), and a process recorder
  writes its events and its tracking position in the same atomic batch (exactly once).

A message on the stream that is not a Koers event (``_foreign``: written by another NATS
client) never reaches the domain: ``select_events`` leaves it out (an aggregate is rebuilt
from its good events), ``select_notifications`` and ``subscribe`` give it as a
:class:`~ledger.nats._foreign.ForeignNotification` (its position, subject and why) so that
consumers set it aside, in order, and go on — unless topics are asked for: a foreign
message's topic cannot be trusted, so it is then left out too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
)

from ledger.application._waiting import PollingTrackingRecorder
from ledger.nats._access import READ_BATCH, StreamAccess, tracking_id
from ledger.nats._client import RawMessage
from ledger.nats._foreign import FOREIGN_TOPIC, ForeignNotification
from ledger.nats._subjects import H_ORIGINATOR_ID, H_TOPIC, H_TYPE, H_VERSION

__all__ = [
    "NATSAggregateRecorder",
    "NATSApplicationRecorder",
    "NATSProcessRecorder",
    "NATSTrackingRecorder",
]


class NATSAggregateRecorder(AggregateRecorder):
    """Stores events on a JetStream stream, one subject per aggregate and event type."""

    def __init__(self, access: StreamAccess) -> None:
        self.access = access
        self.scheme = access.scheme

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        self.access.write(stored_events, kwargs.get("tracking"))
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        subject = self.scheme.aggregate_filter(originator_id)
        messages: list[RawMessage] = []
        if desc and limit == 1 and lte is None:
            last = self.access.call(self.access.last(subject))
            messages = [] if last is None or self.foreign(last) else [last]
        if not messages:  # not the last alone, or the last is foreign: read them all
            start = self.access.positions.start_after(subject, gt)
            messages = self.access.call(self.access.read(subject, start))
        events = [
            event
            for event in (self.decode(m) for m in messages if self.foreign(m) is None)
            if (gt is None or event.originator_version > gt)
            and (lte is None or event.originator_version <= lte)
        ]
        if desc:
            events.reverse()
        return events if limit is None else events[:limit]

    def foreign(self, message: RawMessage) -> str | None:
        """Why ``message`` is not a Koers event of this ledger (``None``: it is one)."""
        return self.access.foreign(message)

    def decode(self, message: RawMessage) -> StoredEvent:
        """A checked message (:meth:`foreign` said ``None``) as a stored event."""
        oid, version, topic = self.envelope(message)
        return StoredEvent(oid, version, topic, message.data)

    def envelope(self, message: RawMessage) -> tuple[UUID | str, int, str]:
        """The aggregate id, version and topic of a checked message's headers."""
        headers = message.headers
        raw_id = headers[H_ORIGINATOR_ID]
        oid = raw_id if self.access.conn.settings.text_ids else UUID(raw_id)
        return oid, int(headers[H_VERSION]), headers[H_TOPIC]


class NATSApplicationRecorder(NATSAggregateRecorder, ApplicationRecorder):
    """Adds the application sequence: notification id = stream sequence."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        return self.access.write(stored_events, kwargs.get("tracking"))

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        first = 1 if start is None else (start if inclusive_of_start else start + 1)
        subject = self.scheme.topics_filter(topics)
        # long reads page through a consumer (the server walks the stream once); short ones
        # are a single direct get (no consumer to create): see ``_bulk``
        pages_from = self.access.consumer_pages_from
        read = self.access.batch if pages_from is None or limit < pages_from else self.access.page
        wanted = set(topics)
        out: list[Notification] = []
        while len(out) < limit and (stop is None or first <= stop):
            size = min(READ_BATCH, max(limit - len(out), 100))
            # Only the read runs on the connection's loop; the checks (signatures) run here,
            # in the caller's thread, so a long read never holds up other calls on the loop.
            got, pending = self.access.call(read(subject, first, size))
            if self.access.signatures is not None:  # a page's signatures, several at once
                self.access.signatures.prove(got)
            for message in got:
                if stop is not None and message.seq > stop:
                    return out
                if self.scheme.is_tracking(message.subject):
                    continue
                if not wanted or message.headers.get(H_TOPIC) in wanted:
                    notification = self.notification(message)
                    if wanted and isinstance(notification, ForeignNotification):
                        continue
                    out.append(notification)
                    if len(out) == limit:
                        return out
            if not got or pending == 0:
                break
            first = got[-1].seq + 1
        return out

    def notification(self, message: RawMessage) -> Notification:
        """The message as a notification, or a :class:`ForeignNotification` saying why not."""
        reason = self.foreign(message)
        if reason is not None:
            return _foreign(message, reason)
        oid, version, topic = self.envelope(message)
        return Notification(
            id=message.seq,
            originator_id=oid,
            originator_version=version,
            topic=topic,
            state=message.data,
        )

    def max_notification_id(self) -> int | None:
        return self.access.call(self._max_notification_id())

    async def _max_notification_id(self) -> int | None:
        last = await self.access.last(self.scheme.stream_subjects)
        if last is not None and self.scheme.is_tracking(last.subject):
            last = await self.access.last(self.scheme.all_events)  # rare: a process recorder
        return None if last is None else last.seq

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        from ledger.nats.subscription import NATSSubscription

        return NATSSubscription(self, gt=gt, topics=topics)


def _foreign(message: RawMessage, reason: str) -> ForeignNotification:
    return ForeignNotification(
        id=message.seq,
        originator_id=message.headers.get(H_ORIGINATOR_ID, ""),
        originator_version=0,
        topic=FOREIGN_TOPIC,
        state=message.data,
        subject=message.subject,
        claimed_type=message.headers.get(H_TYPE),
        reason=reason,
    )


class NATSTrackingRecorder(PollingTrackingRecorder):
    """Tracking positions as messages on ``<prefix>._tracking.<application>``."""

    def __init__(self, access: StreamAccess) -> None:
        self.access = access
        self.scheme = access.scheme

    def insert_tracking(self, tracking: Tracking) -> None:
        self.access.write([], tracking)

    def max_tracking_id(self, application_name: str) -> int | None:
        subject = self.scheme.tracking_subject(application_name)
        return tracking_id(self.access.call(self.access.last(subject)))


class NATSProcessRecorder(NATSTrackingRecorder, NATSApplicationRecorder, ProcessRecorder):
    """Events and the tracking position they result from, in one atomic batch."""

    def __init__(self, access: StreamAccess) -> None:
        NATSTrackingRecorder.__init__(self, access)
