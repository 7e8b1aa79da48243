"""The read model the CLI and the API share: an aggregate's state and an event's fields as
plain data (ids, times and decimals as strings), the same for every entry point.

Both entry points show what they read through these functions, so ``koers objective show``
and ``GET /objectives/{id}`` print the same fields with the same values.

What ``show``, ``list``, ``GET /{kind}/{id}`` and ``GET /{kind}`` answer is
:func:`complete_state`: the state and what only the events hold (a decision's rationale and
review, a delegation check-in's progress text), so nobody needs ``history`` to see what was
recorded; and a retro's pulse only where enough people answered.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain import Decision, Delegation, KoersAggregate, Retro
from ledger.domain.notify import SECRET_FIELDS, masked
from ledger.domain.retros import PRIVATE_FIELDS, TOO_FEW_RESPONSES, pulse_shown

__all__ = [
    "ENVELOPE",
    "NOT_SHOWN",
    "complete_state",
    "event_fields",
    "plain",
    "reads_history",
    "state_of",
    "state_values",
]

#: An event's envelope: shown apart (version, actor, time) or not at all, never as a field.
ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "command_id",
        "credential",
        "class_version",
    }
)


#: Values :func:`plain` returns as they are (exactly these types: a str enum is an enum).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (ids, times and decimals as strings)."""
    if type(value) in _AS_THEY_ARE:  # most values: checked first, it is the common case
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, UUID | Decimal | datetime | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    return _plain_compound(value)


