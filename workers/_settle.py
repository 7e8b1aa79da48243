"""Settling a message exactly one way: acknowledged, retried later, or dead-lettered.

- done: ``ack``;
- a schedule that cannot be made (:class:`~workers._scheduler.Unschedulable`), or a
  message that is not a Koers event (:class:`~workers._decode.ForeignMessage`): set aside
  at once (dead-lettered with its reason, ``term``-ed): trying again cannot help;
- a bad message (:class:`BadMessage`: undecodable, off-schema, unknown type, oversize) or an
  unexpected error: ``nak`` with a delay (``retry_delay``, doubled per delivery, at most 30 s)
  until it was delivered ``attempts`` times, then dead-lettered (logged once: only the worker
  that stored the dead letter logs it) and ``term``-ed, and processing goes on;
- a transient error (NATS or the store unreachable): ``nak`` with a delay, dead-lettered only
  when the consumer's ``max_deliver`` is about to give up on it (nothing is dropped silently).
"""

from __future__ import annotations

import contextlib
import logging

import nats.errors
import nats.js.errors
from nats.aio.msg import Msg

from ledger.errors import StoreUnavailable
from ledger.nats._connection import TRANSIENT_ERRORS
from ledger.settings import WorkerSettings
from workers._deadletter import Publish, dead_letter
from workers._decode import BadMessage
from workers._metrics import Metrics
from workers._names import Names
from workers._scheduler import Unschedulable

__all__ = ["TRANSIENT", "Settler"]

log = logging.getLogger("workers")
MAX_DELAY = 30.0

#: What may pass if the message is tried again later: the store's, and the connection's.
TRANSIENT: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    nats.js.errors.ServiceUnavailableError,
    *TRANSIENT_ERRORS,
)


class Settler:
    def __init__(
        self, settings: WorkerSettings, names: Names, metrics: Metrics, publish: Publish
    ) -> None:
        self.settings = settings
        self.names = names
        self.metrics = metrics
        self.publish = publish

    async def settle(self, msg: Msg, error: BaseException | None, source: str) -> None:
        if error is None:
            await self.ack(msg, source)
        elif isinstance(error, Unschedulable):
            await self.failed(msg, source, error.reason, retry=False)
        elif isinstance(error, BadMessage):
            await self.failed(msg, source, error.reason)
        elif isinstance(error, TRANSIENT):
            await self._transient(msg, source, error)
        else:
            await self.failed(msg, source, f"{type(error).__name__}: {error}")

    async def ack(self, msg: Msg, source: str) -> None:
        with contextlib.suppress(Exception):  # unacknowledged: redelivered after ack_wait
            await msg.ack()
        self.metrics.messages.labels(source, "processed").inc()

    def _delay(self, deliveries: int) -> float:
        return float(min(self.settings.retry_delay * 2 ** (deliveries - 1), MAX_DELAY))

    async def failed(self, msg: Msg, source: str, reason: str, *, retry: bool = True) -> None:
        deliveries = msg.metadata.num_delivered
        if retry and deliveries < self.settings.attempts:
            log.debug("retrying %s (delivery %d): %s", msg.subject, deliveries, reason)
            await self._nak(msg, source, self._delay(deliveries))
            return
        try:
            stored = await dead_letter(self.publish, self.names, msg, reason)
        except Exception as e:  # the dead-letter stream is unreachable: try again later
            log.debug("dead-lettering %s failed: %r", msg.subject, e)
            await self._nak(msg, source, self._delay(deliveries))
            return
        if stored:
            meta = msg.metadata
            log.warning(
                "dead-lettered %s message %d (%s) after %d deliveries: %s",
                meta.stream,
                meta.sequence.stream,
                msg.subject,
                deliveries,
                reason,
            )
            self.metrics.messages.labels(source, "dead_lettered").inc()
            self.metrics.quarantined.labels("workers").inc()
        with contextlib.suppress(Exception):
            await msg.term()

    async def _transient(self, msg: Msg, source: str, error: BaseException) -> None:
        deliveries = msg.metadata.num_delivered
        if deliveries >= self.settings.max_deliver - 1:
            await self.failed(msg, source, f"gave up after {deliveries} deliveries: {error!r}")
            return
        log.debug("%s: transient %r, retrying", msg.subject, error)
        await self._nak(msg, source, self._delay(deliveries))

    async def _nak(self, msg: Msg, source: str, delay: float) -> None:
        with contextlib.suppress(Exception):
            await msg.nak(delay=delay)
        self.metrics.messages.labels(source, "retried").inc()
