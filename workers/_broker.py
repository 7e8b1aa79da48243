"""The FastStream broker of the workers: four durable pull subscribers (ledger events and
schedules for prompts; ledger events and deliveries for webhooks) and the documented
publishers (AsyncAPI: :mod:`workers.asyncapi`).

Both subscribers fetch batches in order (``PullSub(batch=True)``) with manual
acknowledgement: :mod:`workers._consumer` settles each message itself. The ledger stream is
bound with ``JStream(..., declare=False)``: FastStream never touches its configuration (nor
the workers' own streams', created by :mod:`workers._streams`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Annotated, Any

import nats.errors
from faststream import AckPolicy, Context
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.message import NatsBatchMessage
from faststream.nats.subscriber import LogicSubscriber
from nats.aio.client import Client

from ledger.nats._bulk import LazyHeaders
from ledger.nats._client import FastHeadersClient
from ledger.settings import WorkerSettings
from ledger.webhooks import HookNames
from workers._names import Names

__all__ = ["BatchMessage", "build_broker"]

BatchMessage = Annotated[NatsBatchMessage, Context("message")]

LEDGER_DESCRIPTION = (
    "The ledger's events the triggers read, filtered by the server: every event of decisions, "
    "key results and delegations (<prefix>.decision.>, .key_result.>, .delegation.>) and "
    "retro action items added, completed, dropped or carried over (subjects "
    "<prefix>.<kind>.<id>.<type>, headers Koers-Type, "
    "Koers-Schema, Koers-Originator-Id, Koers-Version; payloads validate against "
    "schemas/<Koers-Type>.v<Koers-Schema>.json). Triggers turn decisions, key-result "
    "check-ins, delegations and retro action items into prompts and schedules; a message that "
    "cannot be decoded or fails its schema is retried, then dead-lettered."
)
DUE_DESCRIPTION = (
    "What the schedules fire: due.<kind>.<id> with kind decision_decide_by, decision_review, "
    "kr_check_in, delegation_ack, "
    "delegation_check_in, action_item (payload {kind, id, due, trigger}), or "
    "due.periodic.<weekly|monthly|quarterly> (payload {kind: periodic, id}). The handler "
    "checks the ledger now and prompts only when the reason still holds."
)

PROMPTS_DESCRIPTION = (
    "Each new prompt (<prefix>.prompt.<id>.issued, payload: schemas/prompt.issued.v2.json), "
    "still open when read, becomes one delivery per channel of its person (e-mail, Slack, "
    "Teams): sent now, held back until the person's quiet hours end, or kept for their digest. "
    "The same consumer reads <prefix>.person.*.notifications_set: a person who turned their "
    "digest off has their digest schedule (digest_at.<person id>) cancelled."
)
SEND_DESCRIPTION = (
    "One delivery (<prefix>_notify.send.<delivery id>, header Nats-Msg-Id = the id; payload "
    "{id, channel: email|slack|teams, to, handle, thread, notice: {title, intro, items: "
    "[{text, why, links: [[label, url]]}]}}). The id is a UUID 5 of (item, channel, person). "
    "Claimed in the <STREAM>_DELIVERIES bucket (create-if-absent), sent, marked sent: sent "
    "once; a failed send is retried with backoff without limit. E-mail carries Message-ID "
    "<delivery id@host>."
)
GATHER_DESCRIPTION = (
    "A person's digest is due (<prefix>_notify.gather.<person id>, fired by the cron schedule "
    "on <prefix>_notify.digest_at.<person id>, daily or weekly in their time zone): the items "
    "kept on <prefix>_notify.digest.<person id>.<delivery id> before it are sent as one "
    "message per channel, then removed."
)
TEAM_EVENTS_DESCRIPTION = (
    "The ledger's events again, for the teams' chat channels (koers teams notify), filtered "
    "by the server to <prefix>.decision.*.<opened|made|reviewed|reversed> and "
    "<prefix>.team.*.notifications_set: a decision opened, made, reviewed or reversed "
    "becomes one delivery per Slack/Teams channel of its team (on "
    "<prefix>_notify.send.<delivery id>, as a person's); a team's notifications_set arms or "
    "cancels its digest schedule (digest_at.<team id>, body {team: slug})."
)
TEAM_DUE_DESCRIPTION = (
    "What the schedules fire, again, for the teams' chat channels: a decision review, a retro "
    "action or a key-result check-in that is due (judged as for the prompt) becomes one "
    "delivery per channel of the thing's team, about the thing; prompts themselves are never "
    "posted to a team."
)

SEND_TEXT = "A delivery to send now (Nats-Msg-Id: the delivery id); the payload as 'deliveries'."
LATER_TEXT = (
    "A delivery held back by its person's quiet hours: a message schedule (Nats-Schedule: "
    "@at <end of the quiet hours, UTC>, Nats-Schedule-Target: send.<delivery id>); the "
    "payload as 'deliveries'."
)
DIGEST_TEXT = (
    "A prompt kept for its person's digest (person: the person's id in hex): the "
    "prompt.issued payload with 'prompt' (its id). Removed once gathered."
)
DIGEST_AT_TEXT = (
    "The person's (or team's: body {team: slug}, KOERS_TIMEZONE) digest schedule: a "
    "six-field cron (daily 08:00, weekly Mondays 08:00; "
    "KOERS_NOTIFY_DAILY) in Nats-Schedule-Time-Zone (their zone), targeting gather.<person>."
)
WEBHOOK_EVENTS_DESCRIPTION = (
    "Every event of the ledger again, for the webhooks (a durable consumer of its own): each "
    "event a webhook's owner may read and whose type matches its globs becomes one delivery "
    "on <prefix>_webhooks.send.<delivery id>."
)
DELIVERED_TEXT = (
    "Written once a receiver answered 2xx, create-if-absent (expected subject "
    "sequence 0): empty payload, header Koers-Webhook-Id. A delivery with this record "
    "is never POSTed again."
)
FAILED_TEXT = (
    "A delivery given up after the retry window: the body as it would be POSTed, "
    "headers Koers-Webhook-Id, Koers-Webhook-Owner, Koers-Webhook-Url, "
    "Koers-Attempts, Koers-First-Attempt, Koers-Failed-At, Koers-Last-Error. "
    "`koers webhooks failures` lists them, `koers webhooks replay <id>` sends again."
)
WEBHOOK_SENDS_DESCRIPTION = (
    "One delivery of one event to one webhook (subject <prefix>_webhooks.send.<delivery id>, "
    "or .<n> after it for a replay; header Koers-Webhook-Id). The payload is the JSON body "
    "POSTed to the webhook's URL, with the Standard Webhooks headers webhook-id (the delivery "
    "id), webhook-timestamp and webhook-signature; retried with exponential backoff for "
    "KOERS_WEBHOOK_RETRY_WINDOW, then recorded as failed."
)


#: the workers' connection finds each header when first asked; off: parses them all, as the
#: store's connection does. Off by default with ``_consumer.PROVE_FIRST`` (measured together:
#: no gain shown on the loaded 2-core VM, BENCHMARKS.md "Throughput levers", item 4)
LAZY_HEADERS = False


class LazyHeadersClient(FastHeadersClient):
    """The workers' client: a message's headers are :class:`LazyHeaders`, each found in the
    raw block when first asked. The workers (and FastStream) ask five or six of a ledger
    message's ~16 headers; parsing them all was the costliest step after the signature check
    in a cProfile of the workers (4.6 of 18 s on a 5,100-event backlog)."""

    @staticmethod
    def _parse_header_lines(raw: bytes) -> LazyHeaders:  # type: ignore[override]
        return LazyHeaders(b"\r\n" + raw)  # the block after ``NATS/1.0``, as LazyHeaders reads


class _Broker(NatsBroker):
    """FastStream's broker on the store's nats-py client subclass, whose header parser is
    ~4x faster (every ledger message carries a dozen headers; see ``ledger.nats._client``),
    signed in as the store's connection is (``login``: nats-py's connect options)."""

    def __init__(self, *args: Any, login: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._login = login

    async def _connect(self) -> Client:
        connection = LazyHeadersClient() if LAZY_HEADERS else FastHeadersClient()
        await connection.connect(**{**self._connection_kwargs, **self._login})
        self.config.connect(connection)
        return connection


def build_broker(
    settings: WorkerSettings,
    names: Names,
    url: str,
    worker: Any,
    login: dict[str, Any] | None = None,
) -> NatsBroker:
    """The broker, its two subscribers and its (documented) publishers.

    ``worker`` receives the batches (:class:`Worker`); :mod:`workers.asyncapi` passes a
    stand-in to document the subjects without connecting. ``login``: who to sign in as.
    """
    broker = _Broker(
        url.split(","),
        login=login or {},
        name=f"koers-workers-{settings.name}",
        max_reconnect_attempts=-1,  # for ever, every 0.1 s: koers serve restarts the server
        reconnect_time_wait=0.1,  # nats-py types it int; it sleeps it
        graceful_timeout=15.0,
        logger=logging.getLogger("workers.faststream"),
        log_level=logging.DEBUG,
        description="Koers reflection workers: prompts from the ledger's events and schedules",
    )
    ledger = JStream(names.stream, declare=False)
    schedules = JStream(names.schedules_stream, declare=False)
    dlq = JStream(names.dlq_stream, declare=False)
    framework_log = logging.getLogger("workers.faststream")
    if framework_log.level == logging.NOTSET:  # its per-task chatter is noise at INFO
        framework_log.setLevel(logging.WARNING)

    @_batch_subscriber(
        broker,
        names.ledger_filter,
        stream=ledger,
        durable=names.ledger_durable,
        pull_sub=PullSub(batch_size=settings.batch_size, timeout=settings.fetch_wait, batch=True),
        title="ledger events",
        description=LEDGER_DESCRIPTION,
    )
    async def on_ledger(message: BatchMessage) -> None:
        await worker.on_ledger(message)

    @_batch_subscriber(
        broker,
        names.due_filter,
        stream=schedules,
        durable=names.schedules_durable,
        pull_sub=PullSub(batch_size=16, timeout=settings.fetch_wait, batch=True),
        title="schedules due",
        description=DUE_DESCRIPTION,
    )
    async def on_due(message: BatchMessage) -> None:
        await worker.on_due(message)

    notify = _notification_subscribers(broker, settings, names, worker, ledger=ledger,
                                        schedules=schedules)  # fmt: skip
    worker.publishers = {
        **notify,
        "schedules": broker.publisher(
            names.schedule_subject("{kind}", "{id}"),
            stream=schedules,
            title="schedules set",
            description=(
                "One NATS message schedule per subject (headers Nats-Schedule: @at <UTC time> or "
                "a six-field cron, Nats-Schedule-Target: the matching due subject, "
                "Nats-Schedule-TTL); publishing again re-schedules, purging the subject cancels."
            ),
        ),
        "dlq": broker.publisher(
            f"{names.dlq_prefix}.{{stream}}.{{sequence}}",
            stream=dlq,
            title="dead letters",
            description=(
                "A message that could not be processed: its payload unchanged, its headers as "
                "Original-<name>, and Koers-Dlq-Reason, -Stream, -Sequence, -Subject, "
                "-Consumer, -Deliveries, -Size, -Stored, -At. One per message (the subject "
                "must be empty to publish). `koers deadletters` lists them."
            ),
        ),
    }
    _webhook_subscribers(broker, settings, names, worker, ledger)
    return broker


def _notification_subscribers(
    broker: NatsBroker,
    settings: WorkerSettings,
    names: Names,
    worker: Any,
    *,
    ledger: JStream,
    schedules: JStream,
) -> dict[str, Any]:
    """The five consumers of notifications (:mod:`workers._notifier`,
    :mod:`workers._teamchan`) and the documented publishers of the outbox
    (:mod:`workers._outbox` publishes through nats-py)."""
    outbox = JStream(names.notify_stream, declare=False)
    publishers = _publishers(broker, outbox, (
        ("deliveries held back", names.notify_subject("later", "{delivery}"), LATER_TEXT),
        ("digest items", names.notify_subject("digest", "{person}", "{delivery}"), DIGEST_TEXT),
        ("digest schedules", names.notify_subject("digest_at", "{person}"), DIGEST_AT_TEXT),
        ("deliveries to send", names.notify_subject("send", "{delivery}"), SEND_TEXT),
    ))  # fmt: skip
    _subscribe_batches(broker, settings, worker, (
        (names.prompts_filter, ledger, names.notify_durable, 64, "prompts to tell",
         PROMPTS_DESCRIPTION, "on_prompts"),
        (names.notify_subject("send", "*"), outbox, names.send_durable, 64, "deliveries",
         SEND_DESCRIPTION, "on_deliveries"),
        (names.notify_subject("gather", "*"), outbox, names.gather_durable, 8, "digests due",
         GATHER_DESCRIPTION, "on_digests"),
        (names.ledger_filter, ledger, names.teams_durable, 64, "team news",
         TEAM_EVENTS_DESCRIPTION, "on_team_events"),
        (names.due_filter, schedules, names.teams_due_durable, 16, "team items due",
         TEAM_DUE_DESCRIPTION, "on_team_due"),
    ))  # fmt: skip
    return publishers


def _webhook_subscribers(
    broker: NatsBroker, settings: WorkerSettings, names: Names, worker: Any, ledger: JStream
) -> None:
    """The webhooks' two subscribers (:mod:`workers._fanout`, :mod:`workers._sender`) and
    their documented records."""
    hooks = HookNames(names.stream, names.prefix)
    stream = JStream(hooks.hooks_stream, declare=False)
    web = settings.webhooks

    _subscribe_batches(broker, settings, worker, (
        (names.ledger_filter, ledger, hooks.fanout_durable, web.batch_size,
         "ledger events for webhooks", WEBHOOK_EVENTS_DESCRIPTION, "on_webhook_events"),
        (hooks.send_filter, stream, hooks.send_durable, web.concurrency,
         "webhook deliveries", WEBHOOK_SENDS_DESCRIPTION, "on_webhook_sends"),
    ))  # fmt: skip
    worker.publishers.update(_publishers(broker, stream, (
        ("webhook delivered", hooks.done_subject("{delivery}"), DELIVERED_TEXT),
        ("webhook failed", hooks.failed_subject("{delivery}"), FAILED_TEXT),
    )))  # fmt: skip


#: A batch consumer: subject, stream, durable name, batch size, title and description (in
#: the AsyncAPI document), and the worker's method that takes its batches.
Consumer = tuple[str, JStream, str, int, str, str, str]


def _subscribe_batches(
    broker: NatsBroker, settings: WorkerSettings, worker: Any, consumers: Iterable[Consumer]
) -> None:
    """Hand each consumer's batches to ``worker.<method>``."""
    for subject, stream, durable, size, title, description, method in consumers:
        pull = PullSub(batch_size=size, timeout=settings.fetch_wait, batch=True)
        subscriber = _batch_subscriber(broker, subject, stream=stream, durable=durable,
                                       pull_sub=pull, title=title,
                                       description=description)  # fmt: skip
        subscriber(_handing_to(worker, method))


