"""Claims: how a delivery goes out once, whatever the restarts, redeliveries and workers.

One key per delivery id in the ``<STREAM>_DELIVERIES`` bucket, changed only by
compare-and-set (create-if-absent, or update at the revision read):

1. **read** the key: ``sent`` → done already (acknowledge, send nothing); ``sending`` by
   someone whose lease has not run out → someone is sending it (try again after the lease);
2. **claim**: create the key (``sending``, who, when), or, over a lease that ran out (its
   claimant died), update it at the revision read. Of two workers claiming at once, exactly
   one succeeds; the other is told :class:`Taken`;
3. **send**, renewing the claim every third of the lease while the send lasts (a slow server
   does not let another worker take a live worker's delivery); then mark the key ``sent``
   at the claim's latest revision;
4. a send that **failed** gives the claim back (deletes the key at its revision), and the
   message is retried with backoff: never dropped.

The one window nobody can close: the server accepted the message, and the worker could not
record it: killed before step 3's mark, or the server's answer lost (a timeout after the
data was sent, taken for a failure), or a worker so starved of CPU that its lease ran out
mid-send. Another worker then claims and sends it again, with the same ``Message-ID``
(derived from the delivery id), so a receiver can drop the copy; chat webhooks have no such
id: a copy shows twice. Every copy therefore follows a taken-over claim (logged: "took over
delivery …") or a failed send; tests/workers/test_notify_crash.py counts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import nats.errors
import orjson
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

__all__ = ["Claim", "Claims", "Sent", "Taken"]

log = logging.getLogger("workers.notify")

MARK_TRIES = 5
SENDING = "sending"
SENT = "sent"


class Sent(Exception):
    """The delivery was sent already: acknowledge it, send nothing."""


class Taken(Exception):
    """Another worker holds the delivery's claim; try again after ``wait`` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"claimed by another worker; try again in {wait:.1f} s")
        self.wait = wait


@dataclass(frozen=True)
class Claim:
    key: str
    revision: int


class Claims:
    """Claims on deliveries (see the module docstring)."""

    def __init__(self, kv: KeyValue, owner: str, lease: float) -> None:
        self.kv = kv
        self.owner = owner
        self.lease = lease

    async def claim(self, delivery: str) -> Claim:
        """Claim ``delivery`` for this worker; :class:`Sent` or :class:`Taken` if not."""
        try:
            entry = await self.kv.get(delivery)
        except KeyNotFoundError:  # also a claim given back (deleted)
            entry = None
        try:
            if entry is None:
                return Claim(delivery, await self.kv.create(delivery, self._sending()))
            return await self._take_over(delivery, entry.revision or 0, entry.value or b"{}")
        except KeyWrongLastSequenceError:  # someone else created or took it just now
            raise Taken(self.lease) from None

    async def _take_over(self, delivery: str, revision: int, value: bytes) -> Claim:
        """A claim whose holder's lease ran out becomes ours (at the revision read)."""
        state = orjson.loads(value)
        if state.get("state") == SENT:
            raise Sent(delivery)
        left = float(state.get("at", 0)) + self.lease - time.time()
        if left > 0:
            raise Taken(left)
        taken = Claim(delivery, await self.kv.update(delivery, self._sending(), last=revision))
        log.warning("took over delivery %s from %s: its lease ran out %.1f s ago",
                    delivery, state.get("by"), -left)  # fmt: skip
        return taken

    def _sending(self) -> bytes:
        return orjson.dumps({"state": SENDING, "by": self.owner, "at": time.time()})

    async def renew(self, claim: Claim) -> Claim:
        """The same claim, its lease starting again (``Taken`` if it was taken over)."""
        try:
            update = await self.kv.update(claim.key, self._sending(), last=claim.revision)
        except KeyWrongLastSequenceError:
            raise Taken(self.lease) from None
        return Claim(claim.key, update)

    async def sent(self, claim: Claim) -> bool:
        """Mark the claimed delivery sent; ``False`` if the claim was taken over meanwhile
        (the send outlived the lease: the other worker may send it again). A slow server
        is tried :data:`MARK_TRIES` times: every failure here is a copy later."""
        done = orjson.dumps({"state": SENT, "by": self.owner, "at": time.time()})
        for attempt in range(1, MARK_TRIES + 1):
            try:
                await self.kv.update(claim.key, done, last=claim.revision)
            except KeyWrongLastSequenceError:
                return False
            except (TimeoutError, nats.errors.Error):
                if attempt == MARK_TRIES:
                    raise
                await asyncio.sleep(0.2 * attempt)
            else:
                return True
        return False

    async def give_back(self, claim: Claim) -> None:
        """The send failed: let the next attempt (any worker's) claim it at once."""
        with contextlib.suppress(KeyWrongLastSequenceError):  # taken over: theirs now
            await self.kv.delete(claim.key, last=claim.revision)
