"""Koers's errors: one small tree, each error carrying structured fields.

Every error a user can meet says, in one sentence, what went wrong and what to do.
Infrastructure errors are translated where they happen (the adapter), chained with
``raise ... from e`` so the cause stays visible to developers but never reaches a user
as a traceback::

    KoersError                      base of everything Koers raises on purpose
    ├── ConfigurationError          a setting, a flag or the environment is wrong
    │   ├── StreamConfigError       an existing NATS stream is weaker than the audited config
    │   └── StreamMissing           a stream does not exist (only koers init/serve create them)
    ├── StoreError                  the event store could not do what was asked
    │   ├── StoreUnavailable        NATS cannot be reached (or stopped answering in time)
    │   │   └── StoreOutOfSpace     JetStream cannot store more: its disk is full
    │   ├── EventTooLarge           one event is bigger than the stream accepts
    │   ├── BatchTooLarge           one save holds more events than one atomic batch may
    │   ├── MalformedEvent          a message on the stream is not a Koers event
    │   └── EmbeddedServerError     the embedded nats-server could not be started or stopped
    ├── EncodingError               a value cannot be written as JSON (NaN, Infinity, unknown type)
    ├── AuditError                  the audit trail found damage, or cannot check (ledger.audit)
    └── DomainError                 a command breaks a rule of the domain (bad input)
        ├── InvalidValue            a value breaks a rule of the domain (names the field)
        │   └── InvalidField        a field is missing, malformed or outside its declared bounds
        ├── NotAllowed              the command does not fit the current state
        ├── NotFound                no such goal, decision, delegation, retro or prompt
        │   └── UnknownName         no person or team of that name in the directory
        └── CommandKeyReused        an idempotency key was reused for a different command

Concurrency conflicts are *not* in this tree: the store raises the ``eventsourcing``
library's ``IntegrityError`` (the recorder contract), subclassed here as
:class:`ConcurrencyConflict` so it also carries the subject, expected and actual position.

The store errors also subclass the matching ``eventsourcing.persistence`` error
(``OperationalError``, ``DataError``, ``ProgrammingError``) so library code that catches
those keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

__all__ = [
    "BatchTooLarge",
    "CommandKeyReused",
    "ConcurrencyConflict",
    "ConfigurationError",
    "DomainError",
    "EmbeddedServerError",
    "EncodingError",
    "EventTooLarge",
    "Forbidden",
    "InvalidField",
    "InvalidValue",
    "KoersError",
    "MalformedEvent",
    "NotAllowed",
    "NotFound",
    "StoreError",
    "StoreOutOfSpace",
    "StoreUnavailable",
    "StreamConfigError",
    "Unauthenticated",
    "UnknownName",
]


class KoersError(Exception):
    """Base of every error Koers raises on purpose; ``str(e)`` is a sentence for users."""


class ConfigurationError(KoersError):
    """A setting, a command-line flag or the environment is wrong."""


class StreamConfigError(ConfigurationError):
    """An existing NATS stream does not have the audited configuration.

    ``problems`` lists each setting that differs, as ``"<field>: is <actual>, needs <wanted>"``.
    """

    def __init__(self, stream: str, problems: list[str], fix: str) -> None:
        self.stream = stream
        self.problems = problems
        super().__init__(
            f"stream {stream!r} does not have the audited configuration "
            f"({'; '.join(problems)}). {fix}"
        )


class StreamMissing(ConfigurationError):
    """A stream Koers needs does not exist. Only ``koers init`` (and ``koers serve`` on a new
    ledger) create streams: a read or a write never does, so a mistyped ``NATS_STREAM`` is
    an error instead of a new, empty ledger."""

    def __init__(self, stream: str, url: str) -> None:
        self.stream = stream
        url = re.sub(r"//[^@/]*@", "//", url)  # never a password in a message
        super().__init__(
            f"the stream {stream!r} does not exist on {url}: create it with 'koers init' (or "
            f"'koers serve' on a new data directory), or fix NATS_STREAM if you meant another"
        )


class StoreError(KoersError):
    """The event store could not do what was asked."""


UNSUPERVISED_ADVICE = (
    "Start it with 'koers serve', or point NATS_URL at a running nats-server, then try again."
)


class StoreUnavailable(StoreError, OperationalError):
    """NATS cannot be reached, or did not answer within the configured timeout.

    ``advice`` says what is being done about it and what to do: by default how to start
    the store; while ``koers serve`` supervises the server, that it is restarting it.
    """

    def __init__(self, url: str, detail: str, advice: str = UNSUPERVISED_ADVICE) -> None:
        self.url = url
        self.detail = detail
        self.advice = advice
        super().__init__(f"the event store at {url} is not reachable ({detail}). {advice}")


class StoreOutOfSpace(StoreUnavailable):
    """JetStream refused or could not store a write for lack of disk space (or of its
    ``max_file_store``); nothing of that write was stored."""

    def __init__(self, url: str, detail: str, advice: str) -> None:
        self.url = url
        self.detail = detail
        self.advice = advice
        OperationalError.__init__(
            self, f"the event store at {url} is out of disk space ({detail}). {advice}"
        )


class EventTooLarge(StoreError, DataError):
    """One event's payload is bigger than the stream's maximum message size."""

    def __init__(self, subject: str, size: int, limit: int) -> None:
        self.subject = subject
        self.size = size
        self.limit = limit
        super().__init__(
            f"the event for {subject} is {size} bytes, more than the {limit} bytes the stream "
            f"accepts per message. Store large content elsewhere and record a reference to it, "
            f"or raise NATS_MAX_MSG_SIZE (and the server's max_payload)."
        )


class BatchTooLarge(StoreError, ProgrammingError):
    """One save holds more events than one atomic batch may contain."""

    def __init__(self, count: int, limit: int) -> None:
        self.count = count
        self.limit = limit
        super().__init__(
            f"one save holds {count} events, more than the {limit} one atomic batch may hold. "
            f"Save in smaller steps, or raise the server's jetstream batch max_msgs and "
            f"NATS_MAX_BATCH together."
        )


class MalformedEvent(StoreError, DataError):
    """A message on the ledger stream lacks what every Koers event carries."""

    def __init__(self, stream: str, seq: int, subject: str, problem: str) -> None:
        self.stream = stream
        self.seq = seq
        self.subject = subject
        self.problem = problem
        super().__init__(
            f"message {seq} on {subject} in stream {stream!r} is not a Koers event ({problem}). "
            f"Something other than Koers wrote to the ledger's subjects: find the writer and "
            f"deny it publish rights on them; the message cannot be deleted from the ledger."
        )


class EmbeddedServerError(StoreError):
    """The embedded nats-server could not be started or stopped."""


class EncodingError(KoersError, ValueError):
    """A value cannot be written as JSON."""


class DomainError(KoersError):
    """A command breaks a rule of the domain; ``str(e)`` says what and how to fix it."""


class InvalidValue(DomainError, ValueError):
    """A value is out of range or malformed. ``field`` names it (as the user typed it)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.detail = message
        #: Every (field, what is wrong) at fault; more than one when a command had several.
        self.errors: list[tuple[str, str]] = [(field, message)]
        super().__init__(f"{field}: {message}")

    def renamed(self, names: Mapping[str, str]) -> InvalidValue:
        """The same error, each field called as the entry point calls it (``names`` maps a
        field to its name there: ``cadence_days`` → ``--cadence``); parts keep their path,
        unless ``names`` names the whole path (``risk.impact`` → ``--impact``)."""

        def rename(field: str) -> str:
            if field in names:
                return names[field]
            base = re.split(r"[.\[]", field, maxsplit=1)[0]
            return names.get(base, base) + field[len(base) :]

        pairs = [(rename(field), detail) for field, detail in self.errors]
        if pairs == self.errors:
            return self
        kind = type(self) if len(pairs) == 1 else InvalidField
        errors = [kind(field, detail) for field, detail in pairs]
        return errors[0] if len(errors) == 1 else InvalidField.several(errors)


