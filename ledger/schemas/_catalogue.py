"""Every event type Koers writes: one :class:`EventType` per concrete event class of every
aggregate in :data:`ledger.domain.AGGREGATES`, named as the ``Koers-Type`` header names it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from eventsourcing.utils import get_topic

from ledger.domain import AGGREGATES, KoersAggregate
from ledger.nats._subjects import kind_and_type

__all__ = ["EventType", "SchemaError", "event_types"]


class SchemaError(Exception):
    """The schemas cannot be generated (a field without a description, a type with no
    plain-JSON form, …): the message says which and what to do."""


@dataclass(frozen=True)
class EventType:
    """One event class: its ``Koers-Type`` (``name``) and current ``Koers-Schema`` (``version``)."""

    name: str
    version: int
    topic: str
    cls: type[KoersAggregate.Event]
    created: bool

    @property
    def file_name(self) -> str:
        return file_name(self.name, self.version)


def file_name(name: str, version: int) -> str:
    """``<type>.v<N>.json``: the schema of version N of an event type."""
    return f"{name}.v{version}.json"


#: The abstract bases the library gives every aggregate; Koers never records them.
_BASES = ("Event", "Created")


def _concrete_events(aggregate: type[KoersAggregate]) -> list[type[KoersAggregate.Event]]:
    """The aggregate's nested event classes, less the bases: ``Event`` and ``Created`` and any
    event class another one of them extends."""
    nested = [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, KoersAggregate.Event)
        and name not in _BASES
    ]
    return [c for c in nested if not any(o is not c and issubclass(o, c) for o in nested)]


@cache
def event_types() -> tuple[EventType, ...]:
    """Every event type, in the order the aggregates and their events are declared."""
    out: list[EventType] = []
    for kind, aggregate in AGGREGATES.items():
        for cls in _concrete_events(aggregate):
            topic = get_topic(cls)
            header_kind, type_ = kind_and_type(topic)
            if header_kind != kind:
                msg = (
                    f"{topic}: its Koers-Type kind is {header_kind!r} but AGGREGATES names it "
                    f"{kind!r}; make the AGGREGATES key the snake-cased class name"
                )
                raise SchemaError(msg)
            version = getattr(cls, "class_version", 1)
            created = issubclass(cls, KoersAggregate.Created)
            out.append(EventType(f"{kind}.{type_}", version, topic, cls, created))
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise SchemaError(f"two event classes share a Koers-Type: {sorted(names)}")
    return tuple(out)
