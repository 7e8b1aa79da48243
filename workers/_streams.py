"""Creating the workers' own streams and their durable consumers (idempotent, at start-up).

The ledger stream is only *read*: FastStream binds to it with ``JStream(..., declare=False)``
and to consumers created here, so neither its configuration nor ours is ever rewritten by a
framework default. Consumers are created or updated to the configuration below on every start
(the server applies changes to ``ack_wait``, ``max_deliver`` and ``max_ack_pending`` in place).

- ``<STREAM>_SCHEDULES`` allows message schedules, per-message TTLs (fired messages expire
  after ``schedule_ttl``) and atomic batches (a batch's schedule changes are one write).
  Schedules force roll-ups on and purges allowed: that is why they are never enabled on the
  ledger stream.
- ``<STREAM>_DLQ`` keeps dead letters until someone purges them; it refuses new ones when full
  (nothing is dropped silently).
- ``<STREAM>_WEBHOOKS`` holds webhook deliveries and their records
  (:mod:`ledger.webhooks._records`) for ``KOERS_WEBHOOK_KEEP``.

The webhooks have two durable consumers, shared by every worker whatever its name (another
name must not send every delivery again): ``koers-webhooks`` on the ledger (the fan-out) and
``koers-webhook-sends`` on the deliveries. The senders' ``ack_wait`` outlasts a POST (three
times ``KOERS_WEBHOOK_TIMEOUT``, at least 5 s) and their deliveries are never given up by
the server (``max_deliver`` unlimited): the retry window decides when to stop.
"""

from __future__ import annotations

from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError

from ledger.settings import WorkerSettings
from ledger.webhooks import HookNames, SideStream, hooks_config
from workers._names import Names
from workers._states import TRACKED_KINDS
from workers._triggers import Triggers

__all__ = ["consumer_config", "ensure_consumers", "ensure_streams", "hook_names", "ledger_filters"]


def hook_names(names: Names) -> HookNames:
    """The webhooks' names for the workers of ``names``."""
    return HookNames(names.stream, names.prefix)


#: Schedules force roll-ups on and purges allowed; a batch's schedule changes are one write.
SCHEDULES_STREAM = SideStream(
    "Koers reflection workers: schedules (set.>) and what they fire (due.>)",
    api.DiscardPolicy.OLD,
    atomic=True,
    schedules=True,
)
#: Full: new dead letters are refused (nothing is dropped silently).
DLQ_STREAM = SideStream(
    "Koers reflection workers: messages that could not be processed, with why",
    api.DiscardPolicy.NEW,
)


async def ensure_streams(
    js: JetStreamContext, names: Names, replicas: int = 1, keep: float = 30 * 86400.0
) -> None:
    """Create the schedules, dead-letter and webhook streams when missing (existing ones are
    kept)."""
    configs = (
        SCHEDULES_STREAM.config(names.schedules_stream, names.schedules_prefix, replicas),
        DLQ_STREAM.config(names.dlq_stream, names.dlq_prefix, replicas),
        hooks_config(hook_names(names), replicas, keep),
    )
    for config in configs:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)


def consumer_config(durable: str, subject: str, settings: WorkerSettings) -> api.ConsumerConfig:
    """A durable pull consumer from the start of the stream, explicit acks, bounded redelivery."""
    return api.ConsumerConfig(
        durable_name=durable,
        description="Koers reflection workers (prompts, schedules, dead letters)",
        filter_subject=subject,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=settings.max_deliver,
        max_ack_pending=max(1000, settings.batch_size * 8),
        replay_policy=api.ReplayPolicy.INSTANT,
    )


def ledger_filters(names: Names, settings: WorkerSettings) -> list[str]:
    """What the prompts' consumer is passed of the ledger: every event of the kinds whose
    states it keeps, and the other types a trigger acts on. The server leaves the rest out
    (most events: an objective set, a person added), which otherwise each came to be read
    and acknowledged unread."""
    kinds = sorted(TRACKED_KINDS)
    others = sorted(t for t in Triggers(settings).types() if t.split(".")[0] not in kinds)
    return [f"{names.prefix}.{kind}.>" for kind in kinds] + [
        f"{names.prefix}.{kind}.*.{type_}" for kind, type_ in (t.split(".") for t in others)
    ]


async def ensure_consumers(js: JetStreamContext, names: Names, settings: WorkerSettings) -> None:
    """Create (or update) the durable consumers."""
    ledger = consumer_config(names.ledger_durable, names.ledger_filter, settings)
    ledger.filter_subject, ledger.filter_subjects = None, ledger_filters(names, settings)
    await js.add_consumer(names.stream, ledger)
    await js.add_consumer(
        names.schedules_stream,
        consumer_config(names.schedules_durable, names.due_filter, settings),
    )
    hooks = hook_names(names)
    fanout = consumer_config(hooks.fanout_durable, names.ledger_filter, settings)
    fanout.description = "Koers webhooks: the fan-out of ledger events to webhooks"
    await js.add_consumer(names.stream, fanout)
    web = settings.webhooks
    sends = consumer_config(hooks.send_durable, hooks.send_filter, settings)
    sends.description = "Koers webhooks: deliveries to POST"
    sends.ack_wait = web.ack_wait
    sends.max_deliver = -1
    sends.max_ack_pending = max(1000, web.concurrency * 8)
    await js.add_consumer(hooks.hooks_stream, sends)
