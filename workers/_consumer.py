"""Processing a fetched batch in three steps: decide, act, settle every message one way.

1. **Decide.** Messages of one aggregate (ledger) or one schedule (due) are judged one after
   the other, in stream order; different ones concurrently (``KOERS_WORKER_CONCURRENCY``).
   The server passes the ledger consumer only the events triggers read or whose states are
   kept (:func:`workers._streams.ledger_filters`); messages no trigger is interested in
   are acknowledged at once. Ledger triggers get the
   aggregate as it stood before the event from :class:`~workers._states.States` (a read
   from the store only when this worker did not see the event before it).
2. **Act.** The prompts of the batch are issued together (:mod:`workers._issuer`, in a
   thread: the application is synchronous); the schedule actions are coalesced
   per schedule (the last one wins: six check-ins of a key result in one batch re-schedule it
   once) and sent as one atomic batch (:mod:`workers._scheduler`).
3. **Settle** (:mod:`workers._settle`). A message is acknowledged once every action it asked
   for is done; otherwise retried with a delay, or dead-lettered.

Steps 2 and 3 run in the background (up to ``IN_FLIGHT_BATCHES`` batches), so the next batch
is fetched and judged meanwhile; actions on one schedule stay in order across batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ledger.application import Koers
from ledger.nats._client import RawMessage
from ledger.settings import WorkerSettings
from workers._actions import Action, CancelSchedule, IssuePrompt, SetSchedule
from workers._background import Background
from workers._deadletter import Publish
from workers._decode import BadMessage, Decoder, Event, ForeignMessage
from workers._due import DueHandlers
from workers._issuer import Issuer
from workers._metrics import Metrics
from workers._names import Names
from workers._periodic import activities, period_of, prompts_for, scan
from workers._scheduler import Scheduler
from workers._settle import Settler
from workers._states import TRACKED_KINDS, States
from workers._triggers import Triggers

__all__ = ["Outcome", "Processor"]

log = logging.getLogger("workers")
T = TypeVar("T")


IN_FLIGHT_BATCHES = 4
PROMPTS_PER_SAVE = 100
#: verify a batch's signatures together on threads before decoding it; off: each in
#: ``decode``, on the loop. Off by default: on the loaded 2-core VM it showed no gain over 9
#: paired runs (BENCHMARKS.md, "Throughput levers", item 4); ``worker_bench --baseline``
#: measures both ways
PROVE_FIRST = False


@dataclass
class Outcome:
    """One message's decision: the actions it asks for, or why it could not be judged."""

    msg: Msg
    actions: list[Action] = field(default_factory=list)
    error: BaseException | None = None


