"""The webhooks' fan-out: each ledger event, once per webhook it goes to, onto ``send.>``.

A durable consumer of its own on the ledger (``koers-webhooks``), so slow receivers never
hold up prompts and the prompts' consumer never holds up webhooks. Per fetched batch, in
stream order:

1. a ``webhook`` event stored since the registry was read (:mod:`workers._hooks`) reads it
   again first (:meth:`Fanout._fresh_registry`); with no webhook at all, messages are
   acknowledged without being decoded;
2. each message some webhook wants by its subject's type is decoded and checked as the
   prompts' consumer does (a bad one is skipped here: that consumer dead-letters it if it
   reads its kind, ``koers audit`` finds it either way); the access facts of the things some
   webhook wants are read, several at once (:meth:`workers._hooks.Registry.prefetch`);
3. every (event, webhook) pair is published as one delivery on ``send.<delivery id>``,
   create-if-absent (expected subject sequence 0): a redelivered ledger message, a restarted
   or a second worker adds nothing. The batch's deliveries go in atomic writes (one fsync
   for up to 500; :func:`workers._batch.store_once`); when one is refused (some delivery is
   there already) none of that write is stored, and they are published one by one instead,
   each if absent;
4. a message is acknowledged once all its deliveries are stored; if storing one failed it is
   retried with a delay (nothing is sent before it is stored, so a retry loses nothing).
   Storing runs in the background (up to ``IN_FLIGHT_BATCHES`` batches) while the next
   batch is fetched and judged: deliveries are independent, their order is not kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from itertools import islice

import anyio.to_thread
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from ledger.webhooks import delivery_id, event_body, once
from ledger.webhooks._records import H_OWNER, H_WEBHOOK
from workers._background import Background
from workers._batch import Message, store_once
from workers._decode import BadMessage, Decoder, Event
from workers._hooks import Hook, HookContext

__all__ = ["Fanout"]

log = logging.getLogger("workers")
PUBLISH_TIMEOUT = 5.0
#: Fetched batches being stored at once while the next one is judged.
IN_FLIGHT_BATCHES = 4


class Fanout:
    def __init__(self, context: HookContext, decoder: Decoder) -> None:
        self.context = context
        self.decoder = decoder
        self._background = Background(IN_FLIGHT_BATCHES)

    async def batch(self, messages: Iterable[Msg]) -> None:
        msgs, context = list(messages), self.context
        await self._fresh_registry()
        if context.registry.empty:
            await asyncio.gather(*(_ack(m) for m in msgs))
            return
        events = {m.metadata.sequence.stream: self._decode(m) for m in msgs}
        found = [e for e in events.values() if e is not None]
        firsts = {e.aggregate_id: e for e in reversed(context.registry.to_read(found))}
        await asyncio.gather(*(anyio.to_thread.run_sync(context.registry.prefetch, e,
                                                        limiter=context.limiter)
                               for e in firsts.values()))  # fmt: skip
        recipients = await anyio.to_thread.run_sync(
            context.registry.recipients, found, limiter=context.limiter
        )
        deliveries = [(m, self._deliveries(events[m.metadata.sequence.stream], m, recipients))
                      for m in msgs]  # fmt: skip
        await self._background.place()  # store in the background: the next batch is judged
        self._background.run(self._store(deliveries))

    async def _store(self, deliveries: list[tuple[Msg, list[Message]]]) -> None:
        flat = [d for _, ds in deliveries for d in ds]
        context = self.context
        errors = iter(await store_once(context.nc, context.js, flat, PUBLISH_TIMEOUT))
        for msg, ds in deliveries:
            failed = [e for e in islice(errors, len(ds)) if e is not None]
            if failed:  # NATS trouble: nothing is lost, the event is fanned out again
                log.debug("fanning out %s failed: %r", msg.subject, failed[0])
                with contextlib.suppress(Exception):
                    await msg.nak(delay=self.context.settings.retry_delay)
                self.context.metrics.messages.labels("webhooks", "retried").inc()
            else:
                await _ack(msg)

    async def drain(self) -> None:
        """Wait for the batches still being stored (at shutdown, after the last fetch)."""
        await self._background.drain()

    async def _fresh_registry(self) -> None:
        """Read the webhooks again when a ``webhook`` event was stored since they were read.

        Asked after the batch was fetched, the last such event's position covers every one
        before the batch's last message, whichever worker's fan-out judged it (the durable
        is shared: this worker may never see the ``webhook.added`` itself)."""
        context = self.context
        subject = f"{self.decoder.prefix}.webhook.>"
        try:
            last = (await context.js.get_last_msg(context.names.stream, subject)).seq or 0
        except NotFoundError:
            last = 0
        if last > context.registry.as_of:
            await anyio.to_thread.run_sync(context.registry.reload, limiter=context.limiter)
            context.registry.as_of = last

    def _decode(self, msg: Msg) -> Event | None:
        """The event, if some webhook wants its type (told from the subject first: most
        events need no decoding, whose signature check is the costly part)."""
        meta = msg.metadata
        tokens = msg.subject.split(".")
        if len(tokens) == 4 and not self.context.registry.wanted(
            f"{tokens[1]}.{tokens[3]}", meta.sequence.stream
        ):
            return None
        try:
            return self.decoder.decode(
                msg.subject, msg.headers, msg.data, meta.sequence.stream, meta.timestamp
            )
        except BadMessage:  # the prompts' consumer dead-letters it; nothing to send
            return None

    def _deliveries(
        self, event: Event | None, msg: Msg, recipients: dict[int, list[Hook]]
    ) -> list[Message]:
        """The event's deliveries, one per webhook it goes to, as messages to store once."""
        hooks = recipients.get(event.seq, []) if event is not None else []
        if event is None or not hooks:
            return []
        body = event_body(
            type=event.name,
            schema=int((msg.headers or {}).get("Koers-Schema", "1")),
            position=event.seq,
            timestamp=event.timestamp.isoformat(),
            aggregate_id=event.aggregate_id,
            version=event.version,
            payload=event.payload,
        )
        out = []
        for hook in hooks:
            delivery = delivery_id(hook.id, event.seq)
            headers = once({H_WEBHOOK: str(hook.id), H_OWNER: hook.owner}, delivery)
            out.append((self.context.names.send_subject(delivery), body, headers))
        return out


async def _ack(msg: Msg) -> None:
    with contextlib.suppress(Exception):  # unacknowledged: redelivered after ack_wait
        await msg.ack()
