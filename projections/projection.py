"""The projection: Koers domain events in, facts tables out, one code path for everything.

:class:`KoersProjection` is the library's :class:`~eventsourcing.projection.Projection` over a
:class:`~projections.views.KoersViews`. The live runner, the rebuild, "as of" views and the
library's own ``ProjectionRunner`` all go through :meth:`KoersProjection.apply`: a batch of
``(domain event, tracking)`` pairs, in notification order, written in one transaction with
the tracking row of the batch's last event. Events no view uses are tracked all the same.

An event that cannot be applied (its handler raises) is set aside in the quarantine
(:mod:`projections._quarantine`) and the batch goes on: the batch is first written in one go;
if anything in it fails, it is written again with a savepoint around each event, so a
failing event leaves no trace but its quarantine row. Steps may already be set aside
(:class:`~projections._quarantine.SetAside` instead of a domain event: foreign or
undecodable); they are recorded the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from ledger.nats._subjects import SubjectScheme
from projections import _decisions, _follow_up, _goals, _lineage
from projections._quarantine import DATABASE_ERRORS, SetAside, failed, record
from projections._schema import BATCHES, SCHEMA, SCHEMA_VERSION
from projections._sql import Tx, moment
from projections._things import KIND_OF, LiveThings, ThingBatch
from projections._types import Handlers, chained
from projections.views import PROJECTION_NAME, KoersViews

__all__ = ["HANDLERS", "KoersProjection", "Step"]

#: Every handled event class -> its handler.
HANDLERS: Handlers = chained(
    _goals.HANDLERS, _decisions.HANDLERS, _follow_up.HANDLERS, _lineage.HANDLERS
)

#: A domain event (or an event set aside) with its position in the Koers notification log.
Step = tuple[Any, Tracking]


class KoersProjection(Projection[KoersViews]):
    """Keeps the facts tables of :class:`KoersViews` in step with the Koers log."""

    name = PROJECTION_NAME
    topics = ()  # every event: the tracking position must reach every notification id

    def __init__(self, view: KoersViews, *, subjects: SubjectScheme | None = None) -> None:
        super().__init__(view)
        #: where the events are (for the subjects of quarantined ones); ``None``: unknown
        self.subjects = subjects
        #: the things this projection wrote last, to apply their next events to
        self.live = LiveThings()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event, one transaction (what the library's ``ProjectionRunner`` calls)."""
        self.apply([(domain_event, tracking)])

    def apply(self, steps: Sequence[Step]) -> None:
        """A batch of events in one transaction with the last one's tracking row.

        All or nothing for the batch as a whole: a database error rolls back the batch and
        its tracking row. Steps the views reflect already are skipped (a redelivery changes
        nothing); if another writer moved the position meanwhile, ``IntegrityError`` rolls
        the batch back. An event whose handler raises is set aside (see the module doc).
        """
        if not steps:
            return
        done = self.view.max_tracking_id(steps[-1][1].application_name) or 0
        steps = [step for step in steps if step[1].notification_id > done]
        if not steps:
            return
        try:
            self._write(steps, done, careful=False)
        except Exception:  # something in it fails: again, event by event
            self._write(steps, done, careful=True)

    def _write(self, steps: Sequence[Step], done: int, *, careful: bool) -> None:
        with self.view.recording(steps[-1][1]) as tx:
            if done == 0:  # the first batch: which schema made these views
                tx.run(f"INSERT INTO {SCHEMA.name} (version) VALUES (?)", SCHEMA_VERSION)
            _index(tx, steps, done)
            things = ThingBatch(tx, self.live)  # the state lists and shows answer, once a batch
            for domain_event, tracking in steps:
                if isinstance(domain_event, SetAside):
                    record(tx, domain_event)
                elif careful:
                    self._guarded(tx, things, domain_event, tracking.notification_id)
                else:
                    _handle(tx, things, domain_event, tracking.notification_id)
            things.flush()

    def _guarded(self, tx: Tx, things: ThingBatch, domain_event: Any, position: int) -> None:
        """Apply one event inside a savepoint; set it aside if its handler raises."""
        tx.run("SAVEPOINT koers_step")
        try:
            _handle(tx, things, domain_event, position)
            things.flush()
        except DATABASE_ERRORS:
            raise
        except Exception as e:
            tx.run("ROLLBACK TO SAVEPOINT koers_step")
            things.forget(domain_event)
            record(tx, failed(self.subjects, domain_event, position, e))
        tx.run("RELEASE SAVEPOINT koers_step")


def _handle(tx: Tx, things: ThingBatch, domain_event: Any, position: int) -> None:
    """What one event means to the facts tables and to its thing's state."""
    handler = HANDLERS.get(type(domain_event))
    if handler is not None:
        handler(tx, domain_event, position)
    if type(domain_event) in KIND_OF:
        things.apply(domain_event, position)


def _index(tx: Tx, steps: Sequence[Step], done: int) -> None:
    """The batch's row of the time index (``_schema.BATCHES``): positions ``(done, last]``
    and the earliest time an event in them was recorded."""
    times = [t for s in steps if not isinstance(s[0], SetAside) and (t := _utc(s[0].timestamp))]
    tx.run(
        f"INSERT INTO {BATCHES.name} (position, after, earliest) VALUES (?, ?, ?)",
        steps[-1][1].notification_id, done, min(times) if times else None,
    )  # fmt: skip


def _utc(recorded: datetime) -> str | None:
    """An event's recorded time as sortable UTC text; ``None`` for one that has no UTC time
    (a forged ``9999-12-31T23:59:59-23:59`` overflows: its event is set aside, and must not
    stop the batch's index row)."""
    try:
        return moment(recorded)
    except (OverflowError, ValueError):
        return None
