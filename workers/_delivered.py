"""The senders' ``done`` records (:mod:`ledger.webhooks._records`), read and written in bulk.

A delivery is POSTed only while its ``done.<delivery>`` is absent, and acknowledged only
after that record is stored; per delivery those were two round trips to NATS beside the
POST, and a write (an fsync) each. Here:

- **looked up** for a whole fetched batch in one request
  (:func:`ledger.webhooks.done_among`). The answer stays good for a message while no other
  worker can hold it: until its ``ack_wait`` runs out (JetStream gives it to nobody else
  before). A message that waited longer for its turn to be POSTed is looked up again on its
  own, right before the POST, as every one used to be;
- **written together**: records of POSTs that end while a write is under way wait for it
  and go in the next one, an atomic write of them all (:func:`workers._batch.store_once`:
  create-if-absent each; a write refused because one was there already is stored one by
  one). No record waits for anything but the write before it, and no message is
  acknowledged before its record is stored.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from uuid import UUID

from nats.aio.msg import Msg

from ledger.webhooks import done_among, is_done, once
from ledger.webhooks._records import H_WEBHOOK
from workers._batch import Message, store_once
from workers._hooks import HookContext

__all__ = ["Delivered", "LookedUp"]

PUBLISH_TIMEOUT = 5.0


@dataclass(frozen=True)
class LookedUp:
    """The deliveries of a fetched batch found delivered, and when the batch came."""

    done: frozenset[str]
    received: float  # time.monotonic()


class Delivered:
    def __init__(self, context: HookContext) -> None:
        self.context = context
        #: how long a look-up is trusted: half the time no other worker can hold the message
        self.trusted = context.settings.ack_wait / 2
        self._waiting: list[tuple[Message, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def look_up(self, msgs: list[Msg], received: float) -> LookedUp | None:
        """The batch's deliveries already delivered (``None``: the look-up failed; each is
        then looked up on its own). ``received``: when the batch was fetched
        (``time.monotonic()``), which the trust in the answer counts from."""
        names = self.context.names
        deliveries = list(dict.fromkeys(names.delivery_of(m.subject) for m in msgs))
        try:
            done = await done_among(self.context.nc, names, deliveries, PUBLISH_TIMEOUT)
        except Exception:
            return None
        return LookedUp(frozenset(done), received)

    async def before(self, delivery: str, looked_up: LookedUp | None) -> bool:
        """Whether ``delivery`` was delivered already (from the batch's look-up while it is
        trusted, else asked now)."""
        if looked_up is not None and time.monotonic() - looked_up.received < self.trusted:
            return delivery in looked_up.done
        context = self.context
        return await is_done(context.js, context.names, delivery)

    async def record(self, delivery: str, webhook: UUID) -> None:
        """Store ``done.<delivery>`` (create-if-absent) with the records of the POSTs that
        end meanwhile; return once it is stored (raise if it could not be)."""
        subject = self.context.names.done_subject(delivery)
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((_done_record(subject, webhook, delivery), stored))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        await stored

    async def _write(self) -> None:
        context = self.context
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    messages = [m for m, _ in group]
                    errors = await store_once(context.nc, context.js, messages, PUBLISH_TIMEOUT)
                except Exception as e:
                    errors = [e] * len(group)
                for (_, stored), error in zip(group, errors, strict=True):
                    if stored.done():
                        continue
                    if error is None:
                        stored.set_result(None)
                    else:
                        stored.set_exception(error)
        finally:
            self._writer = None


def _done_record(subject: str, webhook: UUID, delivery: str) -> Message:
    """A ``done`` record as stored: empty, naming its webhook, once per delivery."""
    return subject, b"", once({H_WEBHOOK: str(webhook)}, f"done_{delivery}")
