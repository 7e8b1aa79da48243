"""What every Koers aggregate and event shares.

- Every event records **who** (``actor``), **how they proved it** (``credential``: the token,
  sign-on or session the command came with, set by :func:`proved_by` around the command; empty
  on events recorded before sign-in existed, which the schema's version 1 describes) and
  **when** (``timestamp``, from the domain clock); events are frozen dataclasses named in
  the past tense, nested in their aggregate.
- Every event may carry the **idempotency key** of the command that caused it
  (``command_id``, empty when none was given). The aggregate remembers which version each key
  produced, so a retried command (a timeout, a crash, a double click) is recognised and
  answered with its first result instead of taking effect twice.
- History is never edited: a correction, a retarget or a reversal is a new event.
- Most of an aggregate's command methods are the same three steps: check the values against
  the command's fields, refuse what the current state does not allow, record the command's
  event. :func:`creates` and :func:`changes` write those methods from the command table, so
  an aggregate only states its rule (the guard); a command with more to it keeps a method
  of its own.
- What an aggregate is created with is declared once, in a :class:`Given` class that both
  the aggregate (its first attributes) and its created event (its fields) inherit.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger.domain import _clock
from ledger.domain._commands import Command
from ledger.errors import CommandKeyReused, NotAllowed

__all__ = [
    "NAMESPACE",
    "Given",
    "KoersAggregate",
    "changes",
    "cited_nothing",
    "command_key_id",
    "creates",
    "proved_by",
    "still_open",
    "unchanged",
    "without_credential",
]

NAMESPACE = uuid5(NAMESPACE_URL, "https://koers.invalid/ids")


_CREDENTIAL: ContextVar[str] = ContextVar("koers_credential", default="")


@contextmanager
def proved_by(credential: str) -> Iterator[None]:
    """Record ``credential`` (how the actor proved who they are, e.g. ``token:<id>``) on
    every event triggered inside the block."""
    reset = _CREDENTIAL.set(credential)
    try:
        yield
    finally:
        _CREDENTIAL.reset(reset)


def without_credential(state: dict[str, Any]) -> None:
    """Upcast an event recorded before ``credential`` existed: it was not recorded."""
    state["credential"] = ""


def cited_nothing(state: dict[str, Any]) -> None:
    """Upcast an event recorded before it could cite what led to it (``cites``): it cited
    nothing."""
    state["cites"] = None


def unchanged(state: dict[str, Any]) -> None:
    """Upcast an event whose stored shape still reads as the new version (a new version
    that only widened what may be stored, e.g. more choices of an enum)."""


def command_key_id(kind: str, key: str) -> UUID:
    """The id of the aggregate a creating command with idempotency key ``key`` makes."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


class Given:
    """The values an aggregate is created with, declared once: a plain class of annotations
    that the aggregate inherits (its first attributes, for the type checker) and so does its
    created event (its fields, ahead of any of its own: see ``KoersAggregate.Created``)."""


class KoersAggregate(Aggregate):
    """Base of every Koers aggregate (UUID ids)."""

    if TYPE_CHECKING:  # attributes, not dataclass fields
        #: idempotency key -> "<EventName>@<version>" of the event the command produced
        commands: dict[str, str]

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A copy that shares nothing with this one (what the repository hands a command
        from its cache, so a command that fails leaves the cached one as it was), made by
        pickling it: as deep as ``copy.deepcopy``'s walk, and 2-3x faster on a key result
        with hundreds of check-ins (an aggregate holds plain data only; the views pickle
        aggregates too)."""
        copied: Self = pickle.loads(pickle.dumps(self, pickle.HIGHEST_PROTOCOL))
        memo[id(self)] = copied
        return copied

    class Event(Aggregate.Event):
        """Something that happened to an aggregate, recorded by ``actor``."""

        actor: str
        command_id: str
        credential: str

        #: Version 2 added ``credential``; a version 1 event is read with an empty one.
        class_version: ClassVar[int] = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            without_credential(state)

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

        def __init_subclass__(cls) -> None:
            """Take the values of the :class:`Given` among the bases as fields, first."""
            given: dict[str, Any] = {}
            for base in reversed(cls.__mro__):
                if issubclass(base, Given) and base is not Given:
                    given.update(inspect.get_annotations(base))
            if given:
                cls.__annotations__ = {**given, **inspect.get_annotations(cls)}
            super().__init_subclass__()

        def adopt(self, aggregate: Any) -> None:
            """Give the new aggregate every value this event carries beyond what every event
            carries (who, when, which key): a created aggregate starts as its event says."""
            common = _COMMON_FIELDS
            for field in dataclasses.fields(self):
                if field.name not in common:
                    setattr(aggregate, field.name, getattr(self, field.name))

        def mutate(self, aggregate: Any) -> Any:
            agg = Aggregate.Created.mutate(self, aggregate)
            assert agg is not None
            agg.commands = {}
            if self.command_id:
                agg.commands[self.command_id] = self.receipt()
            return agg

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Self:
        kwargs.setdefault("credential", _CREDENTIAL.get())
        created: Self = super()._create(event_class, id=id, **kwargs)
        return created

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("credential", _CREDENTIAL.get())
        super().trigger_event(event_class, **kwargs)

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


_COMMON_FIELDS = frozenset(f.name for f in dataclasses.fields(KoersAggregate.Created))

#: A rule a change must pass in the aggregate's current state: (aggregate, actor, checked
#: values) -> None, or a ``NotAllowed`` / ``InvalidValue`` saying why not.
Guard = Callable[[Any, str, dict[str, Any]], None]


_A = TypeVar("_A", bound=KoersAggregate)


class _Creates:
    """The class method that makes an aggregate by a create of the table (:func:`creates`)."""

    def __init__(self, command: Command) -> None:
        self.command = command
        self.__doc__ = command.summary

    def __get__(self, instance: object, owner: type[_A]) -> Callable[..., _A]:
        def create(*, id: UUID, actor: str, command_id: str = "", **values: Any) -> _A:
            checked = self.command.check(values)
            event = getattr(owner, self.command.event)
            return owner._create(event, id=id, actor=actor, command_id=command_id, **checked)

        return create


def creates(command: Command) -> _Creates:
    """The class method that makes an aggregate by ``command`` (a create of the table): check
    the values, record the command's event with them."""
    return _Creates(command)


def changes(command: Command, guard: Guard | None = None) -> Callable[..., None]:
    """The method that records ``command`` (a change of the table) on an aggregate: check the
    values, let ``guard`` refuse the change in the current state, record the command's event.
    The values are checked first, so bad input is told before a rule of the state."""

    def change(self: Any, *, actor: str, command_id: str = "", **values: Any) -> None:
        checked = command.check(values)
        if guard is not None:
            guard(self, actor, checked)
        event = getattr(self, command.event)
        self.trigger_event(event, actor=actor, command_id=command_id, **checked)

    change.__doc__ = command.summary
    return change


def still_open(is_open: bool, message: str) -> None:
    if not is_open:
        raise NotAllowed(message)
