"""``subscribe()`` on NATS: an ordered push consumer streaming notifications to a thread.

The consumer (ephemeral, in-memory, flow-controlled, with heartbeats; nats-py re-creates it
from the last delivered sequence when it detects a gap or a lost connection) starts right
after ``gt`` and delivers in stream order. Its callback, on the connection's event loop,
decodes each message into a ``Notification`` (a ``ForeignNotification`` for a message
that is not a Koers event) and puts it on a bounded queue; when the
queue is full the callback waits, which holds back flow-control replies and so slows the
server down instead of buffering without bound. ``__next__`` blocks on that queue and
returns promptly (within ``POLL`` seconds) after :meth:`stop`.
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

from ledger.nats._foreign import ForeignNotification
from ledger.nats._subjects import H_TOPIC

if TYPE_CHECKING:
    from ledger.nats.recorders import NATSApplicationRecorder

__all__ = ["NATSSubscription"]

QUEUE_SIZE = 10_000
POLL = 0.05


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
        self._queue: queue.Queue[Notification] = queue.Queue(maxsize=QUEUE_SIZE)
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
        notification = self._nats.notification_from_push(msg)
        if self._wanted and isinstance(notification, ForeignNotification):
            return  # its topic cannot be trusted (see ``recorders``)
        while not self._has_been_stopped:
            try:
                self._queue.put_nowait(notification)
            except queue.Full:
                await asyncio.sleep(0.002)
            else:
                return

    def __next__(self) -> Notification:
        while not self._has_been_stopped:
            try:
                notification = self._queue.get(timeout=POLL)
            except queue.Empty:
                continue
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
