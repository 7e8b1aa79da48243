"""The read model the CLI and the API share: an aggregate's state and an event's fields as
plain data (ids, times and decimals as strings), the same for every entry point.

Both entry points show what they read through these functions, so ``koers objective show``
and ``GET /objectives/{id}`` print the same fields with the same values.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.domain import KoersAggregate
from ledger.domain.notify import SECRET_FIELDS, masked

__all__ = ["ENVELOPE", "event_fields", "plain", "state_of"]

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


def plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (ids, times and decimals as strings)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, UUID | Decimal | datetime | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def state_of(aggregate: KoersAggregate) -> dict[str, Any]:
    """The aggregate's state as plain data, id and version first."""
    state: dict[str, Any] = {
        "id": aggregate.id,
        "version": aggregate.version,
        "created_on": aggregate.created_on,
        "modified_on": aggregate.modified_on,
    }
    for name, value in vars(aggregate).items():
        if not name.startswith("_") and name != "commands":
            state[name] = value
    return plain(state)  # type: ignore[no-any-return]


def event_fields(event: Any) -> dict[str, Any]:
    """What an event says beyond its envelope, as plain data."""
    fields = {k: v for k, v in vars(event).items() if k not in ENVELOPE}
    for name in SECRET_FIELDS.intersection(fields):  # webhook URLs: `koers notify show`
        fields[name] = masked(fields[name])
    return plain(fields)  # type: ignore[no-any-return]