class InvalidField(InvalidValue):
    """A field is missing, malformed, or outside the bounds its command declares."""

    @classmethod
    def several(cls, errors: list[InvalidValue]) -> InvalidValue:
        """One error for all the fields at fault (the first names the field)."""
        if len(errors) == 1:
            return errors[0]
        first, rest = errors[0], errors[1:]
        detail = "; ".join([first.detail, *(f"{e.field}: {e.detail}" for e in rest)])
        combined = cls(first.field, detail)
        combined.errors = [pair for e in errors for pair in e.errors]
        return combined


class NotAllowed(DomainError):
    """The command does not fit the aggregate's current state."""


class NotFound(DomainError, LookupError):
    """No such goal, decision, delegation, retro or prompt."""

    def __init__(self, kind: str, ident: object, hint: str = "") -> None:
        self.kind = kind
        self.ident = ident
        #: Where the user finds the ids; empty when the raiser leaves it to the entry point,
        #: which knows how its users list things (a CLI command, an HTTP GET).
        self.hint = hint
        super().__init__(self.with_hint(hint))

    def with_hint(self, hint: str) -> str:
        """The message, saying where the ids are listed in an entry point's own words."""
        return f"no {self.kind} with id {self.ident}: check the id{f' ({hint})' if hint else ''}"


class UnknownName(NotFound):
    """No person or team of that name in the directory; ``close`` lists near matches."""

    def __init__(self, kind: str, name: str, close: list[str], hint: str = "") -> None:
        self.close = close
        NotFound.__init__(self, kind, name, hint)

    def with_hint(self, hint: str) -> str:
        maybe = f" Did you mean {', '.join(repr(c) for c in self.close)}?" if self.close else ""
        return f"no {self.kind} {self.ident!r} in the directory.{maybe}" + (
            f" ({hint})" if hint else ""
        )


class Unauthenticated(KoersError):
    """No credential, or one that does not prove who the caller is (HTTP 401).

    ``str(e)`` says what to send instead; it never contains the credential itself.
    """


class Forbidden(KoersError):
    """The caller is known but may not do this (HTTP 403); ``needs`` says who may."""

    def __init__(self, message: str, needs: str = "") -> None:
        self.needs = needs
        super().__init__(message)


class CommandKeyReused(DomainError):
    """An idempotency key already produced a different command's result."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"the idempotency key {key!r} was already used for a different command (or for "
            f"the same command with other values): use a new key for a new command"
        )


class ConcurrencyConflict(IntegrityError):
    """Someone else wrote to the aggregate first (optimistic concurrency).

    ``subject`` is the aggregate's subject filter, ``expected`` the stream position the writer
    based its change on, ``actual`` the position found (``None`` when unknown).
    """

    def __init__(
        self,
        subject: str,
        expected: int | None,
        actual: int | None,
        detail: str = "",
        unit: str = "position",
    ) -> None:
        self.subject = subject
        self.expected = expected
        self.actual = actual
        found = "unknown" if actual is None else str(actual)
        super().__init__(
            f"someone else changed {subject} first (expected {unit} {expected}, found "
            f"{found}){': ' + detail if detail else ''}. Reload it and try again."
        )
