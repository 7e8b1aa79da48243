"""The notification outbox: the stream of deliveries, the claims bucket, and their consumers.

A **delivery** is one message to one person on one channel about one thing (a prompt, or a
digest). Its id is derived from what it delivers (:func:`delivery_id`): the same prompt, the
same channel, the same person give the same id, however often the workers see the prompt.

- ``<STREAM>_NOTIFY`` holds the deliveries (``send.<id>``, published with ``Nats-Msg-Id``
  = the id), those held back by quiet hours (``later.<id>``: a message schedule that puts the
  delivery on ``send.<id>`` when the hours end), the items waiting for a person's digest
  (``digest.<person>.<id>``), the digest schedules (``digest_at.<person>``, a cron in the
  person's time zone) and what they fire (``gather.<person>``). Schedules need
  ``allow_msg_schedules``: hence a stream of its own, never the ledger's. Messages expire
  after :data:`KEEP` (a weekly digest's items are gathered well before).
- ``<STREAM>_DELIVERIES`` (a key-value bucket) holds one claim per delivery id:
  ``sending`` (who, since when) or ``sent``. :mod:`workers._claims` says how it makes a
  delivery go out once.
- Consumers: ``<name>-notify`` reads ``prompt.*.issued`` from the ledger (from its start:
  prompts already answered or dismissed are not sent) and ``person.*.notifications_set`` (a
  digest turned off cancels the person's digest schedule), ``<name>-send`` the deliveries
  (redelivered without limit: a failing server means retries, never loss), ``<name>-gather``
  the digest triggers; ``<name>-teams`` (the ledger) and ``<name>-teams-due`` (the schedules
  fired) what a team's chat channels are told of (:mod:`workers._teamchan`; on the ledger
  the server passes it only the events it posts about).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from nats.js import JetStreamContext, api
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from ledger.domain._base import NAMESPACE
from ledger.settings import WorkerSettings
from ledger.webhooks import SideStream
from workers._names import Names
from workers._notices import Item, Notice
from workers._scheduler import H_SCHEDULE, H_TARGET, H_TTL, H_ZONE, at_header

__all__ = ["KEEP", "Delivery", "Outbox", "delivery_id", "ensure_outbox"]

KEEP = timedelta(days=35)
PUBLISH_TIMEOUT = 5.0


def delivery_id(item: str, channel: str, handle: str) -> str:
    """The id of delivering ``item`` (``prompt:<id>``, ``digest:<…>``) on ``channel`` to
    ``handle``: the same inputs, the same id (UUID 5)."""
    return str(uuid.uuid5(NAMESPACE, f"delivery/{item}/{channel}/{handle}"))


@dataclass(frozen=True)
class Delivery:
    """One message to send: the channel (``email``, ``slack``, ``teams``), where to (an
    address or a webhook URL), for whom, about what (``thread``: the item, for e-mail
    threading), and the notice itself."""

    id: str
    channel: str
    to: str
    handle: str
    thread: str
    notice: Notice

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, data: bytes) -> Delivery:
        raw: dict[str, Any] = orjson.loads(data)
        notice = raw.pop("notice")
        items = tuple(
            Item(i["text"], i["why"], tuple((label, url) for label, url in i["links"]))
            for i in notice["items"]
        )
        return cls(**raw, notice=Notice(notice["title"], notice["intro"], items))


#: Schedules require the discard policy OLD; no size limit: only an age limit (``KEEP``).
NOTIFY_STREAM = SideStream(
    "Koers notifications: deliveries to send, held back, and gathered",
    api.DiscardPolicy.OLD,
    schedules=True,
)


def _consumer(
    durable: str, subject: str | list[str], ack_wait: float, **more: Any
) -> api.ConsumerConfig:
    """A durable consumer of ``subject`` (several subjects: a list)."""
    several = subject if isinstance(subject, list) else None
    return api.ConsumerConfig(
        durable_name=durable,
        description="Koers notifications",
        filter_subject=subject if isinstance(subject, str) else None,
        filter_subjects=several,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_ack_pending=1000,
        replay_policy=api.ReplayPolicy.INSTANT,
        **more,
    )


async def ensure_outbox(
    js: JetStreamContext, names: Names, settings: WorkerSettings, replicas: int = 1
) -> KeyValue:
    """Create the stream, the bucket and the five consumers (idempotent); the bucket."""
    config = NOTIFY_STREAM.config(
        names.notify_stream, names.notify_prefix, replicas, KEEP.total_seconds()
    )
    try:
        await js.stream_info(names.notify_stream)
    except NotFoundError:
        await js.add_stream(config)
    try:
        kv = await js.key_value(names.deliveries_bucket)
    except BucketNotFoundError:
        kv = await js.create_key_value(
            bucket=names.deliveries_bucket,
            description="Koers notifications: one claim per delivery (sending, sent)",
            history=1,
            direct=True,  # reads by direct get (any replica), as the workers' other streams
            ttl=(KEEP + timedelta(days=5)).total_seconds(),
            replicas=replicas,
        )
    lease = settings.notify.lease
    await js.add_consumer(
        names.stream,
        _consumer(names.notify_durable, names.notify_filters, settings.ack_wait,
                  max_deliver=settings.max_deliver),
    )  # fmt: skip
    await js.add_consumer(  # a send outlives a worker's death: redelivered without limit
        names.notify_stream,
        _consumer(names.send_durable, names.notify_subject("send", "*"), lease, max_deliver=-1),
    )
    await js.add_consumer(
        names.notify_stream,
        _consumer(names.gather_durable, names.notify_subject("gather", "*"), settings.ack_wait,
                  max_deliver=-1),
    )  # fmt: skip
    teams: list[tuple[str, str, str | list[str]]] = [
        (names.stream, names.teams_durable, names.team_events_filters),
        (names.schedules_stream, names.teams_due_durable, names.due_filter),
    ]
    for stream, durable, subject in teams:  # what a team's channels are told of
        await js.add_consumer(stream, _consumer(durable, subject, settings.ack_wait,
                                                max_deliver=-1))  # fmt: skip
    return kv


class Outbox:
    """Publishing deliveries: now, later (quiet hours), or into a digest."""

    def __init__(self, js: JetStreamContext, names: Names) -> None:
        self.js = js
        self.names = names
        self._digest_schedules: dict[str, str] = {}

    async def now(self, delivery: Delivery) -> None:
        await self._publish(self.names.notify_subject("send", delivery.id), delivery.encode(),
                            {"Nats-Msg-Id": delivery.id})  # fmt: skip

    async def later(self, delivery: Delivery, at: datetime) -> None:
        """Send when ``at`` comes (the end of quiet hours): a schedule on ``later.<id>``
        (one subject per delivery: publishing it again replaces it, nothing doubles)."""
        headers = {
            H_SCHEDULE: at_header(at),
            H_TARGET: self.names.notify_subject("send", delivery.id),
            H_TTL: "720h",
            "Nats-Msg-Id": f"later-{delivery.id}",
        }
        await self._publish(self.names.notify_subject("later", delivery.id), delivery.encode(),
                            headers)  # fmt: skip

    async def into_digest(self, person: str, item_id: str, body: dict[str, Any]) -> None:
        """Keep an item for ``person``'s next digest (``person``: their id, a subject token)."""
        subject = self.names.notify_subject("digest", person, item_id)
        await self._publish(subject, orjson.dumps(body), {"Nats-Msg-Id": f"digest-{item_id}"})

    async def digest_schedule(self, token: str, cron: str, zone: str, body: dict[str, str],
                              *, cached: bool = True) -> None:  # fmt: skip
        """Make (or change) the cron schedule that fires ``gather.<token>`` (a person's id,
        or a team's) with ``body``; left alone when this worker set the same one already
        (unless not ``cached``: another worker may have cancelled it since)."""
        wanted = f"{cron}|{zone}"
        subject = self.names.notify_subject("digest_at", token)
        if cached and self._digest_schedules.get(token) == wanted and await self._holds(subject):
            return
        headers = {
            H_SCHEDULE: cron,
            H_ZONE: zone,
            H_TARGET: self.names.notify_subject("gather", token),
            H_TTL: "720h",
        }  # a new schedule on the subject replaces the one before it
        await self._publish(subject, orjson.dumps(body), headers)
        self._digest_schedules[token] = wanted

    async def _holds(self, subject: str) -> bool:
        """Whether ``subject`` holds a message (a schedule this worker set may have been
        cancelled by another worker since: a person's digest turned off)."""
        try:
            await self.js.get_last_msg(self.names.notify_stream, subject)
        except NotFoundError:
            return False
        return True

    async def no_digest(self, token: str) -> None:
        """Cancel ``token``'s digest schedule (purging its subject), if there is one."""
        self._digest_schedules.pop(token, None)
        subject = self.names.notify_subject("digest_at", token)
        await self.js.purge_stream(self.names.notify_stream, subject=subject)

    async def _publish(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        await self.js.publish(subject, data, timeout=PUBLISH_TIMEOUT,
                              stream=self.names.notify_stream, headers=headers)  # fmt: skip

    async def waiting(self, person: str, until: int) -> list[tuple[int, dict[str, Any]]]:
        """The digest items kept for ``person`` up to stream sequence ``until``, oldest
        first, with their sequences."""
        subject = self.names.notify_subject("digest", person, "*")
        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.ALL,
                                    ack_policy=api.AckPolicy.NONE, inactive_threshold=60.0,
                                    mem_storage=True)  # fmt: skip
        sub = await self.js.pull_subscribe(subject, stream=self.names.notify_stream,
                                           config=config)  # fmt: skip
        items: list[tuple[int, dict[str, Any]]] = []
        try:
            while True:
                try:
                    batch = await sub.fetch(500, timeout=0.5)
                except TimeoutError:
                    break
                for msg in batch:
                    seq = msg.metadata.sequence.stream
                    if seq <= until:
                        items.append((seq, orjson.loads(msg.data)))
                if (
                    batch[-1].metadata.num_pending == 0
                    or batch[-1].metadata.sequence.stream > until
                ):
                    break
        finally:
            await sub.unsubscribe()
        return items

    async def gathered(self, person: str, through: int) -> None:
        """Remove ``person``'s digest items up to sequence ``through`` (they were sent)."""
        subject = self.names.notify_subject("digest", person, "*")
        await self.js.purge_stream(self.names.notify_stream, subject=subject, seq=through + 1)