class Processor:
    def __init__(
        self,
        *,
        app: Koers,
        js: JetStreamContext,
        settings: WorkerSettings,
        names: Names,
        decoder: Decoder,
        scheduler: Scheduler,
        metrics: Metrics,
        publish_dead_letter: Publish,
    ) -> None:
        self.app = app
        self.js = js
        self.settings = settings
        self.names = names
        self.decoder = decoder
        self.triggers = Triggers(settings)
        self.states = States(app)
        self.due = DueHandlers(app, settings)
        self.issuer = Issuer(app, settings.actor, metrics)
        self.scheduler = scheduler
        self.metrics = metrics
        self.settler = Settler(settings, names, metrics, publish_dead_letter)
        self.limiter = anyio.CapacityLimiter(settings.concurrency)
        self._background = Background(IN_FLIGHT_BATCHES)
        self._tails: dict[tuple[str, str], asyncio.Future[None]] = {}

    # -- the two streams ----------------------------------------------------------------------

    async def ledger_batch(self, messages: Iterable[Msg]) -> None:
        chains: dict[Any, list[tuple[Msg, Callable[[], Awaitable[list[Action]]]]]] = {}
        batch = [(msg, msg.metadata) for msg in messages]
        signatures = self.decoder.signatures
        if signatures is not None and PROVE_FIRST:  # on threads, off the loop; decode remembers
            raws = [
                RawMessage(m.sequence.stream, g.subject, g.headers or {}, g.data) for g, m in batch
            ]
            await anyio.to_thread.run_sync(signatures.prove, raws)
        for msg, meta in batch:
            try:
                event = self.decoder.decode(
                    msg.subject, msg.headers, msg.data, meta.sequence.stream, meta.timestamp
                )
            except BadMessage as e:  # a foreign message never gets better: no retries
                retry = not isinstance(e, ForeignMessage)
                await self.settler.failed(msg, "ledger", e.reason, retry=retry)
                continue
            if event is None or not (self.triggers.wants(event) or event.kind in TRACKED_KINDS):
                await self.settler.ack(msg, "ledger")
                continue
            chains.setdefault(event.aggregate_id, []).append((msg, self._judge(event, msg.data)))
        await self._process(chains.values(), "ledger")

    async def due_batch(self, messages: Iterable[Msg]) -> None:
        chains: dict[str, list[tuple[Msg, Callable[[], Awaitable[list[Action]]]]]] = {}
        for msg in messages:
            chains.setdefault(msg.subject, []).append((msg, self._on_due(msg)))
        await self._process(chains.values(), "schedules")

    # -- deciding -----------------------------------------------------------------------------

    def _judge(self, event: Event, data: bytes) -> Callable[[], Awaitable[list[Action]]]:
        async def judge() -> list[Action]:
            tracked = event.kind in TRACKED_KINDS
            before = self.states.cached_before(event) if tracked else None
            if before is None and self.triggers.needs_state(event):
                before = await self._in_thread(self.states.load_before, event)
            actions = self.triggers.evaluate(event, before) if self.triggers.wants(event) else []
            if tracked:
                self.states.advance(event, before, data)
            return actions

        return judge

    def _on_due(self, msg: Msg) -> Callable[[], Awaitable[list[Action]]]:
        async def judge() -> list[Action]:
            kind, ident = self._due_target(msg)
            if kind == "periodic":
                return await self._periodic(ident, msg.metadata.timestamp)
            return await self._in_thread(self.due.handle, kind, ident)

        return judge

    def _due_target(self, msg: Msg) -> tuple[str, str]:
        prefix = f"{self.names.schedules_prefix}.due."
        kind, _, ident = msg.subject.removeprefix(prefix).partition(".")
        if not msg.subject.startswith(prefix) or not ident:
            raise BadMessage(f"subject {msg.subject!r} is not {prefix}<kind>.<id>")
        try:
            body = orjson.loads(msg.data or b"{}")
        except orjson.JSONDecodeError as e:
            raise BadMessage(f"schedule payload is not JSON: {e}") from None
        if not isinstance(body, dict) or body.get("kind") != kind or body.get("id") != ident:
            raise BadMessage(f"schedule payload does not name {kind}.{ident}")
        return kind, ident

    async def _periodic(self, kind: str, tick: datetime) -> list[Action]:
        period = period_of(kind, tick, self.settings.zone)
        until = min(period.end, tick)
        events = await scan(self.js, self.names, self.decoder, period.start, until)
        threshold = self.settings.low_information
        people = await self._in_thread(activities, events, self.app, threshold, self.settings.actor)
        return list(prompts_for(period, people, threshold))

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    # -- the three steps ----------------------------------------------------------------------

    async def _process(
        self,
        chains: Iterable[list[tuple[Msg, Callable[[], Awaitable[list[Action]]]]]],
        source: str,
    ) -> None:
        """Decide now (in order); act and settle in the background, so the next batch is
        fetched and judged while this one's prompts and schedules are being written."""
        outcomes: list[Outcome] = []
        async with anyio.create_task_group() as group:
            for chain in chains:
                group.start_soon(self._decide_chain, chain, outcomes)
        await self._background.place()  # chained only once in place: what it waits for runs
        ordered = self._order_schedules(outcomes)
        self._background.run(self._finish(outcomes, ordered, source))

    async def _finish(
        self, outcomes: list[Outcome], schedules: list[_Scheduled], source: str
    ) -> None:
        await self._act(outcomes, schedules)
        for outcome in outcomes:
            await self.settler.settle(outcome.msg, outcome.error, source)

    async def drain(self) -> None:
        """Wait for every batch still being acted on (at shutdown, after the last fetch)."""
        await self._background.drain()

    async def _decide_chain(
        self,
        chain: list[tuple[Msg, Callable[[], Awaitable[list[Action]]]]],
        outcomes: list[Outcome],
    ) -> None:
        for msg, judge in chain:
            try:
                outcomes.append(Outcome(msg, await judge()))
            except Exception as e:
                log.debug("judging %s failed", msg.subject, exc_info=True)
                outcomes.append(Outcome(msg, error=e))

    def _order_schedules(self, outcomes: list[Outcome]) -> list[_Scheduled]:
        """The batch's schedule actions, the last per schedule only, each chained behind the
        one a previous batch still has in flight for the same schedule (so a re-schedule or
        a cancel is never overtaken by an older one)."""
        latest: dict[tuple[str, str], tuple[SetSchedule | CancelSchedule, list[Outcome]]] = {}
        for outcome in outcomes:
            if outcome.error is not None:
                continue
            for action in outcome.actions:
                if isinstance(action, SetSchedule | CancelSchedule):
                    key = (action.kind, action.ident)
                    _, waiting = latest.get(key, (action, []))
                    latest[key] = (action, [*waiting, outcome])
        ordered = []
        loop = asyncio.get_running_loop()
        for key, (action, waiting) in latest.items():
            done: asyncio.Future[None] = loop.create_future()
            ordered.append(_Scheduled(action, waiting, self._tails.get(key), done))
            self._tails[key] = done
        return ordered

    async def _act(self, outcomes: list[Outcome], schedules: list[_Scheduled]) -> None:
        prompts = [
            (action, outcome)
            for outcome in outcomes
            if outcome.error is None
            for action in outcome.actions
            if isinstance(action, IssuePrompt)
        ]
        async with anyio.create_task_group() as group:
            for start in range(0, len(prompts), PROMPTS_PER_SAVE):
                group.start_soon(self._issue_for, prompts[start : start + PROMPTS_PER_SAVE])
            if schedules:
                group.start_soon(self._schedule_all, schedules)

    async def _issue_for(self, prompts: list[tuple[IssuePrompt, Outcome]]) -> None:
        try:
            failed = await self._in_thread(self.issuer.issue_all, [p for p, _ in prompts])
        except Exception as e:
            _record([outcome for _, outcome in prompts], e)
            return
        for index, error in failed.items():
            _record([prompts[index][1]], error)

    async def _schedule_all(self, schedules: list[_Scheduled]) -> None:
        """Send the batch's schedule actions in one atomic write, each after the previous
        action on the same schedule (from an earlier batch) is done."""
        try:
            for scheduled in schedules:
                if scheduled.after is not None:
                    await asyncio.shield(scheduled.after)
            try:
                errors = await self.scheduler.apply([s.action for s in schedules])
            except Exception as e:
                errors = dict.fromkeys(range(len(schedules)), e)
            for index, error in errors.items():
                _record(schedules[index].waiting, error)
        finally:
            for scheduled in schedules:
                scheduled.done.set_result(None)
                key = (scheduled.action.kind, scheduled.action.ident)
                if self._tails.get(key) is scheduled.done:
                    del self._tails[key]


@dataclass
class _Scheduled:
    """One schedule action to send once ``after`` (the same schedule's previous one) is done."""

    action: SetSchedule | CancelSchedule
    waiting: list[Outcome]
    after: asyncio.Future[None] | None
    done: asyncio.Future[None]


def _record(outcomes: list[Outcome], error: BaseException) -> None:
    for outcome in outcomes:
        if outcome.error is None:
            outcome.error = error