def _plain_compound(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def state_of(aggregate: KoersAggregate) -> dict[str, Any]:
    """The aggregate's state as plain data, id and version first."""
    return plain(state_values(aggregate))  # type: ignore[no-any-return]


def state_values(aggregate: KoersAggregate) -> dict[str, Any]:
    """What :func:`state_of` shows, as the aggregate holds it (not made plain yet)."""
    state: dict[str, Any] = {
        "id": aggregate.id,
        "version": aggregate.version,
        "created_on": aggregate.created_on,
        "modified_on": aggregate.modified_on,
    }
    for name, value in vars(aggregate).items():
        if not name.startswith("_") and name != "commands":
            state[name] = value
    return state


#: What a history shows instead of one person's own answer (``PRIVATE_FIELDS``).
NOT_SHOWN = "not shown: one person's own answer"


def event_fields(event: Any) -> dict[str, Any]:
    """What an event says beyond its envelope, as plain data (one person's own answer, such
    as a pulse score, as :data:`NOT_SHOWN`)."""
    fields = {k: v for k, v in vars(event).items() if k not in ENVELOPE}
    for name in PRIVATE_FIELDS.get(type(event), frozenset()).intersection(fields):
        fields[name] = NOT_SHOWN
    for name in SECRET_FIELDS.intersection(fields):  # webhook URLs: `koers notify show`
        fields[name] = masked(fields[name])
    return plain(fields)  # type: ignore[no-any-return]


def history_row(event: Any, type_: str) -> dict[str, Any]:
    """One event as ``koers history`` and ``GET /<kind>s/<id>/history`` show it: its version,
    what happened (``type_``, its type on the stream, and its class), who (and with which
    credential), when, and its fields (what must not be shown, masked: :func:`event_fields`)."""
    return {
        "version": event.originator_version,
        "type": type_,
        "event": type(event).__qualname__,
        "actor": event.actor,
        "credential": event.credential,
        "recorded": plain(event.timestamp),
        "fields": event_fields(event),
    }


def complete_state(
    aggregate: KoersAggregate, history: Callable[[UUID], Sequence[Any]]
) -> dict[str, Any]:
    """The aggregate's state and what only its events hold, read with ``history`` (an id's
    events) for the kinds that need it; events after the aggregate's version are left out, so
    an "as of" read stays as of. A retro's pulse from too few responses is not shown."""
    state = state_of(aggregate)
    extra = _EXTRAS.get(type(aggregate))
    if extra is not None:
        events = history(aggregate.id)
        extra(state, [e for e in events if e.originator_version <= aggregate.version])
    if isinstance(aggregate, Decision):
        state["matrix"] = plain(aggregate.matrix())
    return state


def reads_history(cls: type[KoersAggregate]) -> bool:
    """Whether :func:`complete_state` of this kind reads the aggregate's events (else it
    never calls its ``history``)."""
    return cls in _EXTRAS


def _said(event: Any, *fields: str) -> dict[str, Any]:
    """An event's ``fields`` (all when none are named), with when and by whom, as plain data."""
    said = event_fields(event)
    chosen = {k: said[k] for k in fields} if fields else said
    return {**chosen, "at": plain(event.timestamp), "by": event.actor}


def _last(events: Sequence[Any], kind: type[Any]) -> Any | None:
    return next((e for e in reversed(events) if isinstance(e, kind)), None)


def _decision(state: dict[str, Any], events: Sequence[Any]) -> None:
    """The decision's reasons, its review and how it ended, from its events."""
    made = _last(events, Decision.Made)
    state["rationale"] = made.rationale if made else None
    state["expected_outcome"] = made.expected_outcome if made else None
    state["information_updates"] = [
        _said(e) for e in events if isinstance(e, Decision.InformationUpdated)
    ]
    for name, kind in (("review", Decision.Reviewed), ("reversal", Decision.Reversed),
                       ("supersession", Decision.Superseded)):  # fmt: skip
        event = _last(events, kind)
        state[name] = _said(event) if event else None
    _matrix(state, events)


def _matrix(state: dict[str, Any], events: Sequence[Any]) -> None:
    """Each consulted person's latest position with when it was taken, and the approval
    that counts (the current approver's); the weighted totals come from the decision
    itself (``Decision.matrix``, in :func:`complete_state`)."""
    positions = {e.actor: e for e in events if isinstance(e, Decision.PositionTaken)}
    state["positions"] = {who: _said(e, "position", "note") for who, e in positions.items()}
    approved = _last(events, Decision.Approved)
    counts = approved is not None and state["approved_by"] == approved.actor
    state["approval"] = _said(approved, "note") if counts else None


def _delegation(state: dict[str, Any], events: Sequence[Any]) -> None:
    """Each check-in's progress and its acknowledgement's note; renegotiations and the end."""
    check_ins = state["check_ins"]
    for e in events:
        if isinstance(e, Delegation.CheckedIn):
            check_ins[str(e.check_in_id)].update(progress=e.progress, acknowledgement=None)
        elif isinstance(e, Delegation.CheckInAcknowledged):
            check_ins[str(e.check_in_id)]["acknowledgement"] = _said(e, "note")
    state["renegotiations"] = [_said(e) for e in events if isinstance(e, Delegation.Renegotiated)]
    for name, kind in (("completion", Delegation.Completed), ("revocation", Delegation.Revoked)):
        event = _last(events, kind)
        state[name] = _said(event) if event else None


def _retro(state: dict[str, Any], events: Sequence[Any]) -> None:
    """Each dimension's pulse as its last event says (a typed-in score, or the mean of
    people's own scores), shown only from enough responses; nobody's own score."""
    latest = {e.dimension: _pulse_of(e) for e in events if isinstance(e, _PULSES)}
    state["pulse"] = {
        dimension: plain(score) if pulse_shown(responses) else TOO_FEW_RESPONSES
        for dimension, (score, responses) in latest.items()
    }
    state["pulse_responses"] = {dimension: n for dimension, (_, n) in latest.items()}
    _retro_lineage(state, events)


_PULSES = (Retro.PulseRecorded, Retro.PulseScored)


def _pulse_of(event: Any) -> tuple[Decimal, int]:
    """A pulse event's score as shown: a typed-in score, or the mean of people's own."""
    score = event.score if isinstance(event, Retro.PulseRecorded) else event.mean
    return score, event.responses


def _retro_lineage(state: dict[str, Any], events: Sequence[Any]) -> None:
    """Each item's id (``item_ids[n]`` is ``items[n]``'s) and the item each action item came
    from (docs/lineage.md)."""
    state["item_ids"] = [plain(e.item_id) for e in events if isinstance(e, Retro.ItemAdded)]
    for e in events:
        if isinstance(e, Retro.ActionItemAdded) and str(e.item_id) in state["actions"]:
            state["actions"][str(e.item_id)]["from_item"] = plain(e.from_item)


_EXTRAS: dict[type[KoersAggregate], Callable[[dict[str, Any], Sequence[Any]], None]] = {
    Decision: _decision,
    Delegation: _delegation,
    Retro: _retro,
}
