"""The command handler template and the reads every part of Koers shares.

Every command runs the same way (:meth:`KoersBase.change`):

1. load the aggregate (``NotFound`` if it does not exist);
2. if the command's idempotency key already produced an event on it, return that first
   result: the command does not take effect twice;
3. if the caller said which version it based its command on (``expected_version``) and the
   aggregate moved on, raise ``ConcurrencyConflict``;
4. apply the command (the domain checks its rules) and save with the loaded version as the
   expectation; if someone else saved first, start again from 1 (a retry re-checks every
   rule against the new state, and finds an earlier attempt of the same command in step 2).

Creating commands derive the new aggregate's id from their idempotency key, so a retried
create finds what the first attempt made.

A command from the command table (:meth:`KoersBase.execute`: the API, the command line, the
web) binds its idempotency key to the command's fingerprint: the key's record
(:class:`~ledger.domain.keys.CommandKey`) is written in the same atomic save as the command's
events, and step 2 looks it up first, whatever aggregate or kind the key is used on again.
The same key with the same command and arguments answers the first result; with anything
else it is refused (``CommandKeyReused``).
"""

from __future__ import annotations

import difflib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import get_topic

from ledger.application._destinations import refuse_private
from ledger.application._kinds import KindCache
from ledger.application._transcodings import snapshot_transcodings
from ledger.domain import (
    ACTOR,
    AGGREGATES,
    COMMANDS,
    EXPECTED_VERSION,
    IDEMPOTENCY_KEY,
    Command,
    CommandKey,
    Delegation,
    KeyResult,
    KoersAggregate,
    Kpi,
    Principal,
    Retro,
    command_key_id,
    key_record_id,
    proved_by,
)
from ledger.domain._fields import Ref
from ledger.errors import (
    ConcurrencyConflict,
    Forbidden,
    NotAllowed,
    NotFound,
    UnknownName,
)

__all__ = ["BoundKey", "KoersBase", "Receipt"]

log = logging.getLogger(__name__)

A = TypeVar("A", bound=KoersAggregate)
T = TypeVar("T")
RETRIES = 5
#: Kinds whose commands change who may do what.
_ACCESS_KINDS = frozenset({"person", "team", "token"})
#: The target :meth:`KoersBase.execute` just loaded to authorize its command: the command's
#: first attempt starts from it instead of loading it again (:meth:`KoersBase.change`).
_checked: ContextVar[KoersAggregate | None] = ContextVar("koers_checked_target", default=None)


@dataclass(frozen=True)
class Receipt:
    """What a command did: the aggregate, its version after the command, and the stream
    position of the command's last event (``None`` when it had been done already)."""

    id: UUID
    version: int
    position: int | None
    replayed: bool = False
    #: The id of a part the command made inside the aggregate (a retro's action item).
    item_id: UUID | None = None
    #: A credential's secret, made by the command and shown this once (a new token).
    secret: str | None = None


class BoundKey(str):
    """An idempotency key bound to its command's fingerprint (from :meth:`KoersBase.execute`).

    A plain ``str`` key (the demo, the workers: trusted callers with derived keys) is
    recognised per aggregate and command name, as before the command table.
    """

    command: str
    fingerprint: str
    actor: str

    def __new__(cls, key: str, command: str, fingerprint: str, actor: str) -> BoundKey:
        bound = super().__new__(cls, key)
        bound.command, bound.fingerprint, bound.actor = command, fingerprint, actor
        return bound


