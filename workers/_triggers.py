"""Event triggers: what a ledger event means for prompts and schedules.

Each trigger judges an event against its aggregate *as it stood just before it* (handed in
by :mod:`workers._states`), never "now", so the same event always yields the same actions,
whenever and however often it is processed. Triggers do no I/O.

- ``decision.made``: schedule its review (the review date at the due time); a one-way door
  decided below the information threshold prompts the decider at once;
- ``decision.reviewed`` / ``reversed`` / ``superseded``: cancel the review schedule;
- ``key_result.added`` / ``checked_in``: (re)schedule "no check-in past the cadence"; a
  check-in ``confidence_drop`` points below the previous one prompts the owner;
- ``key_result.closed`` / ``dropped``: cancel that schedule;
- ``delegation.delegated`` / ``checked_in``: (re)schedule "check-in overdue";
- ``delegation.completed`` / ``revoked``: cancel it;
- ``retro.action_item_added``: schedule the item's due date;
- ``retro.action_item_completed`` / ``dropped`` / ``carried_over``: cancel it (a carried-over
  item is scheduled again by its new retro).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

from ledger.domain import Decision, Delegation, KeyResult, KoersAggregate, Reversibility
from ledger.settings import WorkerSettings
from workers import _questions as q
from workers._actions import Action, CancelSchedule, IssuePrompt, SetSchedule
from workers._decode import Event

__all__ = ["Reader", "Triggers", "due_at"]

A = TypeVar("A", bound=KoersAggregate)


#: How long a delegation check-in may wait for its delegator's acknowledgement before the
#: delegator is asked for it.
ACK_WITHIN = timedelta(hours=4)


class Reader(Protocol):
    """What triggers read: the Koers application's loads (``ledger.application.Koers``)."""

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A: ...

    def event_history(self, aggregate_id: UUID) -> list[Any]: ...


def due_at(day: date, settings: WorkerSettings) -> datetime:
    """The moment a date becomes due: ``KOERS_DUE_TIME`` that day in ``KOERS_TIMEZONE``."""
    return datetime.combine(day, settings.due_time, tzinfo=settings.zone).astimezone(UTC)