def _publishers(
    broker: NatsBroker, stream: JStream, rows: Iterable[tuple[str, str, str]]
) -> dict[str, Any]:
    """A documented publisher, by title, for each (title, subject, description)."""
    return {
        title: broker.publisher(subject, stream=stream, title=title, description=text)
        for title, subject, text in rows
    }


def _handing_to(worker: Any, method: str) -> Any:
    """A handler passing each batch to ``worker.<method>``."""

    async def handle(message: BatchMessage) -> None:
        await getattr(worker, method)(message)

    return handle


def _batch_subscriber(
    broker: NatsBroker,
    subject: str,
    *,
    stream: JStream,
    durable: str,
    pull_sub: PullSub,
    title: str,
    description: str,
) -> LogicSubscriber[Any]:
    """A durable pull subscriber on ``subject`` as both of ours are: batches in order, raw
    messages (:func:`_undecoded`), settled by the handler (manual acks), and patched by
    :func:`_keep_fetched_messages`."""
    subscriber = broker.subscriber(
        subject,
        stream=stream,
        durable=durable,
        pull_sub=pull_sub,
        ack_policy=AckPolicy.MANUAL,
        decoder=_undecoded,
        title=title,
        description=description,
    )
    _keep_fetched_messages(subscriber)
    return subscriber


