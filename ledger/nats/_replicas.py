"""Reads that never show state older than a write before them, on R1 and on R3 alike.

With ``allow_direct`` every replica of a stream answers direct gets, and a follower applies
a message some time after the leader acknowledged it. Right after a write, a direct get
answered by a follower can miss it: on a 3-node cluster under write load, about one read in
four right after its write did (tests/store/test_cluster_reads.py measures it each run).
The leader acknowledges a write only once it has stored it, and it alone answers
``$JS.API.STREAM.MSG.GET``. So on a replicated stream:

- **the last message of a subject** (a writer's look-up of an aggregate's position, a
  tracking position, the end of the log) is asked of the leader;
- **a batch read** keeps its direct gets (one request per 1,000 messages, any replica), and
  when the answer says it reached the end of the subject, the leader is asked for the
  subject's last message. If the answering replica did not have it yet, the messages it
  lacked are read from the leader, one request each (the gap is the few messages of the
  stale window). A read that follows a write thus always includes that write.

On one replica the only server is the leader and its direct gets are current: every read
is the single direct get it always was. Whether the stream is replicated is read from the
stream's own configuration when the store opens it, not from ``NATS_REPLICAS`` alone.
"""

from __future__ import annotations

from ledger.nats._client import RawMessage, direct_get_batch, direct_get_last, leader_get
from ledger.nats._connection import NatsConnection

__all__ = ["ReplicaReads"]


class ReplicaReads:
    """Where the reads of one stream are answered (see the module docstring)."""

    def __init__(self, conn: NatsConnection, stream: str, replicas: int) -> None:
        self.conn = conn
        self.stream = stream
        self.replicated = replicas > 1

    async def last(self, subject: str) -> RawMessage | None:
        """The last message matching ``subject``: never older than an acknowledged write."""
        nc, timeout = self.conn.nc, self.conn.settings.timeout
        if self.replicated:
            return await leader_get(nc, self.stream, subject, timeout)
        return await direct_get_last(nc, self.stream, subject, timeout)

    async def first_from(self, subject: str, start: int) -> RawMessage | None:
        """The first message matching ``subject`` at or after sequence ``start``."""
        nc, timeout = self.conn.nc, self.conn.settings.timeout
        if self.replicated:
            return await leader_get(nc, self.stream, subject, timeout, start=start)
        found, _ = await direct_get_batch(
            nc, self.stream, subject, start=start, batch=1, timeout=timeout
        )
        return found[0] if found else None

    async def missed(
        self, subject: str, got: list[RawMessage], start: int, pending: int
    ) -> list[RawMessage]:
        """The messages a batch read from ``start`` that answered ``got`` (``pending`` more)
        lacked because a follower answered it before applying them: empty when the answer
        was complete, or when it did not claim to reach the end (the next batch asks again)."""
        if not self.replicated or pending:
            return []
        after = got[-1].seq if got else start - 1
        last = await self.last(subject)
        out: list[RawMessage] = []
        while last is not None and after < last.seq:
            found = await self.first_from(subject, after + 1)
            if found is None:  # cannot be: the leader holds ``last``
                break
            out.append(found)
            after = found.seq
        return out
