"""What every Koers aggregate and event shares.

- Every event records **who** (``actor``) and **when** (``timestamp``, from the domain clock);
  events are frozen dataclasses named in the past tense, nested in their aggregate.
- Every event may carry the **idempotency key** of the command that caused it
  (``command_id``, empty when none was given). The aggregate remembers which version each key
  produced, so a retried command (a timeout, a crash, a double click) is recognised and
  answered with its first result instead of taking effect twice.
- History is never edited: a correction, a retarget or a reversal is a new event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import _clock
from ledger.errors import CommandKeyReused, InvalidValue, NotAllowed

__all__ = [
    "KoersAggregate",
    "choice",
    "command_key_id",
    "one_person",
    "percentage",
    "probability",
    "required_text",
    "score_0_1",
    "whole_in_range",
]

_PERSON = re.compile(r"[\w][\w.@+'-]{0,119}")
NAMESPACE = uuid5(NAMESPACE_URL, "https://koers.invalid/ids")


def command_key_id(kind: str, key: str) -> UUID:
    """The id of the aggregate a creating command with idempotency key ``key`` makes."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


class KoersAggregate(Aggregate):
    """Base of every Koers aggregate (UUID ids)."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        #: idempotency key -> "<EventName>@<version>" of the event the command produced
        commands: dict[str, str]

    class Event(Aggregate.Event):
        """Something that happened to an aggregate, recorded by ``actor``."""

        actor: str
        command_id: str

        create_timestamp: ClassVar[Any] = staticmethod(_clock.now)

        def mutate(self, aggregate: Any) -> Any:
            result: Any = super().mutate(aggregate)
            if self.command_id:
                result.commands[self.command_id] = self.receipt()
            return result

        def receipt(self) -> str:
            return f"{type(self).__name__}@{self.originator_version}"

    class Created(Event, Aggregate.Created):
        """The first event of an aggregate."""

        def mutate(self, aggregate: Any) -> Any:
            agg = Aggregate.Created.mutate(self, aggregate)
            assert agg is not None
            agg.commands = {}
            if self.command_id:
                agg.commands[self.command_id] = self.receipt()
            return agg

    def done_already(self, command_id: str, event_name: str) -> int | None:
        """The version the command with this idempotency key produced, if it ran already.

        Raises :class:`~ledger.errors.CommandKeyReused` when the key produced a different
        kind of event (the same key reused for another command).
        """
        receipt = self.commands.get(command_id) if command_id else None
        if receipt is None:
            return None
        name, _, version = receipt.partition("@")
        if name != event_name:
            raise CommandKeyReused(command_id)
        return int(version)


EnumT = TypeVar("EnumT", bound=Enum)


def choice(field: str, cls: type[EnumT], value: EnumT | str) -> EnumT:
    """One of an enum's values, or ``InvalidValue`` listing the choices."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise InvalidValue(field, f"{value!r} is not one of: {choices}") from None


def required_text(field: str, value: str, limit: int = 10_000) -> str:
    text = value.strip()
    if not text:
        raise InvalidValue(field, "is empty: say it in a few words")
    if len(text) > limit:
        raise InvalidValue(field, f"is {len(text)} characters; keep it under {limit}")
    return text


def one_person(field: str, value: str) -> str:
    """One person's handle (``ann``, ``ann@example.org``), never two."""
    text = value.strip()
    if re.search(r",|;|\s&\s|\s(and|en)\s|/", text):
        raise InvalidValue(
            field, f"{text!r} names more than one person; give exactly one owner (e.g. 'ann')"
        )
    if not _PERSON.fullmatch(text):
        raise InvalidValue(
            field, f"{text!r} is not a person's handle: use letters, digits, '.', '@' or '-'"
        )
    return text


def people(field: str, values: Iterable[str]) -> tuple[str, ...]:
    return tuple(one_person(field, v) for v in values)


def whole_in_range(field: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValue(field, f"{value!r} is outside {low}–{high}")
    return value


def percentage(field: str, value: int) -> int:
    return whole_in_range(field, value, 0, 100)


def decimal(field: str, value: Decimal | int | float | str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidValue(field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidValue(field, f"{value!r} is not a finite number")
    return number


def probability(field: str, value: Decimal | float | str) -> Decimal:
    number = decimal(field, value)
    if not Decimal(0) <= number <= Decimal(1):
        raise InvalidValue(field, f"{value} is outside 0–1: give a probability such as 0.7")
    return number


def score_0_1(field: str, value: Decimal | float | str) -> Decimal:
    number = decimal(field, value)
    if not Decimal(0) <= number <= Decimal(1):
        raise InvalidValue(field, f"{value} is outside 0.0–1.0")
    return number


def not_in_future(field: str, moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidValue(field, "needs a time zone (e.g. 2026-11-02T09:00+01:00)")
    if moment > _clock.now():
        raise InvalidValue(
            field,
            f"{moment.isoformat()} is in the future: a check-in describes what is already true",
        )
    return moment


def on_or_after(field: str, day: date, earliest: date, what: str) -> date:
    if day < earliest:
        raise InvalidValue(field, f"{day.isoformat()} is before {what} ({earliest.isoformat()})")
    return day


def still_open(is_open: bool, message: str) -> None:
    if not is_open:
        raise NotAllowed(message)
