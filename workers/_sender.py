"""The webhooks' senders: each delivery on ``send.>`` POSTed until a receiver takes it, once.

For each message (up to ``KOERS_WEBHOOK_CONCURRENCY`` at once):

1. ``done.<delivery>`` exists: delivered before (a redelivery, a replay of a delivered one,
   another worker): acknowledge, send nothing (looked up for the whole fetched batch at
   once: :mod:`workers._delivered`);
2. the webhook is gone (removed): acknowledge, send nothing;
3. POST the body as stored, signed (:func:`ledger.webhooks.signed_headers`; a fresh
   ``webhook-timestamp`` per attempt, the same ``webhook-id`` always), unless the URL points
   into a private network (:mod:`workers._guard`: a failed attempt);
4. a 2xx answer: store ``done.<delivery>`` (create-if-absent; with the records of the other
   POSTs that ended meanwhile, in one write), then acknowledge;
5. anything else (another status, a timeout, a refused connection): retry after
   ``KOERS_WEBHOOK_RETRY_DELAY``, doubled per attempt up to ``KOERS_WEBHOOK_MAX_DELAY``
   (``nak`` with that delay: JetStream redelivers it, to this or another worker); when the
   next attempt would come after ``KOERS_WEBHOOK_RETRY_WINDOW`` from the first, store
   ``failed.<delivery>`` with the body instead and stop (``term``).

A message is held by one worker at a time: the consumer's ``ack_wait`` is longer than a
POST may take, so it is redelivered elsewhere only when its worker died. What can still
happen twice is stated in :mod:`ledger.webhooks._records`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

import aiohttp
import anyio.to_thread
from nats.aio.msg import Msg

from ledger.webhooks import failure_headers, signed_headers
from ledger.webhooks._records import H_WEBHOOK
from workers._background import Background
from workers._delivered import Delivered, LookedUp
from workers._guard import GuardedResolver, literal_problem
from workers._hooks import Hook, HookContext

__all__ = ["Sender"]

log = logging.getLogger("workers")
PUBLISH_TIMEOUT = 5.0
IN_FLIGHT_BATCHES = 4


class Sender:
    def __init__(self, context: HookContext) -> None:
        self.context = context
        self.registry, self.js, self.names = context.registry, context.js, context.names
        self.settings = settings = context.settings
        # aiohttp, not httpx: httpx's pool slowed to ~60 POSTs/s at 64 in flight here
        # (benchmarks/webhook_bench.py); aiohttp keeps the receiver's pace.
        # names resolved through the SSRF guard, unless private addresses are allowed
        resolver = None if settings.allow_private else GuardedResolver()
        self.client = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.timeout),
            connector=aiohttp.TCPConnector(limit=settings.concurrency, resolver=resolver),
            headers={"user-agent": "koers-webhooks/1"},
        )
        self.delivered = Delivered(context)
        self._posts = asyncio.Semaphore(settings.concurrency)
        self._background = Background(IN_FLIGHT_BATCHES)

    async def batch(self, messages: Iterable[Msg]) -> None:
        """Start sending a fetched batch and return (up to ``IN_FLIGHT_BATCHES`` batches are
        sent at once), so a slow receiver does not hold up the next fetch."""
        msgs, received = list(messages), time.monotonic()
        await self._background.place()
        self._background.run(self._send_all(msgs, received))

    async def _send_all(self, msgs: list[Msg], received: float) -> None:
        looked_up = await self.delivered.look_up(msgs, received)
        await asyncio.gather(*(self._one(m, looked_up) for m in msgs),
                             return_exceptions=True)  # fmt: skip

    async def drain(self) -> None:
        """Wait for the batches still being sent (at shutdown, after the last fetch)."""
        await self._background.drain()

    async def close(self) -> None:
        await self.drain()
        await self.client.close()

    async def _one(self, msg: Msg, looked_up: LookedUp | None) -> None:
        async with self._posts:
            delivery = self.names.delivery_of(msg.subject)
            try:
                if await self.delivered.before(delivery, looked_up):
                    await self._settled(msg, "duplicate_skipped")
                    return
                hook = await self._hook(msg)
                if hook is None:
                    await self._settled(msg, "webhook_gone")
                    return
                error = await self._post(hook, delivery, msg.data or b"")
                if error is None:
                    await self.delivered.record(delivery, hook.id)
                    await self._settled(msg, "delivered")
                    return
                await self._retry_or_fail(msg, hook, delivery, error)
            except Exception as e:  # NATS trouble: try the whole delivery again later
                log.debug("webhook delivery %s: %r", delivery, e)
                with contextlib.suppress(Exception):
                    await msg.nak(delay=self.settings.retry_delay)

    async def _hook(self, msg: Msg) -> Hook | None:
        try:
            webhook = UUID((msg.headers or {}).get(H_WEBHOOK, ""))
        except ValueError:
            return None
        hook = self.registry.get(webhook)
        if hook is None:  # added just now (a test delivery), or removed
            await anyio.to_thread.run_sync(self.registry.reload, limiter=self.context.limiter)
            hook = self.registry.get(webhook)
        return hook

    async def _post(self, hook: Hook, delivery: str, body: bytes) -> str | None:
        """``None`` when the receiver took it (2xx), else what went wrong."""
        refused = None if self.settings.allow_private else literal_problem(hook.url)
        if refused is not None:
            return refused
        headers = signed_headers(hook.secret, delivery, int(time.time()), body)
        try:
            async with self.client.post(
                hook.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as e:
            return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        return None if 200 <= status < 300 else f"HTTP {status}"

    async def _retry_or_fail(self, msg: Msg, hook: Hook, delivery: str, error: str) -> None:
        meta = msg.metadata
        attempts = meta.num_delivered
        delay = self.settings.delay(attempts)
        first = meta.timestamp
        waited = (datetime.now(UTC) - first).total_seconds()
        if waited + delay <= self.settings.retry_window:
            log.debug("webhook delivery %s attempt %d: %s", delivery, attempts, error)
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)
            self.context.metrics.messages.labels("webhooks", "retried").inc()
            return
        headers = failure_headers(webhook=hook.id, owner=hook.owner, url=hook.url,
                                  attempts=attempts, first=first, error=error)  # fmt: skip
        headers["Nats-Msg-Id"] = f"failed_{delivery}_{meta.sequence.stream}"
        await self.js.publish(self.names.failed_subject(delivery), msg.data or b"",
                              timeout=PUBLISH_TIMEOUT, headers=headers)  # fmt: skip
        log.warning("webhook %s: gave up on delivery %s after %d attempts (%s); "
                    "`koers webhooks replay %s` sends it again", hook.id, delivery, attempts,
                    error, delivery)  # fmt: skip
        await self._settled(msg, "failed", term=True)

    async def _settled(self, msg: Msg, outcome: str, *, term: bool = False) -> None:
        with contextlib.suppress(Exception):  # unsettled: redelivered after ack_wait
            await (msg.term() if term else msg.ack())
        self.context.metrics.messages.labels("webhooks", outcome).inc()