class KoersBase(Application[UUID]):
    """Application service: command handling, loading, history and "as of" reads."""

    name = "Koers"
    #: A snapshot every 50 events of the aggregates that grow with time (check-ins, items),
    #: so a short-lived process (one CLI command) loads them without replaying everything.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        KeyResult: 50,
        Kpi: 50,
        Delegation: 50,
        Retro: 50,
    }

    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "ledger.nats",
        "MAPPER_TOPIC": "ledger.transcoder:TypedMapper",
        "AGGREGATE_CACHE_MAXSIZE": "1000",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._kinds_lock = threading.Lock()
        self._kinds: dict[type[Any], KindCache[Any]] = {}
        super().__init__(*args, **kwargs)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The library's own, plus the domain's enums and value objects (for snapshots)."""
        super().register_transcodings(transcoder)
        for transcoding in snapshot_transcodings():
            transcoder.register(transcoding)

    # -- writing ---------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Callable[..., Receipt]:
        """The application's method for each command of the table that has no bespoke one:
        ``app.drop_objective(id, actor=…, reason=…)`` runs the table's ``objective.drop``
        (:meth:`run`); its name is the command's ``handler``."""
        command = COMMANDS.by_handler(name)
        if command is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return partial(self.run, command)

    def execute(
        self,
        command: Command,
        target: UUID | str | None,
        values: Mapping[str, Any],
        *,
        actor: Any = None,
        principal: Principal | None = None,
        key: Any = "",
        expected_version: Any = None,
        json_values: bool = False,
    ) -> Receipt:
        """Run a command of the table: check the actor, key, expected version and every
        field (``InvalidValue`` names the one at fault), check that the ``principal`` may
        issue it (:meth:`authorize`), bind the key to the command's fingerprint, then run
        the command's handler (``command.handler``) with the principal's credential
        recorded on its events.

        ``actor`` is who the events are recorded for: the principal itself unless it may
        act for others (a service token made so, the local command line). Without a
        principal (trusted callers: the demo, tests) ``actor`` is taken as given.
        """
        claimed = None if actor is None else (
            ACTOR.from_json(actor) if json_values else ACTOR.check(actor))  # fmt: skip
        if principal is not None:
            principal = self._acting(principal, claimed)
            claimed = ACTOR.check(principal.handle)
        if claimed is None:
            raise ACTOR.fail("say who does this (a person's handle)")
        target_id = None if target is None else command.target_id(target)
        checked = command.check(values, json_values=json_values)
        refuse_private(command, checked, self.env)  # a URL Koers would POST to: not inward
        options: dict[str, Any] = {"actor": claimed, **checked}
        if key:
            fingerprint = command.fingerprint(target_id, values, claimed)
            options["key"] = BoundKey(IDEMPOTENCY_KEY.check(key), command.name, fingerprint,
                                      claimed)  # fmt: skip
        if expected_version is not None:
            version = EXPECTED_VERSION
            options["expected_version"] = (
                version.from_json(expected_version)
                if json_values
                else version.check(expected_version)
            )
        thing = None
        if principal is not None:  # after every value is checked: bad input is told first
            thing = self.authorize(principal, command, target_id, checked)
        handler: Callable[..., Receipt] = getattr(self, command.handler)
        with proved_by(principal.credential if principal is not None else ""), _starting(thing):
            receipt = handler(*(() if target is None else (target,)), **options)
        if command.kind in _ACCESS_KINDS:
            self.forget_access()
        return receipt

    @staticmethod
    def _acting(principal: Principal, claimed: str | None) -> Principal:
        """The principal the events are recorded for (see :meth:`execute`)."""
        if claimed is None or claimed == principal.handle:
            return principal
        if not (principal.on_behalf or principal.local):
            raise Forbidden(
                f"you are signed in as {principal.handle}: you act as yourself (leave out "
                f"Koers-Actor and the actor field); only a service token made with "
                f"--act-for-others may act for {claimed}",
                "a service token that may act for others",
            )
        return principal.acting_for(claimed)

    def authorize(
        self, principal: Principal, command: Command, target: UUID | None, values: Any
    ) -> KoersAggregate | None:
        """Refuse the command unless the principal may issue it (the access rules fill
        this in: :class:`ledger.application._access.AccessCommands`); answer the target as
        it was loaded for the check (``None`` if it was not), which the command's first
        attempt starts from."""
        raise NotImplementedError

    def forget_access(self) -> None:
        """Drop what the access rules cached (after a directory or credential command)."""

    def run(
        self,
        command: Command,
        target: UUID | str | None = None,
        /,
        *,
        actor: str,
        key: str = "",
        expected_version: int | None = None,
        guard: Callable[[], None] | None = None,
        **values: Any,
    ) -> Receipt:
        """Run a command of the table on its values (the aggregate's method checks them).

        Ids of other things among the values (``Ref`` fields) must exist. ``guard`` runs
        just before the aggregate's method, so a retry of a done command is answered even
        when the guard would now refuse it. The other aggregates a change also changes
        (the command's ``also``: a carry-over's later retro) are loaded afresh on every
        attempt: the aggregate's method gets them by name, and they are saved with it in
        one atomic write.
        """
        cls = AGGREGATES[command.kind]
        event = getattr(cls, command.event)
        self._must_exist(command, values)
        loaded: dict[str, KoersAggregate] = {}

        def record(on: Any, **more: Any) -> Any:
            if guard is not None:
                guard()
            loaded.clear()
            loaded.update(self._also(command, values))
            return getattr(on, command.records)(
                actor=actor, command_id=str(key), **more, **loaded, **values
            )

        if command.creates:
            if command.also:
                raise TypeError(f"{command.name} creates: it changes no other aggregate")
            named = self._name_of(command, values)
            return self.create(cls, key, lambda new_id: record(cls, id=new_id), event, named)
        if target is None:
            raise TypeError(f"{command.name} needs the id of the {kind_of(cls)} it changes")
        if isinstance(target, str) and command.named_by and command.identity:
            self.named(cls, command.named_by.name, command.identity, target)
        target_id = command.target_id(target)
        part = self._part_id(command, target_id, key)
        also = (lambda _: list(loaded.values())) if command.also else None
        receipt = self.change(
            cls,
            target_id,
            key,
            event,
            (lambda on: record(on, **{command.part: part})) if part else record,
            expected_version=expected_version,
            also=also,
        )
        return replace(receipt, item_id=part) if part else receipt

    @staticmethod
    def _part_id(command: Command, target: UUID, key: str) -> UUID | None:
        """The id of the part a command adds inside its aggregate (``part``): derived from
        the idempotency key, so a retried command adds the same part, not a second one."""
        if not command.part:
            return None
        return uuid.uuid5(target, str(key)) if key else uuid.uuid4()

    @staticmethod
    def _name_of(command: Command, values: Mapping[str, Any]) -> tuple[UUID, str] | None:
        """A named create's name and the id it gives the new thing (``named_by``)."""
        if command.named_by is None or command.identity is None:
            return None
        name = command.named_by.check(values.get(command.named_by.name))
        return command.identity(name), name

    def named(
        self,
        cls: type[A],
        attribute: str,
        identity: Callable[[str], UUID],
        name: str,
        hint: str = "",
    ) -> A:
        """The thing of a named kind (a person by handle, a team by slug), or ``UnknownName``
        listing the closest names there are."""
        found = self._find(cls, identity(name))
        if found is None:
            known = [str(getattr(a, attribute)) for a in self.all_of(cls)]
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            raise UnknownName(kind_of(cls), name, close, hint)
        return found

    def _also(self, command: Command, values: Mapping[str, Any]) -> dict[str, KoersAggregate]:
        """The other aggregates the change also changes (``also``), as they are now, by the
        name the aggregate's method takes each by."""
        checked = command.check(values) if command.also else {}
        loaded: dict[str, KoersAggregate] = {}
        for argument, name in command.also:
            ref = command.field(name)
            assert isinstance(ref, Ref), f"{command.name}: also names a Ref field, not {name}"
            loaded[argument] = self.load(AGGREGATES[ref.kind], checked[name])
        return loaded

    def _must_exist(self, command: Command, values: Mapping[str, Any]) -> None:
        for field in command.fields:
            value = values.get(field.name)
            if isinstance(field, Ref) and field.kind in AGGREGATES and value is not None:
                self.load(AGGREGATES[field.kind], field.check(value))

    def _key_used(self, key: str) -> Receipt | None:
        """The first result of a bound key's command, if the key was used (see the docstring)."""
        if not isinstance(key, BoundKey):
            return None
        record = self._find(CommandKey, key_record_id(key))
        if record is None:
            return None
        target, version = record.same_command(key, key.fingerprint)
        return Receipt(target, version, None, replayed=True)

    @staticmethod
    def _key_record(key: str, target: UUID, version: int) -> list[KoersAggregate]:
        if not isinstance(key, BoundKey):
            return []
        return [
            CommandKey.use(
                key=key,
                actor=key.actor,
                command=key.command,
                target_id=target,
                version=version,
                fingerprint=key.fingerprint,
            )
        ]

    def create(
        self,
        cls: type[A],
        key: str,
        make: Callable[[UUID], A],
        event: type[Any],
        named: tuple[UUID, str] | None = None,
    ) -> Receipt:
        """Create an aggregate; with an idempotency ``key``, at most once. A ``named`` thing
        (a person, a team: its id and name) exists once, whatever the key."""
        if named is not None:
            new_id = named[0]
        else:
            new_id = command_key_id(cls.__name__, key) if key else uuid.uuid4()
        if key:
            used = self._key_used(key)
            if used is not None:
                return used
        earlier = self._find(cls, new_id) if key or named else None
        if earlier is not None:
            version = earlier.done_already(key, event.__name__) if key else None
            if named is not None and version is None:
                raise NotAllowed(f"{kind_of(cls)} {named[1]!r} exists already")
            return Receipt(new_id, version or earlier.version, None, replayed=True)
        aggregate = make(new_id)
        try:
            recordings = self.save(aggregate, *self._key_record(key, new_id, aggregate.version))
        except IntegrityError:
            if key or named:  # a concurrent attempt won the race: answer as after it
                return self.create(cls, key, make, event, named)
            raise
        return Receipt(new_id, aggregate.version, _position(recordings))

    def change(
        self,
        cls: type[A],
        aggregate_id: UUID,
        key: str,
        event: type[Any],
        command: Callable[[A], Any],
        /,
        *,
        expected_version: int | None = None,
        also: Callable[[A], list[KoersAggregate]] | None = None,
    ) -> Receipt:
        """Run ``command`` on an aggregate following the template in the module docstring.

        ``also`` names other aggregates the command changed, saved in the same atomic write.
        """
        for _ in range(RETRIES):
            used = self._key_used(key)
            if used is not None:
                return used
            aggregate = _checked_target(cls, aggregate_id, expected_version)
            if aggregate is None:
                aggregate = self.load(cls, aggregate_id)
            done = aggregate.done_already(key, event.__name__)
            if done is not None:
                return Receipt(aggregate_id, done, None, replayed=True)
            if expected_version is not None and aggregate.version != expected_version:
                raise ConcurrencyConflict(
                    str(aggregate_id), expected_version, aggregate.version, unit="version"
                )
            command(aggregate)
            others = also(aggregate) if also else []
            others += self._key_record(key, aggregate_id, aggregate.version)
            try:
                recordings = self.save(aggregate, *others)
            except IntegrityError:
                continue  # the next pass finds our own earlier attempt, or the conflict
            return Receipt(aggregate_id, aggregate.version, _position(recordings))
        raise ConcurrencyConflict(str(aggregate_id), None, None, "it kept changing; retried")

    # -- reading ---------------------------------------------------------------------------

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: KoersAggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate (at ``version``), or ``NotFound`` naming the kind that was wanted
        (each entry point adds where its users find the ids)."""
        try:
            aggregate: KoersAggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(kind_of(cls), aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind_of(cls), aggregate_id)
        return aggregate

    def event_history(self, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first (``NotFound`` when there are none)."""
        events = list(self.repository.event_store.get(aggregate_id))
        if not events:
            raise NotFound("aggregate", aggregate_id)
        return events

    def load_as_of(self, cls: type[A], aggregate_id: UUID, moment: datetime) -> A:
        """The aggregate as it stood at ``moment`` (recorded time): what we knew then."""
        history = self.event_history(aggregate_id)
        versions = [e.originator_version for e in history if e.timestamp <= moment]
        if not versions:
            raise NotAllowed(
                f"{kind_of(cls)} {aggregate_id} did not exist yet at {moment.isoformat()}: "
                f"it was first recorded at {history[0].timestamp.isoformat()}"
            )
        return self.load(cls, aggregate_id, version=versions[-1])

    def ids_of(self, cls: type[KoersAggregate]) -> Iterator[UUID]:
        """The ids of every aggregate of a kind, in the order they were created."""
        created = _created_event(cls)
        topic = get_topic(created)
        start = 0
        while True:
            page = self.recorder.select_notifications(
                start, 500, topics=[topic], inclusive_of_start=False
            )
            for notification in page:
                yield UUID(str(notification.originator_id))
            if len(page) < 500:
                return
            start = page[-1].id

    def all_of(self, cls: type[A]) -> list[A]:
        """Every aggregate of a kind, oldest first, as of the log's last event now: kept in
        memory and brought up to date from the log's tail (:mod:`ledger.application._kinds`).
        Treat them as read-only. One whose events cannot be applied is left out and logged,
        so a list answers for everything else (docs/store.md, "Quarantine")."""
        return [thing for thing, _ in self.all_with_events(cls)]

    def all_with_events(self, cls: type[A]) -> list[tuple[A, list[Any]]]:
        """:meth:`all_of` with each aggregate's domain events, oldest first."""
        return self._kind(cls).current(self.recorder, self.mapper)

    def all_derived(self, cls: type[A], make: Callable[[A, list[Any]], T]) -> list[tuple[A, T]]:
        """:meth:`all_of` with ``make(aggregate, its events)`` for each, remembered per
        aggregate version (see :meth:`KindCache.derived`): read-only."""
        return self._kind(cls).derived(self.recorder, self.mapper, make)

    def warm(self, *classes: type[KoersAggregate]) -> threading.Thread:
        """Read the kinds the pages list into memory in the background (a first read of a
        kind checks every one of its events: seconds on a 100k-event log, better spent
        before the first person asks). A failure is logged; the next read tries again."""

        def read_all() -> None:
            for cls in classes:
                try:
                    self.all_of(cls)
                except Exception as e:  # the store away: a read on demand tries again
                    log.warning("could not read the %s list ahead: %s", kind_of(cls), e)

        thread = threading.Thread(target=read_all, name="koers-warm", daemon=True)
        thread.start()
        return thread

    def _kind(self, cls: type[A]) -> KindCache[A]:
        with self._kinds_lock:
            cache = self._kinds.get(cls)
            if cache is None:
                cache = self._kinds[cls] = KindCache(cls, kind_of)
            return cache


