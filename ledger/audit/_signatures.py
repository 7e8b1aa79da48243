"""Checking every event's signature during a scan, on worker threads.

An Ed25519 verification costs about 140-170 µs on the idle benchmark VM, over ten times what
hashing an event costs, and OpenSSL releases the GIL while it runs (two threads check twice
as many, measured): the scan hands each batch's signatures to a
small thread pool and goes on hashing, and :meth:`SignatureChecks.settle` collects the
verdicts at the end. At most :data:`MAX_PENDING` batches wait, so a fast reader cannot pile
up a log's worth of entries in memory.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from ledger.nats._keys import TrustedKeys
from ledger.nats._signing import check_signature

__all__ = ["MAX_PENDING", "Job", "SignatureChecks"]

MAX_PENDING = 8
#: One event to check: its sequence, the signed bytes, the key id and the signature.
Job = tuple[int, bytes, str, str]


def _check(jobs: list[Job], keys: TrustedKeys) -> list[tuple[int, str]]:
    found = []
    for seq, signed, kid, signature in jobs:
        why = check_signature(signed, kid, signature, keys)
        if why is not None:
            found.append((seq, why))
    return found


class SignatureChecks:
    """The signature checks of one scan: :meth:`submit` batches, then :meth:`settle`."""

    def __init__(self, keys: TrustedKeys, threads: int | None = None) -> None:
        self.keys = keys
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[list[tuple[int, str]]]] = deque()
        self._found: list[tuple[int, str]] = []

    def submit(self, jobs: list[Job]) -> None:
        """Check ``jobs`` in the background (inline when there are only a few)."""
        if len(jobs) < 16:
            self._found += _check(jobs, self.keys)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="koers-signatures")
        step = -(-len(jobs) // self.threads)
        for i in range(0, len(jobs), step):
            self._pending.append(self._pool.submit(_check, jobs[i : i + step], self.keys))
        while len(self._pending) > MAX_PENDING * self.threads:
            self._found += self._pending.popleft().result()

    def settle(self) -> list[tuple[int, str]]:
        """Wait for every check; the events whose signature fails, and why, by sequence."""
        while self._pending:
            self._found += self._pending.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self._found.sort()
        return self._found
