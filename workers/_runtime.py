"""One worker and its lifecycle: the Koers application, the broker, the streams and
consumers, the periodic schedules, the lag poller and the metrics endpoint.

- the ledger stream, durable ``<name>-ledger`` (filtered to the events triggers read:
  :func:`workers._streams.ledger_filters`), batches of ``KOERS_WORKER_BATCH`` fetched in
  order and settled one by one;
- ``<prefix>_schedules.due.>`` on the schedules stream, durable ``<name>-schedules``;
- the webhooks: ``<prefix>.>`` again, durable ``koers-webhooks`` (:mod:`workers._fanout`),
  and ``<prefix>_webhooks.send.>``, durable ``koers-webhook-sends`` (:mod:`workers._sender`),
  shared by workers of every name (a second name must not send everything again).

Several workers (threads or processes) with the same name share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

import anyio.to_thread
from faststream.nats import NatsBroker
from faststream.nats.message import NatsBatchMessage
from faststream.nats.publisher.usecase import LogicPublisher
from nats.js import JetStreamContext
from prometheus_client import start_http_server

from ledger.application import Koers
from ledger.nats.factory import NATSFactory
from ledger.settings import PERIODIC_KINDS, ROLE_KEY, WorkerSettings
from workers._broker import build_broker
from workers._claims import Claims
from workers._consumer import Processor
from workers._deadletter import Publish
from workers._decode import Decoder
from workers._fanout import Fanout
from workers._hooks import HookContext, Registry
from workers._metrics import Metrics, poll_lag
from workers._names import Names
from workers._notifier import Notifier
from workers._outbox import Outbox, ensure_outbox
from workers._scheduler import Scheduler
from workers._sender import Sender
from workers._senders import Mailer, Senders
from workers._streams import ensure_consumers, ensure_streams, hook_names
from workers._teamchan import TeamPosts

__all__ = ["Worker"]

log = logging.getLogger("workers")
HEADER_ALLOWANCE = 1024  # as the store: an event may use max_payload less this
PUBLISH_TIMEOUT = 5.0


def _hands_to(part: str, method: str) -> Callable[[Any, NatsBatchMessage], Awaitable[None]]:
    """What a subscriber calls on the worker: it hands the batch's messages to
    ``<part>.<method>`` (a part :meth:`Worker.start` made; a dotted part such as
    ``notifier.teams`` names a part of a part)."""

    async def hand(worker: Any, batch: NatsBatchMessage) -> None:
        target = worker
        for name in part.split("."):
            target = getattr(target, name)
            assert target is not None, f"the worker's {part} is not started"
        await getattr(target, method)(batch.raw_message)

    return hand


class Worker:
    """The reflection workers of one event loop (see :mod:`workers.run` for a thread)."""

    def __init__(self, settings: WorkerSettings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.names = Names.of(settings)
        self.metrics = metrics or Metrics()
        self.app: Koers | None = None
        self.broker: NatsBroker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._http: Any = None
        self.processor: Processor | None = None
        self.notifier: Notifier | None = None
        self.fanout: Fanout | None = None
        self.sender: Sender | None = None
        self.publishers: dict[str, LogicPublisher] = {}

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        settings, names = self.settings, self.names
        # The workers sign in to the embedded server as its ``workers`` user.
        env = {**settings.store_env, ROLE_KEY: "workers"}
        self.app = app = await anyio.to_thread.run_sync(lambda: Koers(env=env))
        factory = cast(NATSFactory, app.factory)
        connection = factory.connection
        self.broker = broker = build_broker(
            settings, names, connection.url, self, connection.login.options()
        )
        await broker.connect()
        nc = broker.connection
        js = nc.jetstream(timeout=PUBLISH_TIMEOUT)
        await ensure_streams(js, names, factory.settings.replicas, settings.webhooks.keep)
        await ensure_consumers(js, names, settings)
        scheduler = Scheduler(nc, names, settings.schedule_ttl)
        decoder = Decoder(
            settings.subject_prefix, nc.max_payload - HEADER_ALLOWANCE, factory.signatures
        )
        self.notifier = await self._notifier(js, app, decoder, factory.settings.replicas)
        await self._webhooks(app, js, decoder)
        self.processor = Processor(
            app=app,
            js=js,
            settings=settings,
            names=names,
            decoder=decoder,
            scheduler=scheduler,
            metrics=self.metrics,
            publish_dead_letter=self._dead_letters(js),
        )
        for kind in PERIODIC_KINDS:
            await scheduler.ensure_cron(kind, settings.crons.get(kind), settings.timezone)
        await broker.start()
        hooks = hook_names(names)
        consumers = [
            (names.stream, names.ledger_durable),
            (names.schedules_stream, names.schedules_durable),
            (names.stream, hooks.fanout_durable),
            (hooks.hooks_stream, hooks.send_durable),
        ]
        self._tasks.append(
            asyncio.create_task(
                poll_lag(
                    js,
                    consumers,
                    self.metrics,
                    settings.lag_interval,
                    lambda: ensure_consumers(js, names, settings),
                )
            )
        )
        if settings.metrics_port is not None:
            self._http, _ = start_http_server(
                settings.metrics_port, addr="127.0.0.1", registry=self.metrics.registry
            )

    async def _notifier(
        self, js: JetStreamContext, app: Koers, decoder: Decoder, replicas: int
    ) -> Notifier:
        notify = self.settings.notify
        kv = await ensure_outbox(js, self.names, self.settings, replicas)
        host = urlsplit(notify.public_url).hostname or "koers.localhost"
        mailer = Mailer(notify.smtp_url, notify.mail_from, host) if notify.smtp_url else None
        owner = f"{self.settings.name}/{uuid.uuid4().hex[:12]}"
        outbox = Outbox(js, self.names)
        notifier = Notifier(
            app=app, settings=self.settings, decoder=decoder,
            outbox=outbox, claims=Claims(kv, owner, notify.lease),
            senders=Senders(mailer, allow_private=self.settings.webhooks.allow_private),
            metrics=self.metrics,
        )  # fmt: skip
        notifier.teams = TeamPosts(
            app=app, settings=self.settings, names=self.names, decoder=decoder, outbox=outbox,
            retry=notifier.backoff,
        )  # fmt: skip
        return notifier

    async def _webhooks(self, app: Koers, js: JetStreamContext, decoder: Decoder) -> None:
        """The webhooks' fan-out and senders, sharing one registry read now."""
        registry = Registry(app)
        await anyio.to_thread.run_sync(registry.reload)
        limiter = anyio.CapacityLimiter(self.settings.concurrency)
        hooks = hook_names(self.names)
        web = self.settings.webhooks
        context = HookContext(registry, js._nc, js, hooks, web, self.metrics, limiter)
        self.fanout = Fanout(context, decoder)
        self.sender = Sender(context)

    def _dead_letters(self, js: JetStreamContext) -> Publish:
        """Publish on the dead-letter stream (the subjects and headers the broker's
        documented publisher describes) through nats-py directly, as the scheduler does:
        the expected-sequence answer must reach the caller as nats-py's error."""
        stream = self.names.dlq_stream

        async def publish(subject: str, payload: bytes, headers: dict[str, str]) -> Any:
            return await js.publish(
                subject, payload, timeout=PUBLISH_TIMEOUT, stream=stream, headers=headers
            )

        return publish

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.broker is not None:
            if self.processor is not None:  # stop fetching, finish what was fetched
                for subscriber in self.broker.subscribers:
                    with contextlib.suppress(Exception):
                        await subscriber.stop()
                await self.processor.drain()
            if self.fanout is not None:
                await self.fanout.drain()
            if self.sender is not None:
                await self.sender.close()
                self.sender = None
            with contextlib.suppress(Exception):
                await self.broker.stop()
            self.broker = None
        if self.notifier is not None:
            await self.notifier.senders.close()
            self.notifier = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self.app is not None:
            app, self.app = self.app, None
            await anyio.to_thread.run_sync(app.close)

    # -- what the subscribers call --------------------------------------------------------------

    on_ledger = _hands_to("processor", "ledger_batch")
    on_due = _hands_to("processor", "due_batch")
    on_prompts = _hands_to("notifier", "prompts")
    on_deliveries = _hands_to("notifier", "deliveries")
    on_digests = _hands_to("notifier", "digests")
    on_team_events = _hands_to("notifier.teams", "events")
    on_team_due = _hands_to("notifier.teams", "due_items")
    on_webhook_events = _hands_to("fanout", "batch")
    on_webhook_sends = _hands_to("sender", "batch")
