"""The webhooks' fan-out: each ledger event, once per webhook it goes to, onto ``send.>``.

A durable consumer of its own on the ledger (``<name>-webhooks``), so slow receivers never
hold up prompts and the prompts' consumer never holds up webhooks. Per fetched batch, in
stream order:

1. a ``webhook`` event in the batch reloads the registry first (:mod:`workers._hooks`);
   with no webhook at all, messages are acknowledged without being decoded;
2. each message is decoded and checked as the prompts' consumer does (a bad one is left to
   that consumer to dead-letter; here it is skipped);
3. every (event, webhook) pair is published as one delivery on ``send.<delivery id>``,
   create-if-absent (:func:`ledger.webhooks.publish_once`): a redelivered ledger message, a
   restarted or a second worker adds nothing;
4. a message is acknowledged once all its deliveries are stored; if storing one failed it is
   retried with a delay (nothing is sent before it is stored, so a retry loses nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import anyio.to_thread
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ledger.settings import WebhookSettings
from ledger.webhooks import HookNames, delivery_id, event_body, publish_once
from ledger.webhooks._records import H_OWNER, H_WEBHOOK
from workers._decode import BadMessage, Decoder, Event
from workers._hooks import Hook, Registry
from workers._metrics import Metrics

__all__ = ["Fanout"]

log = logging.getLogger("workers")
PUBLISH_TIMEOUT = 5.0


class Fanout:
    def __init__(
        self,
        *,
        registry: Registry,
        js: JetStreamContext,
        names: HookNames,
        decoder: Decoder,
        settings: WebhookSettings,
        metrics: Metrics,
        limiter: anyio.CapacityLimiter,
    ) -> None:
        self.registry = registry
        self.js = js
        self.names = names
        self.decoder = decoder
        self.settings = settings
        self.metrics = metrics
        self.limiter = limiter

    async def batch(self, messages: Iterable[Msg]) -> None:
        msgs = list(messages)
        prefix = self.decoder.prefix + ".webhook."
        if any(m.subject.startswith(prefix) for m in msgs):
            await anyio.to_thread.run_sync(self.registry.reload, limiter=self.limiter)
        if self.registry.empty:
            await asyncio.gather(*(_ack(m) for m in msgs))
            return
        events = {m.metadata.sequence.stream: self._decode(m) for m in msgs}
        found = [e for e in events.values() if e is not None]
        recipients = await anyio.to_thread.run_sync(
            self.registry.recipients, found, limiter=self.limiter
        )
        await asyncio.gather(*(self._fan(m, events[m.metadata.sequence.stream], recipients)
                               for m in msgs))  # fmt: skip

    def _decode(self, msg: Msg) -> Event | None:
        meta = msg.metadata
        try:
            return self.decoder.decode(
                msg.subject, msg.headers, msg.data, meta.sequence.stream, meta.timestamp
            )
        except BadMessage:  # the prompts' consumer dead-letters it; nothing to send
            return None

    async def _fan(self, msg: Msg, event: Event | None, recipients: dict[int, list[Hook]]) -> None:
        hooks = recipients.get(event.seq, []) if event is not None else []
        try:
            if event is not None and hooks:
                schema = int((msg.headers or {}).get("Koers-Schema", "1"))
                body = event_body(
                    type=event.name,
                    schema=schema,
                    position=event.seq,
                    timestamp=event.timestamp.isoformat(),
                    aggregate_id=event.aggregate_id,
                    version=event.version,
                    payload=event.payload,
                )
                await asyncio.gather(*(self._publish(hook, event, body) for hook in hooks))
        except Exception as e:  # NATS trouble: nothing is lost, the event is fanned out again
            log.debug("fanning out %s failed: %r", msg.subject, e)
            with contextlib.suppress(Exception):
                await msg.nak(delay=self.settings.retry_delay)
            self.metrics.messages.labels("webhooks", "retried").inc()
            return
        await _ack(msg)

    async def _publish(self, hook: Hook, event: Event, body: bytes) -> None:
        delivery = delivery_id(hook.id, event.seq)
        headers = {H_WEBHOOK: str(hook.id), H_OWNER: hook.owner}
        await publish_once(self.js, self.names.send_subject(delivery), body, headers,
                           msg_id=delivery, timeout=PUBLISH_TIMEOUT)  # fmt: skip


async def _ack(msg: Msg) -> None:
    with contextlib.suppress(Exception):  # unacknowledged: redelivered after ack_wait
        await msg.ack()
