"""The projection: Koers domain events in, facts tables out, one code path for everything.

:class:`KoersProjection` is the library's :class:`~eventsourcing.projection.Projection` over a
:class:`~projections.views.KoersViews`. The live runner, the rebuild, "as of" views and the
library's own ``ProjectionRunner`` all go through :meth:`KoersProjection.apply`: a batch of
``(domain event, tracking)`` pairs, in notification order, written in one transaction with
the tracking row of the batch's last event. Events no view uses are tracked all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections import _decisions, _follow_up, _goals
from projections._types import Handlers
from projections.views import PROJECTION_NAME, KoersViews

__all__ = ["HANDLERS", "KoersProjection", "Step"]

#: Every handled event class -> its handler.
HANDLERS: Handlers = {**_goals.HANDLERS, **_decisions.HANDLERS, **_follow_up.HANDLERS}

#: A domain event with its position in the Koers notification log.
Step = tuple[Any, Tracking]


class KoersProjection(Projection[KoersViews]):
    """Keeps the facts tables of :class:`KoersViews` in step with the Koers log."""

    name = PROJECTION_NAME
    topics = ()  # every event: the tracking position must reach every notification id

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event, one transaction (what the library's ``ProjectionRunner`` calls)."""
        self.apply([(domain_event, tracking)])

    def apply(self, steps: Sequence[Step]) -> None:
        """A batch of events in one transaction with the last one's tracking row.

        All or nothing: a failing handler rolls back the batch and its tracking row. Steps
        the views reflect already are skipped (a redelivery changes nothing); if another
        writer moved the position meanwhile, ``IntegrityError`` rolls the batch back.
        """
        if steps:
            done = self.view.max_tracking_id(steps[-1][1].application_name) or 0
            steps = [step for step in steps if step[1].notification_id > done]
        if not steps:
            return
        with self.view.recording(steps[-1][1]) as tx:
            for domain_event, tracking in steps:
                handler = HANDLERS.get(type(domain_event))
                if handler is not None:
                    handler(tx, domain_event, tracking.notification_id)