class Triggers:
    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        cancel = self._cancel
        self._table: dict[str, Callable[[Event, Any], list[Action]]] = {
            "decision.opened": self._decision_opened,
            "decision.made": self._decision_made,
            "decision.reviewed": cancel("decision_review"),
            "decision.reversed": cancel("decision_review"),
            "decision.superseded": cancel("decision_review", "decision_decide_by"),
            "key_result.added": self._cadence_start("kr_check_in"),
            "key_result.checked_in": self._kr_checked_in,
            "key_result.closed": cancel("kr_check_in"),
            "key_result.dropped": cancel("kr_check_in"),
            "delegation.delegated": self._cadence_start("delegation_check_in"),
            "delegation.checked_in": self._delegation_checked_in,
            "delegation.check_in_acknowledged": self._check_in_acknowledged,
            "delegation.completed": cancel("delegation_check_in"),
            "delegation.revoked": cancel("delegation_check_in"),
            "retro.action_item_added": self._action_item_added,
            "retro.action_item_completed": self._action_item_ended,
            "retro.action_item_dropped": self._action_item_ended,
            "retro.action_item_carried_over": self._action_item_ended,
        }

    def wants(self, event: Event) -> bool:
        """Whether a trigger acts on this event."""
        return event.name in self._table

    def types(self) -> frozenset[str]:
        """The event types (``<kind>.<type>``) a trigger acts on."""
        return frozenset(self._table)

    def needs_state(self, event: Event) -> bool:
        """Whether judging this event needs its aggregate as it stood before it."""
        if event.name == "decision.made":
            return int(event.payload["information_level"]) < self.settings.low_information
        return event.name in ("key_result.checked_in", "delegation.checked_in")

    def evaluate(self, event: Event, before: Any = None) -> list[Action]:
        """The actions for one event; ``before`` is its aggregate at the previous version
        (needed when :meth:`needs_state` says so)."""
        return self._table[event.name](event, before)

    # -- decisions --------------------------------------------------------------------------

    def _decision_opened(self, e: Event, _: Any) -> list[Action]:
        decide_by = due_at(date.fromisoformat(e.payload["decide_by"]), self.settings)
        return [SetSchedule("decision_decide_by", str(e.aggregate_id), decide_by, _body(e))]

    def _decision_made(self, e: Event, decision: Decision | None) -> list[Action]:
        review_on = date.fromisoformat(e.payload["review_on"])
        ident = str(e.aggregate_id)
        actions: list[Action] = [
            CancelSchedule("decision_decide_by", ident),
            SetSchedule("decision_review", ident, due_at(review_on, self.settings), _body(e)),
        ]
        level, threshold = int(e.payload["information_level"]), self.settings.low_information
        if level < threshold:
            assert decision is not None
            if decision.reversibility is Reversibility.ONE_WAY:
                actions.append(
                    IssuePrompt(
                        key=f"one_way_low_information/{ident}",
                        to=decision.decider,
                        kind="one_way_low_information",
                        question=q.one_way_low_information(decision.question, level, threshold),
                        triggered_by=(e.link,),
                        since=e.stored_at,
                    )
                )
        return actions

    # -- key results and delegations --------------------------------------------------------

    def _cadence_start(self, kind: str) -> Callable[[Event, Any], list[Action]]:
        def start(e: Event, _: Any) -> list[Action]:
            due = e.timestamp + timedelta(days=int(e.payload["cadence_days"]))
            return [SetSchedule(kind, str(e.aggregate_id), due, _body(e))]

        return start

    def _kr_checked_in(self, e: Event, before: KeyResult) -> list[Action]:
        due = e.timestamp + timedelta(days=before.cadence_days)
        actions: list[Action] = [SetSchedule("kr_check_in", str(e.aggregate_id), due, _body(e))]
        previous, now = _latest(before), int(e.payload["confidence"])
        if previous is not None and previous["confidence"] - now >= self.settings.confidence_drop:
            actions.append(
                IssuePrompt(
                    key=f"kr_confidence_drop/{e.aggregate_id}/v{e.version}",
                    to=before.owner,
                    kind="kr_confidence_drop",
                    question=q.confidence_drop(before.title, previous["confidence"], now),
                    triggered_by=(e.link,),
                    since=e.stored_at,
                )
            )
        return actions

    def _delegation_checked_in(self, e: Event, delegation: Delegation) -> list[Action]:
        """Re-arm the cadence, and the check-in's acknowledgement: its delegator is asked
        for it if it is still unacknowledged :data:`ACK_WITHIN` after the check-in."""
        due = e.timestamp + timedelta(days=delegation.cadence_days)
        ack = f"{e.aggregate_id}.{e.payload['check_in_id']}"
        return [
            SetSchedule("delegation_check_in", str(e.aggregate_id), due, _body(e)),
            SetSchedule("delegation_ack", ack, e.timestamp + ACK_WITHIN, _body(e)),
        ]

    def _check_in_acknowledged(self, e: Event, _: Any) -> list[Action]:
        return [CancelSchedule("delegation_ack", f"{e.aggregate_id}.{e.payload['check_in_id']}")]

    # -- retro action items -----------------------------------------------------------------

    def _action_item_added(self, e: Event, _: Any) -> list[Action]:
        due = due_at(date.fromisoformat(e.payload["due"]), self.settings)
        ident = f"{e.aggregate_id}.{e.payload['item_id']}"
        return [SetSchedule("action_item", ident, due, _body(e))]

    def _action_item_ended(self, e: Event, _: Any) -> list[Action]:
        return [CancelSchedule("action_item", f"{e.aggregate_id}.{e.payload['item_id']}")]

    @staticmethod
    def _cancel(*kinds: str) -> Callable[[Event, Any], list[Action]]:
        def cancel(e: Event, _: Any) -> list[Action]:
            return [CancelSchedule(kind, str(e.aggregate_id)) for kind in kinds]

        return cancel


def _latest(kr: KeyResult) -> dict[str, Any] | None:
    """The check-in with the latest ``as_of``; of several, the last recorded."""
    entries = list(kr.check_ins.values())
    if not entries:
        return None
    return max(enumerate(entries), key=lambda pair: (pair[1]["as_of"], pair[0]))[1]


def _body(e: Event) -> dict[str, Any]:
    return {"trigger": e.link}
