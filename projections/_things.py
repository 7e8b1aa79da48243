"""The state of every thing a list or a show answers for, kept by the views' projection.

``GET /{kind}``, ``GET /{kind}/{id}`` and ``koers <kind> list|show`` answer
:func:`~ledger.application._reads.complete_state` of each objective, key result, KPI,
decision, delegation, retro and prompt. Instead of loading every aggregate of a kind from the
store per request, the projection keeps that answer here, in the same transaction as the
tracking position (so a read with ``min_position`` sees a write, exactly as the views do):

- ``things``: one row per thing: its kind, the position of the event that created it (the
  list order: oldest first), its version, its complete state as JSON, what the access rules
  need (its team, for a key result its objective's; its owner; for a prompt its recipient,
  who alone may see it), and the aggregate with its events (``saved``: pickled, base64) to
  apply the next event to. The view file is the projection's own (mode 0600, like the data
  directory); ``saved`` is read back by an unpickler that can only make the domain's classes
  and a few value types (:class:`_DomainOnly`), as a PostgreSQL schema may be writable by
  others.
- ``thing_fields``: a list filter's value per thing (``str`` of the state's field, as the
  lists always compared it), indexed by (kind, name, value, position): a filtered page is
  an index range.
- ``thing_people``: who is named on a thing (owner, decider, consulted, ...), for the rule
  "a person sees what they are on" (the ``WHERE`` of :mod:`projections.things`).
- ``thing_counts``: how many things each reader's cells hold (:mod:`projections._thing_counts`),
  for a list's ``total``.

:class:`ThingBatch` applies a batch's events to their things in memory and writes each
changed thing once when the batch is done (a replay computes a decision's state once per
page, not once per event). ``saved`` holds the events only for the kinds whose complete
state reads them (:func:`~ledger.application._reads.reads_history`: decisions, delegations,
retros); a key result's check-ins are in the aggregate already.

:class:`LiveThings` keeps the projection's recently written things in memory, so the next
event of a thing is applied without unpickling ``saved`` (a key result's check-in costs the
same at its 500th check-in as at its first, but for writing its state). A kept thing is used
only while its version is the one its row has (the row is the truth: a rolled-back batch
leaves the row behind, and the kept thing is dropped).

An event whose aggregate cannot take it (a forged one: wrong version, missing fields) raises,
so the projection sets it aside in the quarantine and the thing keeps its last good state.
Not view tables: they are not in the export (``projections.export``), which holds facts.
"""

from __future__ import annotations

import base64
import io
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from ledger.application._kinds import event_classes
from ledger.application._reads import complete_state, reads_history, state_values
from ledger.domain import AGGREGATES, Decision, KoersAggregate
from projections._sql import Tx
from projections._thing_counts import Cell, cell_of, recount

__all__ = ["FILTERS", "KIND_OF", "LISTED", "LiveThings", "ThingBatch"]

#: The kinds lists and shows answer for -> the state fields a list filters by.
FILTERS: dict[str, tuple[str, ...]] = {
    "objective": ("team", "owner", "period", "status"),
    "key_result": ("objective_id", "owner", "status"),
    "kpi": ("team", "owner"),
    "decision": ("team", "decider", "status"),
    "delegation": ("owner", "delegator", "status"),
    "retro": ("team", "period"),
    "prompt": ("to", "state"),
}
LISTED = tuple(FILTERS)

#: Who may be named on a thing (``Access.facts``): a person sees what names them.
_NAMED = ("owner", "decider", "facilitator", "recommender", "approver", "delegator")


@dataclass
class _Changed:
    """A thing a batch changed, not written yet."""

    kind: str
    thing: KoersAggregate | None  # None: not created yet
    events: list[Any]
    first: int  # the position of its first event: the list order
    stored: bool  # whether it has a row already


