"""Server-side schedules (NATS message schedules, ADR-51) in the workers' schedules stream.

- A schedule is one message on ``<prefix>_schedules.set.<kind>.<ident>`` with
  ``Nats-Schedule: @at <due>``, targeting ``…due.<kind>.<ident>``. One subject per schedule:
  a new schedule message replaces the one before it (re-scheduling). Due times are rounded
  *up* to the second (the server's resolution): never early.
- Cancelling publishes a tombstone on the subject: no schedule, ``Nats-Rollup: sub`` (it
  removes the pending schedule) and ``Nats-TTL`` (it removes itself after an hour). Unlike a
  purge, a tombstone is a message, so every set and cancel of a batch goes out as one ADR-50
  atomic batch: one write, one fsync (:meth:`Scheduler.apply`). Should the server refuse the
  batch, each action is sent on its own, so one bad action fails alone.
- ``ensure_cron(kind, cron)`` keeps one cron schedule per periodic prompt on
  ``…set.periodic.<kind>`` (left alone when unchanged, so restarts and replicas do not
  disturb it), targeting ``…due.periodic.<kind>``; ``None`` removes it.
- Fired messages carry ``Nats-TTL`` (``schedule_ttl``): they expire once long processed.

Schedules survive restarts of the server (file storage) and of the workers (the server fires
them; a fired message waits in the stream for the durable consumer).

A due time more than :data:`HORIZON` ahead is never sent: the server fires an ``@at`` beyond
April 2262 at once (its nanosecond clock overflows), and the due handler, finding the reason
not yet due, re-armed it: one schedule fired four times a second for ever (issue 11, from a
review date 9999-12-31). The domain keeps dates within ``YEARS_AHEAD`` years, so such a time
comes only from an event no command accepts: :class:`Unschedulable`, which the settler sets
aside once (a dead letter with the reason), never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from ledger.domain import YEARS_AHEAD
from workers._actions import CancelSchedule, SetSchedule
from workers._batch import Message, publish_batch
from workers._decode import BadMessage
from workers._names import Names

__all__ = ["HORIZON", "Scheduler", "Unschedulable", "at_header", "unschedulable"]

H_SCHEDULE = "Nats-Schedule"
H_TARGET = "Nats-Schedule-Target"
H_TTL = "Nats-Schedule-TTL"
H_ZONE = "Nats-Schedule-Time-Zone"
TOMBSTONE = {"Nats-Rollup": "sub", "Nats-TTL": "1h"}
PER_BATCH = 500  # below the server's default limit of 1,000 messages per atomic batch
TIMEOUT = 5.0
#: The furthest ahead a schedule is made: the domain's limit, and a year to spare.
HORIZON = timedelta(days=366 * (YEARS_AHEAD + 1))


class Unschedulable(BadMessage):
    """A schedule that cannot be made: set aside once with this reason, never retried."""


def at_header(due: datetime) -> str:
    """``@at <RFC 3339 UTC>``, rounded up to the whole second."""
    moment = due.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return "@at " + moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def unschedulable(action: SetSchedule | CancelSchedule) -> Unschedulable | None:
    """Why ``action`` cannot be sent (a due time beyond :data:`HORIZON`), if it cannot."""
    if isinstance(action, CancelSchedule) or action.due - datetime.now(UTC) <= HORIZON:
        return None
    return Unschedulable(
        f"the {action.kind} schedule of {action.ident} would be due "
        f"{action.due.astimezone(UTC).isoformat()}, more than {YEARS_AHEAD + 1} years ahead: "
        f"no command accepts such a date (the domain allows {YEARS_AHEAD} years), so it is "
        f"set aside, not scheduled"
    )


class Scheduler:
    def __init__(self, nc: Client, names: Names, ttl: str) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream(timeout=TIMEOUT)
        self.names = names
        self.ttl = ttl

    def message(self, action: SetSchedule | CancelSchedule) -> Message:
        """The message that sets or cancels a schedule; :class:`Unschedulable` for a due
        time beyond :data:`HORIZON`."""
        subject = self.names.schedule_subject(action.kind, action.ident)
        if isinstance(action, CancelSchedule):
            return subject, b"", dict(TOMBSTONE)
        refused = unschedulable(action)
        if refused is not None:
            raise refused
        payload = {
            "kind": action.kind,
            "id": action.ident,
            "due": action.due.astimezone(UTC).isoformat(),
            **action.body,
        }
        headers = {
            H_SCHEDULE: at_header(action.due),
            H_TARGET: self.names.due_subject(action.kind, action.ident),
            H_TTL: self.ttl,
        }
        return subject, orjson.dumps(payload), headers

    async def apply(
        self, actions: Sequence[SetSchedule | CancelSchedule]
    ) -> dict[int, BaseException]:
        """Send every action (one per schedule); the errors, by index, of those that failed."""
        errors: dict[int, BaseException] = {}
        for index, action in enumerate(actions):
            refused = unschedulable(action)
            if refused is not None:
                errors[index] = refused
        ready = [(i, self.message(a)) for i, a in enumerate(actions) if i not in errors]
        for start in range(0, len(ready), PER_BATCH):
            chunk = ready[start : start + PER_BATCH]
            try:
                await publish_batch(self.nc, [message for _, message in chunk], TIMEOUT)
            except Exception:
                for index, message in chunk:
                    try:
                        await self._one(message)
                    except Exception as e:
                        errors[index] = e
        return errors

    async def _one(self, message: Message) -> None:
        subject, payload, headers = message
        await self.js.publish(
            subject, payload, timeout=TIMEOUT, stream=self.names.schedules_stream, headers=headers
        )

    async def ensure_cron(self, kind: str, cron: str | None, zone: str) -> None:
        subject = self.names.schedule_subject("periodic", kind)
        wanted = {
            H_SCHEDULE: cron or "",
            H_TARGET: self.names.due_subject("periodic", kind),
            H_ZONE: zone,
        }
        try:
            last = await self.js.get_last_msg(self.names.schedules_stream, subject)
            current = dict(last.headers or {})
        except NotFoundError:
            current = {}
        if cron is None:
            if H_SCHEDULE in current:
                await self.js.purge_stream(self.names.schedules_stream, subject=subject)
            return
        if all(current.get(k) == v for k, v in wanted.items()):
            return
        payload = orjson.dumps({"kind": "periodic", "id": kind})
        await self.js.publish(
            subject,
            payload,
            timeout=TIMEOUT,
            stream=self.names.schedules_stream,
            headers={**wanted, H_TTL: self.ttl},
        )