async def _undecoded(message: Any) -> None:
    """The handlers read the raw messages (``workers._decode`` checks them, bad ones too):
    FastStream's default would JSON-decode every body of every batch first, for nothing."""
    return None


def _keep_fetched_messages(subscriber: Any) -> None:
    """Work around a FastStream 0.7.8 / nats-py 2.16 mismatch that loses fetched messages.

    FastStream's batch loop fetches until the batch is full or its time is up, and stops on
    ``nats.errors.TimeoutError``; nats-py's ``fetch`` can also raise the built-in
    ``TimeoutError``. That one escapes the loop, the messages fetched so far are dropped
    unacknowledged (redelivered only after ``ack_wait``), and the task is restarted. Raising
    nats' own subclass instead keeps them (every ``except TimeoutError`` still catches it).
    The subscription is patched as it is created, before the consuming task first fetches.
    """
    create = subscriber._create_subscription

    async def create_subscription() -> None:
        await create()
        subscription = subscriber.subscription
        fetch = subscription.fetch

        async def fetch_keeping(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fetch(*args, **kwargs)
            except nats.errors.TimeoutError:
                raise
            except TimeoutError as e:
                raise nats.errors.TimeoutError from e

        subscription.fetch = fetch_keeping

    subscriber._create_subscription = create_subscription