class LiveThings:
    """The things a projection wrote last (at most ``most``), as the aggregate with the
    events ``saved`` keeps of it, to apply their next events to.

    :meth:`take` hands a thing out (and forgets it) only if its version is the one its row
    has now; :meth:`keep` takes it back once its row is written. A thing that is being
    changed is never here, so a change that fails (a rolled-back event or batch) cannot
    leave a half-changed thing behind: the next event of it reads its row.
    """

    def __init__(self, most: int = 1_000) -> None:
        self._most = most
        self._things: OrderedDict[str, tuple[KoersAggregate, list[Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, thing_id: str, version: int) -> tuple[KoersAggregate, list[Any]] | None:
        with self._lock:
            kept = self._things.pop(thing_id, None)
        return kept if kept is not None and kept[0].version == version else None

    def keep(self, thing_id: str, thing: KoersAggregate, events: list[Any]) -> None:
        with self._lock:
            self._things[thing_id] = (thing, events)
            if len(self._things) > self._most:
                self._things.popitem(last=False)


class ThingBatch:
    """The things one batch of events changes, each written once when the batch is done
    (:meth:`flush`): a replay applies a decision's ten events to it in memory and computes
    its state and stores it once, not ten times.

    An event is applied to the thing as this batch left it, else as ``live`` kept it (if
    that is its row's version), else as its row has it. If applying raises, the thing may
    be half changed: the caller rolls back (the batch, or the event's savepoint, then
    :meth:`forget` it) so what is written is never that.
    """

    def __init__(self, tx: Tx, live: LiveThings | None = None) -> None:
        self._tx = tx
        self._live = live if live is not None else LiveThings(0)
        self._changed: dict[str, _Changed] = {}

    def apply(self, e: Any, position: int) -> None:
        kind = KIND_OF[type(e)]
        thing_id = str(e.originator_id)
        changed = self._changed.get(thing_id) or self._read(kind, thing_id, position)
        thing = e.mutate(changed.thing)
        if not isinstance(thing, AGGREGATES[kind]):
            raise TypeError(f"{type(e).__qualname__} did not make a {kind.replace('_', ' ')}")
        changed.thing = thing
        if reads_history(type(thing)):
            changed.events.append(e)
        self._changed[thing_id] = changed

    def _read(self, kind: str, thing_id: str, position: int) -> _Changed:
        """The thing as ``live`` kept it or as its row has it (not created yet: ``None``)."""
        row = self._tx.one("SELECT position, version FROM things WHERE thing_id = ?", thing_id)
        if row is None:
            return _Changed(kind, None, [], position, False)
        kept = self._live.take(thing_id, int(row["version"]))
        if kept is None:
            saved = self._tx.one("SELECT saved FROM things WHERE thing_id = ?", thing_id)
            assert saved is not None  # in this transaction a moment ago
            kept = _loads(saved["saved"])
        thing, events = kept  # an older row of a kind that reads no history kept its events
        events = events if reads_history(type(thing)) else []
        return _Changed(kind, thing, events, int(row["position"]), True)

    def forget(self, e: Any) -> None:
        """Drop what this batch holds of ``e``'s thing (its event was rolled back)."""
        self._changed.pop(str(e.originator_id), None)

    def flush(self) -> None:
        """Write every changed thing (a key result after its objective: it takes its team)."""
        for thing_id, changed in self._changed.items():
            _save(self._tx, changed, self._team_of(changed, thing_id))
            assert changed.thing is not None  # _save wrote it
            self._live.keep(thing_id, changed.thing, changed.events)
        self._changed.clear()

    def _team_of(self, changed: _Changed, thing_id: str) -> str | None:
        if changed.kind != "key_result":
            return getattr(changed.thing, "team", None)
        objective_id = str(getattr(changed.thing, "objective_id", ""))  # Access.facts: its team
        pending = self._changed.get(objective_id)
        if pending is not None:
            return getattr(pending.thing, "team", None)
        row = self._tx.one("SELECT team FROM things WHERE thing_id = ?", objective_id)
        return row["team"] if row else None


def _save(tx: Tx, changed: _Changed, team: str | None) -> None:
    """Write the thing's row, its filters and its people."""
    kind, thing = changed.kind, changed.thing
    assert thing is not None  # apply() made it
    state = _complete_state(thing, changed.events)
    thing_id = str(thing.id)
    private_to = state.get("to") or "" if kind == "prompt" else None
    before = cell_of(tx, thing_id) if changed.stored else None
    values = (
        kind, thing.version, team, state.get("owner"), private_to,
        orjson.dumps(state).decode(), _dumps(thing, changed.events),
    )  # fmt: skip
    if changed.stored:
        tx.run(
            "UPDATE things SET kind = ?, version = ?, team = ?, owner = ?, private_to = ?, "
            "state = ?, saved = ? WHERE thing_id = ?",
            *values, thing_id,
        )  # fmt: skip
        tx.run("DELETE FROM thing_fields WHERE thing_id = ?", thing_id)
        tx.run("DELETE FROM thing_people WHERE thing_id = ?", thing_id)
    else:
        tx.run(
            "INSERT INTO things (thing_id, position, kind, version, team, owner, private_to, "
            "state, saved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            thing_id, changed.first, *values,
        )  # fmt: skip
        changed.stored = True
    for name in FILTERS[kind]:
        tx.run(
            "INSERT INTO thing_fields (kind, name, value, position, thing_id) "
            "VALUES (?, ?, ?, ?, ?)",
            kind, name, str(state.get(name)), changed.first, thing_id,
        )  # fmt: skip
    people = frozenset(_people(kind, state))
    for handle in people:
        tx.run("INSERT INTO thing_people (thing_id, handle) VALUES (?, ?)", thing_id, handle)
    filters = frozenset((name, str(state.get(name))) for name in FILTERS[kind])
    after = Cell(team or "", state.get("owner") or "", private_to or "", people, filters)
    recount(tx, kind, before, after)


def _complete_state(thing: KoersAggregate, events: list[Any]) -> dict[str, Any]:
    """:func:`complete_state` of ``thing``; for the kinds that add nothing to
    :func:`~ledger.application._reads.state_of`, written by orjson in one pass (its walk in
    Python was half the views' time per write on a key result with hundreds of check-ins).
    Same values: orjson writes ids, times, enums, tuples and dataclasses as ``plain`` does,
    and :func:`_plain_leaf` the rest; a value neither knows takes ``plain``'s walk (a test
    holds every listed thing of the demo to ``complete_state``)."""
    if not (reads_history(type(thing)) or isinstance(thing, Decision)):
        try:
            as_json = orjson.dumps(state_values(thing), default=_plain_leaf,
                                   option=orjson.OPT_NON_STR_KEYS)  # fmt: skip
        except TypeError:
            pass
        else:
            state: dict[str, Any] = orjson.loads(as_json)
            return state
    return complete_state(thing, lambda _: events)


def _plain_leaf(value: Any) -> Any:
    """What ``plain`` makes of the values orjson does not write itself."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"not plain data: {type(value).__qualname__}")


def _people(kind: str, state: dict[str, Any]) -> set[str]:
    """Who is on the thing (``Access.facts``' people and groups); a prompt has none (only
    its recipient may see it, ``private_to``), nor a key result beyond its owner."""
    if kind == "prompt":
        return set()
    named = ("owner",) if kind == "key_result" else _NAMED
    people = {state.get(name) for name in named}
    if kind == "decision":
        people |= set(state.get("consulted") or ())
    return {p for p in people if isinstance(p, str) and p}


def _dumps(thing: KoersAggregate, events: list[Any]) -> str:
    return base64.b64encode(pickle.dumps((thing, events), pickle.HIGHEST_PROTOCOL)).decode()


def _loads(saved: str) -> tuple[KoersAggregate, list[Any]]:
    """The aggregate and its events, read back by :class:`_DomainOnly`: ``saved`` can only
    make the domain's classes and a few value types, never call anything else."""
    loaded: tuple[KoersAggregate, list[Any]] = _DomainOnly(
        io.BytesIO(base64.b64decode(saved))
    ).load()
    return loaded


#: The value types a saved aggregate holds besides the domain's own classes.
_VALUES = {
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("uuid", "UUID"), ("uuid", "SafeUUID"),
}  # fmt: skip


class _DomainOnly(pickle.Unpickler):
    """An unpickler that finds only classes of ``ledger.domain`` (pure: no I/O, per the
    import-linter contract) and :data:`_VALUES`. With views in PostgreSQL whoever may write
    the views schema could otherwise put a pickle there that runs any code in the projector
    (Python's pickle documentation, "Restricting Globals"); such a ``saved`` fails to load,
    so the event is set aside in the quarantine and nothing runs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _VALUES:
            return super().find_class(module, name)
        if module == "ledger.domain" or module.startswith("ledger.domain."):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(
            f"a saved thing names {module}.{name}, which is not a class of the domain: "
            f"not loaded (rebuild the views: koers projections rebuild)"
        )


#: Every event of a listed kind -> that kind.
KIND_OF: dict[type[Any], str] = {
    event: kind for kind in LISTED for event in event_classes(AGGREGATES[kind])
}
