"""The command table's entry: each command declared once, with its fields and their bounds.

A :class:`Command` says what a command is called, which kind of thing it acts on, whether it
creates that thing, which fields it takes (:mod:`ledger.domain._fields`), and who may issue
it. Everything else is derived from it:

Every change (a command that does not create) takes an expected version; every command takes
an idempotency key.

- the domain checks a command's values with :meth:`Command.check` (the only check there is);
- the application runs it (``Koers.execute``) and binds its idempotency key to
  :meth:`Command.fingerprint`, so a key reused with other arguments is refused;
- the HTTP API builds a route and its OpenAPI schema from it (``ledger.api``);
- the command line builds ``koers <kind> <verb>`` with an option per field, its help and its
  example (``ledger.cli``).

Names: ``name`` is ``<kind>.<verb>`` in snake case (``key_result.check_in``); the command line
spells the verb with dashes (``check-in``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.domain._fields import NOW, Field, Handle, Text, Whole
from ledger.domain.access import Who
from ledger.errors import InvalidField, InvalidValue

__all__ = [
    "ACTOR",
    "EXPECTED_VERSION",
    "IDEMPOTENCY_KEY",
    "Command",
    "CommandTable",
    "collection",
]

#: Collections whose path is not the kind with an ``s``.
_PLURALS = {"person": "/people"}


def collection(kind: str) -> str:
    """The HTTP path of a kind's collection: ``key_result`` → ``/key-results``."""
    return _PLURALS.get(kind, "/" + kind.replace("_", "-") + "s")


#: Who issues a command (every command has one).
ACTOR = Handle(name="actor", help="Who does this (a person's handle).", example="ann")
#: The idempotency key a command may carry (safe retries).
IDEMPOTENCY_KEY = Text(
    name="key",
    help="Idempotency key: sent again with the same key, the command takes effect once.",
    most=200,
    line=True,
    example="okr-2026q4-1",
)
#: The version a change is based on (optimistic concurrency).
EXPECTED_VERSION = Whole(
    name="expected_version",
    help="Refuse the change if the thing moved past this version.",
    low=1,
    high=2**53,
    example=3,
)


@dataclass(frozen=True)
class Command:
    """One command of the table (see the module docstring)."""

    name: str
    summary: str
    fields: tuple[Field, ...]
    creates: bool = False
    #: Arguments of a worked example, after ``koers <kind> <verb>`` (``<id>`` for the target).
    example: str = ""
    #: The API route below the kind's collection (default: the verb with dashes).
    route: str = ""
    #: Who may issue it (:mod:`ledger.domain.access`): whoever fits any of them.
    may: tuple[Who, ...] = ()
    #: What the command is (a longer description than ``summary``), for help and OpenAPI.
    description: str = ""
    #: The event it records (the name of the event class in the aggregate).
    event: str = ""
    #: The aggregate's method (a class method for a create) that records it (default: verb).
    method: str = ""
    #: The name of the application's method for it (default ``<verb>_<kind>``).
    runs: str = ""
    #: How the thing is named where not by its UUID (a person by handle, a team by slug): the
    #: field holding the name, and the id a name gives. A create derives the new thing's id
    #: from that field's value; a change addresses its target by that name.
    named_by: Field | None = None
    identity: Callable[[str], UUID] | None = None
    #: The fields the command line takes as arguments, in order, rather than as options.
    arguments: tuple[str, ...] = ()
    #: The id a change gives the part it adds inside its aggregate (``check_in_id``,
    #: ``item_id``): derived from the idempotency key, and answered in the receipt.
    part: str = ""
    #: Other aggregates a change also changes, saved with its own in one atomic write:
    #: ``(argument, field)`` pairs, the aggregate's method getting as ``argument`` the thing
    #: whose id the ``Ref`` field ``field`` holds (a carry-over's later retro).
    also: tuple[tuple[str, str], ...] = ()

    @property
    def handler(self) -> str:
        return self.runs or f"{self.verb}_{self.kind}"

    def target_id(self, target: UUID | str) -> UUID:
        """The id of the thing a change addresses, given its id or (``named_by``) its name."""
        if isinstance(target, UUID):
            return target
        if self.named_by is None or self.identity is None:
            raise InvalidField("id", f"{target!r} is not an id")
        return self.identity(self.named_by.check(target))

    @property
    def target_name(self) -> str:
        """The path parameter naming a change's target: its id, or its name (a team's slug)."""
        return self.named_by.name if self.named_by else f"{self.kind}_id"

    @property
    def path(self) -> str:
        """The command's HTTP route (the API serves it, a remote command line posts to it),
        e.g. ``/key-results/{key_result_id}/check-ins``."""
        if self.creates:
            return collection(self.kind)
        route = self.route or self.verb.replace("_", "-")
        return f"{collection(self.kind)}/{{{self.target_name}}}/{route}"

    @property
    def records(self) -> str:
        """The aggregate method that checks the values and records the event."""
        return self.method or self.verb

    @property
    def kind(self) -> str:
        return self.name.partition(".")[0]

    @property
    def verb(self) -> str:
        return self.name.partition(".")[2]

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    def check(self, values: Mapping[str, Any], *, json_values: bool = False) -> dict[str, Any]:
        """Every field's value, checked (defaults filled in); ``InvalidField`` names the field.

        ``json_values``: the values come from JSON and must have the documented JSON types.
        """
        known = {f.name for f in self.fields}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidField(
                unknown[0],
                f"is not a field of {self.name.replace('_', ' ')} (its fields: "
                f"{', '.join(sorted(known)) or 'none'})",
            )
        checked: dict[str, Any] = {}
        errors: list[InvalidValue] = []
        for field in self.fields:
            value = values.get(field.name)
            try:
                if value is None:
                    if field.required:
                        raise field.fail(f"is required: {field.help[:1].lower()}{field.help[1:]}")
                    checked[field.name] = field.default_value()
                else:
                    checked[field.name] = (
                        field.from_json(value) if json_values else field.check(value)
                    )
            except InvalidValue as e:
                errors.append(e)
        if errors:
            raise InvalidField.several(errors)
        return checked

    def fingerprint(self, target: UUID | None, values: Mapping[str, Any], actor: str) -> str:
        """What an idempotency key is bound to: this command, its target, its actor and the
        values given. A moment given as ``now`` where now is the default counts as left out,
        so a retry a minute later is the same command."""
        given: dict[str, Any] = {}
        for field in self.fields:
            value = values.get(field.name)
            if value is None or (_is_now(value) and field.default == NOW):
                continue
            given[field.name] = NOW if _is_now(value) else field.canonical(field.check(value))
        text = json.dumps(
            {"command": self.name, "target": str(target or ""), "actor": actor, "values": given},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _is_now(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == NOW


class CommandTable(Mapping[str, Command]):
    """Every command, by name, in the order declared."""

    def __init__(self, *groups: tuple[Command, ...]) -> None:
        self._commands = {c.name: c for group in groups for c in group}
        self._handlers = {c.handler: c for c in self._commands.values()}

    def __getitem__(self, name: str) -> Command:
        return self._commands[name]

    def __iter__(self) -> Any:
        return iter(self._commands)

    def __len__(self) -> int:
        return len(self._commands)

    def by_handler(self, name: str) -> Command | None:
        """The command the application runs as ``name`` (its ``handler``), if any."""
        return self._handlers.get(name)

    def of_kind(self, kind: str) -> list[Command]:
        return [c for c in self._commands.values() if c.kind == kind]
