"""The audit trail's side of NATS: reading the ledger stream, and the checkpoint stream.

The checkpoints of ledger stream ``<STREAM>`` live in their own stream ``<STREAM>_CHECKPOINTS``
(subjects ``<prefix>_checkpoints.>``, file storage, deny delete and purge):

- ``<prefix>_checkpoints.head``: one message per checkpoint, its JSON (``Checkpoint.to_json``);
- ``<prefix>_checkpoints.leaves``: the leaf records of the events a checkpoint added, 40
  bytes per event (leaf hash, content key), from the sequence in header ``Koers-Leaves-From``.
  They let ``koers audit verify`` say which event moved, changed or disappeared where a
  checkpoint no longer matches; a checkpoint's root vouches for them, nothing else does.

The ledger stream is read with :class:`~ledger.audit._reader.StreamReader` (a push consumer
on a lean connection); when the URL needs TLS or credentials, through nats-py's batch direct
gets instead (slower, same frames).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nats.js.errors
from nats.js import api

from ledger.audit._checkpoint import Checkpoint
from ledger.audit._frames import Frame, head_block
from ledger.audit._reader import StreamReader
from ledger.nats._client import RawMessage, direct_get_batch
from ledger.nats._connection import NatsConnection
from ledger.nats._stream import MIN_DUPLICATE_WINDOW, ensure_stream
from ledger.settings import StoreSettings
from ledger.settings._audit import checkpoint_stream, checkpoint_subjects

__all__ = ["AuditStore", "StreamState"]

LEAVES_FROM = "Koers-Leaves-From"
_READ_TIMEOUT = 24 * 3600.0  # a whole read; each step has its own timeout


@dataclass(frozen=True)
class StreamState:
    first_seq: int
    last_seq: int
    messages: int


class AuditStore:
    """One connection for the audit: the ledger stream read fast, the checkpoints written."""

    def __init__(self, connection: NatsConnection, *, owned: bool = False) -> None:
        """Use ``connection`` (closed by :meth:`close` only when ``owned``)."""
        self.conn = connection
        self.nats = connection.settings
        self._owned = owned
        self.stream = self.nats.stream
        self.prefix = self.nats.subject_prefix
        self.checkpoints = checkpoint_stream(self.stream)
        self.subjects = checkpoint_subjects(self.prefix)
        url, timeout, login = connection.url, self.nats.timeout, connection.login
        lean = login.lean and StreamReader.usable(url)
        self.reader = StreamReader(url, timeout, login.user_password) if lean else None

    @classmethod
    def open(cls, store: StoreSettings) -> AuditStore:
        """A store on its own connection, as the application would make it for ``store``
        (the embedded server of the data directory, started if need be, or ``NATS_URL``)."""
        return cls(NatsConnection(store), owned=True)

    @property
    def url(self) -> str:
        return self.conn.url

    def describe(self) -> str:
        server = self.conn.server
        where = f", data in {self.nats.data_dir}" if server is not None else ""
        return f"{self.stream} at {self.url}{where}"

    # -- the ledger stream ---------------------------------------------------------------------

    def state(self, stream: str | None = None) -> StreamState | None:
        """The stream's first and last sequence and message count; ``None`` if it is gone."""

        async def info() -> StreamState | None:
            try:
                found = await self.conn.js.stream_info(stream or self.stream)
            except nats.js.errors.NotFoundError:
                return None
            state = found.state
            return StreamState(state.first_seq, state.last_seq, state.messages)

        return self.conn.call(info())

    def read(
        self,
        on_frames: Callable[[list[Frame]], None],
        *,
        start: int = 1,
        stop: int | None = None,
        subject: str | None = None,
    ) -> None:
        """Hand every message from ``start`` to ``stop`` (default: the end now) to
        ``on_frames``, batch by batch, in order; only those on ``subject`` if given."""
        self.conn.call(self._read(on_frames, start, stop, subject), _READ_TIMEOUT)

    async def _read(
        self,
        on_frames: Callable[[list[Frame]], None],
        start: int,
        stop: int | None,
        subject: str | None,
    ) -> None:
        if self.reader is not None:
            batches = self.reader.frames(self.stream, start, stop, subject)
            async with contextlib.aclosing(batches):  # the consumer goes, whatever happens
                async for frames in batches:
                    on_frames(frames)
            return
        while stop is None or start <= stop:  # nats-py: batch direct gets
            got, pending = await direct_get_batch(
                self.conn.nc, self.stream, subject or ">", start=start, batch=1000,
                timeout=self.nats.timeout,
            )  # fmt: skip
            frames = [
                Frame(m.seq, m.subject.encode(), head_block(dict(m.headers)), m.data)
                for m in got
                if stop is None or m.seq <= stop
            ]
            if frames:
                on_frames(frames)
            if not got or pending == 0:
                return
            start = got[-1].seq + 1

    def matching(self, subject: str) -> list[RawMessage]:
        """Every message on ``subject`` (few: one kind of aggregate), by batch direct gets."""

        async def read() -> list[RawMessage]:
            out: list[RawMessage] = []
            start = 1
            while True:
                bulk = self.conn.bulk
                if bulk is not None:
                    got, pending = await bulk.batch(self.stream, subject, start, 1000)
                else:
                    got, pending = await direct_get_batch(
                        self.conn.nc, self.stream, subject, start=start, batch=1000,
                        timeout=self.nats.timeout,
                    )  # fmt: skip
                out += got
                if not got or pending == 0:
                    return out
                start = got[-1].seq + 1

        if self.state() is None:
            return []
        return self.conn.call(read(), _READ_TIMEOUT)

    # -- the checkpoint stream ----------------------------------------------------------------

    def ensure_checkpoint_stream(self) -> None:
        wanted = api.StreamConfig(
            name=self.checkpoints,
            description=f"Koers audit trail: signed checkpoints of {self.stream}",
            subjects=[f"{self.subjects}.>"],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            num_replicas=self.nats.replicas,
            discard=api.DiscardPolicy.NEW,
            max_msgs=-1,
            max_bytes=-1,
            max_age=0,
            duplicate_window=MIN_DUPLICATE_WINDOW,
            deny_delete=True,
            deny_purge=True,
            allow_rollup_hdrs=False,
            allow_direct=True,
        )
        self.conn.call(
            ensure_stream(
                self.conn.js,
                wanted,
                create=True,
                accept_weak=True,
                audited=False,
                admin=self.conn.admin,
            )
        )

    def checkpoint_texts(self) -> list[tuple[int, bytes]]:
        """Every checkpoint message: (its sequence in the checkpoint stream, its payload)."""
        return [(seq, data) for seq, _, data in self._all(f"{self.subjects}.head")]

    def leaf_records(self) -> list[tuple[int, bytes]]:
        """Every leaf-record message: (the ledger sequence of its first record, the records)."""
        out = []
        for _, headers, data in self._all(f"{self.subjects}.leaves"):
            first = headers.get(LEAVES_FROM, "")
            if first.isdigit():
                out.append((int(first), data))
        return out

    def _all(self, subject: str) -> list[tuple[int, Mapping[str, str], bytes]]:
        if self.state(self.checkpoints) is None:
            return []

        async def read() -> list[tuple[int, Mapping[str, str], bytes]]:
            out: list[tuple[int, Mapping[str, str], bytes]] = []
            start = 1
            while True:
                got, pending = await direct_get_batch(
                    self.conn.nc, self.checkpoints, subject, start=start, batch=256,
                    timeout=self.nats.timeout,
                )  # fmt: skip
                out += [(m.seq, m.headers, m.data) for m in got]
                if not got or pending == 0:
                    return out
                start = got[-1].seq + 1

        return self.conn.call(read(), _READ_TIMEOUT)

    def publish(self, checkpoint: Checkpoint, records: bytes, first: int) -> None:
        """Store the leaf records of sequences ``first``… and then the checkpoint itself."""
        per_message = max(1, (self.conn.nc.max_payload - 4096) // 40)
        step = per_message * 40

        async def send() -> None:
            js, timeout = self.conn.js, self.nats.timeout
            for offset in range(0, len(records), step):
                seq = first + offset // 40
                headers = {LEAVES_FROM: str(seq), "Nats-Msg-Id": f"leaves-{seq}-{checkpoint.size}"}
                chunk = records[offset : offset + step]
                await js.publish(f"{self.subjects}.leaves", chunk, timeout=timeout, headers=headers)
            stamp = f"{checkpoint.size}-{checkpoint.root.hex()[:16]}-{checkpoint.time.timestamp()}"
            await js.publish(
                f"{self.subjects}.head", checkpoint.to_json().encode(), timeout=timeout,
                headers={"Nats-Msg-Id": f"head-{stamp}"},
            )  # fmt: skip

        messages = len(records) // step + 2
        self.conn.call(send(), self.nats.timeout * messages + 1)

    def close(self) -> None:
        if self._owned:
            self.conn.close()