def _position(recordings: list[Any]) -> int:
    """The stream position of the command's last event (its key's record is not one)."""
    events = [r for r in recordings if not isinstance(r.domain_event, CommandKey.Used)]
    return int(events[-1].notification.id)


def kind_of(cls: type[KoersAggregate]) -> str:
    for kind, known in AGGREGATES.items():
        if known is cls:
            return kind.replace("_", " ")
    return cls.__name__.lower()


def _created_event(cls: type[KoersAggregate]) -> type[Any]:
    for value in vars(cls).values():
        if isinstance(value, type) and issubclass(value, KoersAggregate.Created):
            return value
    raise TypeError(f"{cls.__name__} declares no created event")


@contextmanager
def _starting(thing: KoersAggregate | None) -> Iterator[None]:
    """While a command of :meth:`KoersBase.execute` runs: the target its check loaded."""
    token = _checked.set(thing)
    try:
        yield
    finally:
        _checked.reset(token)


def _checked_target(cls: type[A], aggregate_id: UUID, expected: int | None) -> A | None:
    """The target :meth:`KoersBase.execute` loaded for its check, taken once (the first
    attempt of the change on it); ``None`` for anything else. It was loaded moments ago
    through the repository (a copy nobody else holds) and only read since: starting from it
    is loading it again, minus a round trip. Should it be stale, the save's expectation
    fails and the next attempt loads afresh (step 4 of the template); it is not used where
    the caller's ``expected_version`` does not match it, so a conflict is only ever reported
    against a fresh load."""
    thing = _checked.get()
    if thing is None or thing.id != aggregate_id or not isinstance(thing, cls):
        return None
    _checked.set(None)
    if expected is not None and thing.version != expected:
        return None
    return thing
