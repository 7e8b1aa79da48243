"""Cached view answers, and the turns "as of" reads take.

A view's answer is a pure function of the view, its parameters, the views' position, the
reader's permissions and, for "now"-relative numbers (expected progress, freshness,
overdue...), the clock. The cache keys an answer by the first three; the other two are
handled so that a cached answer is always one this reader could have been given now:

- **Permissions.** Every route checks the reader (``see_team``, ``see_person``...) *before*
  the cache is asked, and resolves what depends on the reader into the parameters (the
  delegation board's owner) or filters after it (the alignment trees); so an answer is only
  served to a reader who passed the same check, and a 304 too.
- **Position.** The key holds the views' position read *after* waiting for ``min_position``:
  a write moves the position, so nothing cached before it answers after it
  (read-your-writes), and nothing needs evicting by hand.
- **The clock.** A live answer is evaluated at "now" and kept at most ``max_age`` seconds
  (``KOERS_VIEW_CACHE_SECONDS``): its now-relative numbers are at most that old, and its
  ``at`` field says when they were computed. An answer "as of" a position never changes: it
  is kept until pushed out (least recently used first, :data:`SIZE` answers in all).

The ``ETag`` is the position and a hash of the key and the moment the answer was made
(``"<position>-<hash>"``): two answers with the same tag are the same bytes, so
``If-None-Match`` with it gets 304. The cache lives in one API process; each worker process
of a scaled-out API keeps its own (they share the views, not the cache).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.api._problems import ApiProblem

__all__ = ["SIZE", "AsOfTurns", "Entry", "ViewCache", "matches"]

#: Answers kept at most (per API process).
SIZE = 1024


@dataclass
class Entry:
    """One cached answer: the query's result, its tag, when it was made (monotonic)."""

    result: Any
    etag: str
    made: float
    lasting: bool
    _body: bytes | None = field(default=None, repr=False)

    @property
    def body(self) -> bytes:
        """The answer as JSON (encoded once)."""
        if self._body is None:
            self._body = orjson.dumps(self.result)
        return self._body


class ViewCache:
    """Answers by key (see the module docstring); used from the event loop only."""

    def __init__(self, max_age: float, size: int = SIZE) -> None:
        self.max_age = max_age
        self.size = size
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def get(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if not entry.lasting and time.monotonic() - entry.made > self.max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def put(
        self, key: Hashable, position: int, result: Any, *, lasting: bool, keep: bool = True
    ) -> Entry:
        """``result`` (made now, at the views' ``position``) with its tag; kept under ``key``
        if ``keep`` (``lasting``: for good, else for ``max_age``)."""
        made = time.monotonic()
        digest = hashlib.blake2b(repr((key, made)).encode(), digest_size=12).hexdigest()
        entry = Entry(result, f'"{position}-{digest}"', made, lasting)
        if keep and self.enabled:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``); weak tags compare
    by their opaque part (RFC 9110 §13.1.2: weak comparison)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class AsOfTurns:
    """At most ``reads`` "as of" rebuilds at once (each one replays the log's tail in a
    worker thread); more wait up to ``wait`` seconds for a turn, then get 503 with
    ``Retry-After``. Live reads never take a turn, so a burst of "as of" reads cannot starve
    them (nor take all of the worker threads)."""

    def __init__(self, reads: int, wait: float) -> None:
        self.reads = reads
        self.wait = wait
        self._slots: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.reads)
        if not self._slots.locked():  # a turn is free: take it at once
            await self._slots.acquire()
            return
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait)
        except TimeoutError:
            raise ApiProblem(
                "unavailable",
                f"{self.reads} 'as of' reads are being rebuilt already and none finished "
                f"within {self.wait:g} s; retry in a moment (reads without as_of or position "
                "are not limited)",
                headers={"Retry-After": "1"},
            ) from None

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._slots is not None
        self._slots.release()
