"""``subscribe()`` on NATS: an ordered push consumer streaming notifications to a thread.

The consumer (ephemeral, in-memory, flow-controlled, with heartbeats; nats-py re-creates it
from the last delivered sequence when it detects a gap or a lost connection) starts right
after ``gt`` and delivers in stream order. Its callback, on the connection's event loop,
puts each message on a bounded queue (a cheap look at its subject and topic header first);
when the queue is full the callback waits, which holds back flow-control replies and so
slows the server down instead of buffering without bound. ``__next__``, in the reader's
thread, blocks on that queue and checks and decodes each message into a ``Notification``
(a ``ForeignNotification`` for a message that is not a Koers event): the signature checks
of a long catch-up never hold up the other calls on the loop (``koers serve`` on a 20k-event
log could not read its stream's state within 5 s while its views caught up). It returns
promptly (within ``POLL`` seconds) after :meth:`stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import ApplicationRecorder, Notification, Subscription
from nats.aio.msg import Msg
from nats.js import api

from ledger.nats._client import RawMessage
from ledger.nats._foreign import ForeignNotification
from ledger.nats._subjects import H_TOPIC

if TYPE_CHECKING:
    from ledger.nats.recorders import NATSApplicationRecorder

__all__ = ["NATSSubscription"]

QUEUE_SIZE = 10_000
POLL = 0.05
#: the callback lets the loop run other work after this many messages in a row
YIELD_EVERY = 256


class NATSSubscription(Subscription[ApplicationRecorder]):
    """Notifications after ``gt``, in order, as they are written."""

    def __init__(
        self,
        recorder: NATSApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._nats = recorder
        self._queue: queue.Queue[RawMessage] = queue.Queue(maxsize=QUEUE_SIZE)
        self._received = 0
        self._wanted = frozenset(topics)
        access = recorder.access
        subject = access.scheme.topics_filter(topics)
        self._sub: Any = access.call(self._start(subject, gt or 0))

    async def _start(self, subject: str, gt: int) -> Any:
        access = self._nats.access
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE if gt else api.DeliverPolicy.ALL,
            opt_start_seq=gt + 1 if gt else None,
        )
        return await access.conn.js.subscribe(
            subject,
            stream=access.stream,
            cb=self._on_message,
            ordered_consumer=True,
            config=config,
            idle_heartbeat=2.0,
        )

    async def _on_message(self, msg: Msg) -> None:
        if self._has_been_stopped:
            return
        headers = msg.headers or {}
        if self._nats.scheme.is_tracking(msg.subject):
            return
        if self._wanted and headers.get(H_TOPIC) not in self._wanted:
            return
        raw = RawMessage(msg.metadata.sequence.stream, msg.subject, headers, msg.data)
        while not self._has_been_stopped:
            try:
                self._queue.put_nowait(raw)
            except queue.Full:
                await asyncio.sleep(0.002)
            else:
                break
        self._received += 1
        if self._received % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # a burst of messages does not keep the loop to itself

    def __next__(self) -> Notification:
        while not self._has_been_stopped:
            try:
                raw = self._queue.get(timeout=POLL)
            except queue.Empty:
                continue
            notification = self._nats.notification(raw)
            if self._wanted and isinstance(notification, ForeignNotification):
                continue  # its topic cannot be trusted (see ``recorders``)
            self._last_notification_id = notification.id
            return notification
        raise StopIteration

    def stop(self) -> None:
        if self._has_been_stopped:
            return
        super().stop()
        sub, self._sub = self._sub, None
        if sub is not None:
            # The connection may be gone already; the consumer is ephemeral anyway.
            with contextlib.suppress(Exception):
                self._nats.access.call(sub.unsubscribe(), timeout=5)
