"""A lean reader for bulk reads: batch direct gets and paging pull consumers over its own
plain NATS connection.

Reading is where nats-py's per-message machinery (futures, a queue and a task hop per
message, a generic header parser) costs most: with ~16 headers per event it tops out near
30k messages/s on this kind of machine. Paging the notification log and verifying the
audit trail read every event, so they use this reader: it speaks the small part of the
NATS client protocol a request/reply needs (``CONNECT``, ``SUB``, ``PUB`` with a reply
inbox, ``HMSG``, ``PING``/``PONG``) and parses replies with plain bytes operations.

Two ways to read many messages of a subject filter from a sequence on:

- :meth:`BulkReader.batch`: one batch direct get (ADR-31). Cheap to start (one request),
  but the server looks up each message on its own: on a stream of many subjects with a few
  messages each (the ledger's shape) that costs it 15-60 µs of CPU per message;
- :meth:`BulkReader.page`: a *paging pull consumer* (ephemeral, ``ack_policy: none``, in
  memory, one replica), asked for ``batch`` messages with ``no_wait``: the server walks the
  stream once (a few µs per message). Creating the consumer costs a round trip, so the
  reader keeps it as a *cursor* between calls: a page that starts where the previous one
  ended (sequential paging, a replay) is one request on the same consumer; any other page
  deletes it and creates a new one. A consumer the server dropped meanwhile (idle for
  ``PAGE_IDLE`` seconds) is made again. Both answer the same thing: the messages in stream
  order, and how many more match (``pending``).

Scope, kept small on purpose: plain TCP, signed in with a user and password or not at all
(the embedded server and a private cluster); :meth:`BulkReader.usable` says whether a URL
qualifies, and the store falls back to nats-py otherwise (TLS, a creds file). One request
at a time per reader (a lock), each bounded by a timeout; any protocol surprise closes the
connection and raises ``ConnectionError``, so the caller's retry (or fallback) starts clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import orjson

from ledger.nats._client import RawMessage, parse_header_lines
from ledger.nats._servers import Servers

__all__ = ["BulkReader"]

_CRLF = b"\r\n"
_STATUS_EOB = b"204"
_STATUS_NOT_FOUND = b"404"
_STATUS_TIMEOUT = b"408"
_STATUS_NO_RESPONDERS = b"503"
#: seconds a paging consumer lives on the server after its last request
PAGE_IDLE = 30
_NS = 1_000_000_000


class _Cursor(NamedTuple):
    """A paging consumer on the server, and the sequence its next page starts at."""

    stream: str
    subject: str
    next: int
    name: str


class _ConsumerGone(ConnectionError):
    """The paging consumer is no longer on the server (idle too long): make a new one."""


class BulkReader:
    """Batch direct gets on one plain connection; reconnects on the next call after a failure."""

    def __init__(self, url: str, timeout: float, login: tuple[str, str] | None = None) -> None:
        self.servers = Servers(url)
        self.timeout = timeout
        self._login = login
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._inbox = b"_KOERS_BULK." + secrets.token_hex(8).encode()
        self._cursor: _Cursor | None = None
        self._consumers = 0

    @staticmethod
    def usable(url: str) -> bool:
        """Plain ``nats://host:port`` URLs only (no TLS, no credentials)."""
        first = urlsplit(url.split(",", maxsplit=1)[0].strip())
        return first.scheme in ("nats", "") and not first.username and not first.password

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is not None and self._writer is not None:
            return self._reader, self._writer
        reader, writer = await self.servers.open(self.timeout)
        try:
            await self._handshake(reader, writer)
        except BaseException:  # a timeout or cancellation mid-handshake included
            writer.close()
            raise
        self._reader, self._writer = reader, writer
        return reader, writer

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        info = await reader.readline()
        if not info.startswith(b"INFO "):
            raise ConnectionError(f"not a NATS server at {self.servers.current}")
        options: dict[str, object] = {
            "verbose": False,
            "pedantic": False,
            "headers": True,
            "no_responders": True,
            "protocol": 1,
            "name": "koers-bulk-reader",
            "lang": "python",
        }
        if self._login is not None:
            options["user"], options["pass"] = self._login
        writer.write(
            b"CONNECT " + orjson.dumps(options) + _CRLF + b"SUB " + self._inbox + b" 1\r\n"
        )
        writer.write(b"PING\r\n")
        await writer.drain()
        while (line := await reader.readline()) != b"PONG\r\n":
            if not line or line.startswith(b"-ERR"):
                raise ConnectionError(f"NATS refused the connection: {line!r}")

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        cursor, self._cursor = self._cursor, None
        if writer is not None:
            if cursor is not None:
                _delete(writer, cursor)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def batch(
        self, stream: str, subject: str, start: int, size: int
    ) -> tuple[list[RawMessage], int]:
        """Up to ``size`` messages matching ``subject`` from ``start`` on, and how many more."""
        request = orjson.dumps({"seq": max(start, 1), "batch": size, "next_by_subj": subject})
        async with self._lock:
            try:
                return await asyncio.wait_for(self._request(stream, request), self.timeout)
            except BaseException:
                await self.close()
                raise

    async def _request(self, stream: str, request: bytes) -> tuple[list[RawMessage], int]:
        reader, writer = await self._connect()
        api = f"$JS.API.DIRECT.GET.{stream}".encode()
        writer.write(b"PUB %s %s %d\r\n%s\r\n" % (api, self._inbox, len(request), request))
        await writer.drain()
        out: list[RawMessage] = []
        buffer = b""
        while True:
            chunk = await reader.read(1 << 20)
            if not chunk:
                raise ConnectionError("the NATS server closed the connection")
            buffer, pending, pong = _parse(buffer + chunk, out)
            if pong:
                writer.write(b"PONG\r\n")
            if pending is not None:
                return out, pending

    async def page(
        self, stream: str, subject: str, start: int, size: int
    ) -> tuple[list[RawMessage], int]:
        """Up to ``size`` messages matching ``subject`` from ``start`` on, and how many more,
        through a paging pull consumer (see the module docstring)."""
        start = max(start, 1)
        async with self._lock:
            try:
                return await asyncio.wait_for(
                    self._page(stream, subject, start, size), self.timeout
                )
            except BaseException:
                await self.close()
                raise

    async def _page(
        self, stream: str, subject: str, start: int, size: int
    ) -> tuple[list[RawMessage], int]:
        reader, writer = await self._connect()
        cursor, self._cursor = self._cursor, None
        if cursor is not None and cursor[:3] != (stream, subject, start):
            _delete(writer, cursor)
            cursor = None
        for _ in range(2):
            if cursor is None:
                cursor = await self._create(reader, writer, stream, subject, start)
            try:
                out, pending = await self._next(reader, writer, cursor, size)
            except _ConsumerGone:
                cursor = None
                continue
            self._cursor = cursor._replace(next=out[-1].seq + 1 if out else start)
            return out, pending
        raise ConnectionError(f"the paging consumer on {stream} vanished twice in a row")

    async def _create(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        stream: str,
        subject: str,
        start: int,
    ) -> _Cursor:
        self._consumers += 1
        name = f"koers_page_{self._inbox[-16:].decode()}_{self._consumers}"
        config = {
            "name": name,
            "ack_policy": "none",
            "deliver_policy": "by_start_sequence",
            "opt_start_seq": start,
            "filter_subject": subject,
            "mem_storage": True,
            "num_replicas": 1,
            "inactive_threshold": PAGE_IDLE * _NS,
            "replay_policy": "instant",
        }
        request = orjson.dumps({"stream_name": stream, "config": config})
        api = f"$JS.API.CONSUMER.CREATE.{stream}.{name}".encode()
        writer.write(b"PUB %s %s %d\r\n%s\r\n" % (api, self._inbox, len(request), request))
        await writer.drain()
        answer = await _reply(reader, writer)
        if b'"error"' in answer:
            error = orjson.loads(answer).get("error", {})
            raise ConnectionError(f"the paging consumer was refused: {error.get('description')}")
        return _Cursor(stream, subject, start, name)

    async def _next(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cursor: _Cursor,
        size: int,
    ) -> tuple[list[RawMessage], int]:
        request = orjson.dumps({"batch": size, "no_wait": True})
        api = f"$JS.API.CONSUMER.MSG.NEXT.{cursor.stream}.{cursor.name}".encode()
        writer.write(b"PUB %s %s %d\r\n%s\r\n" % (api, self._inbox, len(request), request))
        await writer.drain()
        deliveries = _Deliveries(size)
        buffer = b""
        while not deliveries.done:
            chunk = await reader.read(1 << 20)
            if not chunk:
                raise ConnectionError("the NATS server closed the connection")
            buffer, pong = deliveries.parse(buffer + chunk)
            if pong:
                writer.write(b"PONG\r\n")
        return deliveries.out, deliveries.pending


async def _reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """The payload of the next ``MSG`` on the inbox (a JetStream API answer)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the NATS server closed the connection")
        if line == b"PING\r\n":
            writer.write(b"PONG\r\n")
        elif line.startswith(b"MSG "):
            payload = await reader.readexactly(int(line.split()[-1]) + 2)
            return payload[:-2]
        elif line.startswith((b"-ERR", b"HMSG ")):
            raise ConnectionError(f"unexpected answer to a consumer request: {line!r}")


def _delete(writer: asyncio.StreamWriter, cursor: _Cursor) -> None:
    """Ask the server to delete a paging consumer, without waiting (it would expire anyway)."""
    api = f"$JS.API.CONSUMER.DELETE.{cursor.stream}.{cursor.name}".encode()
    writer.write(b"PUB %s 0\r\n\r\n" % api)


class _Deliveries:
    """A pull request's answer as it arrives: up to ``size`` messages, then (if fewer) a
    status saying there are no more now."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.out: list[RawMessage] = []
        self.pending = 0
        self.done = size <= 0

    def parse(self, buffer: bytes) -> tuple[bytes, bool]:
        """Every complete frame of ``buffer``: (what is left over, whether to send a PONG).

        A delivery is ``HMSG <subject> <sid> <reply> <header bytes> <bytes>`` (``MSG``
        without the header size for a message stored without headers); its reply subject
        ``$JS.ACK.….<stream seq>.<consumer seq>.<time>.<pending>`` gives its sequence and
        how many more match. A frame without a reply subject is a status."""
        position, pong, out = 0, False, self.out
        while not self.done:
            eol = buffer.find(_CRLF, position)
            if eol < 0:
                break
            line = buffer[position:eol]
            head = line[:4]
            if head not in {b"HMSG", b"MSG "}:
                position = eol + 2
                if line == b"PING":
                    pong = True
                elif line.startswith(b"-ERR"):
                    raise ConnectionError(f"NATS refused a pull request: {line!r}")
                continue
            parts = line.split()
            total = int(parts[-1])
            header_len = int(parts[-2]) if head == b"HMSG" else 0
            body = eol + 2
            if len(buffer) < body + total + 2:
                break
            position = body + total + 2
            block = buffer[body : body + header_len]
            if len(parts) == (5 if head == b"HMSG" else 4):  # no reply subject: a status
                self._status(block)
                continue
            tokens = parts[3].split(b".")
            self.pending = int(tokens[-1])
            out.append(
                RawMessage(
                    int(tokens[-4]),
                    parts[1].decode(),
                    LazyHeaders(block),
                    buffer[body + header_len : body + total],
                )
            )
            self.done = len(out) >= self.size
        return buffer[position:], pong

    def _status(self, head: bytes) -> None:
        status = _status(head)
        if status in (_STATUS_NOT_FOUND, _STATUS_TIMEOUT):
            self.done = True  # no more messages now
            if not self.out:
                self.pending = 0
        elif status == _STATUS_NO_RESPONDERS:
            raise _ConsumerGone("the paging consumer is gone")
        elif status != b"100":  # a heartbeat is harmless; anything else is a surprise
            raise ConnectionError(f"a pull request answered {head[: head.find(_CRLF)]!r}")


def _parse(buffer: bytes, out: list[RawMessage]) -> tuple[bytes, int | None, bool]:
    """Parse every complete frame in ``buffer`` into ``out``.

    Returns what is left over, the pending count once the end-of-batch status arrived (else
    ``None``), and whether the server sent a PING.
    """
    position, pong = 0, False
    while True:
        eol = buffer.find(_CRLF, position)
        if eol < 0:
            return buffer[position:], None, pong
        line = buffer[position:eol]
        if line.startswith(b"HMSG "):
            parts = line.split()
            header_len, total = int(parts[-2]), int(parts[-1])
            body_start = eol + 2
            if len(buffer) < body_start + total + 2:
                return buffer[position:], None, pong
            headers = buffer[body_start : body_start + header_len]
            position = body_start + total + 2
            status = _status(headers)
            if status is not None:
                return buffer[position:], _end_of_batch(status, headers), pong
            out.append(_message(headers, buffer[body_start + header_len : body_start + total]))
            continue
        position = eol + 2
        if line == b"PING":
            pong = True
        elif line.startswith((b"-ERR", b"MSG ")):
            raise ConnectionError(f"unexpected reply to a direct get: {line!r}")


def _status(block: bytes) -> bytes | None:
    """The status code of a header block (``NATS/1.0 204 EOB``), or ``None`` for a message."""
    first = block[: block.find(_CRLF)]
    if len(first) <= 8:  # b"NATS/1.0"
        return None
    return first[9:12]


def _end_of_batch(status: bytes, block: bytes) -> int:
    if status == _STATUS_NOT_FOUND:
        return 0
    if status != _STATUS_EOB:
        raise ConnectionError(f"direct get answered {block[: block.find(_CRLF)]!r}")
    return int(_headers(block).get("Nats-Num-Pending", "0"))


def _headers(block: bytes) -> dict[str, str]:
    return parse_header_lines(block.split(_CRLF)[1:])  # after the NATS/1.0 status line


class LazyHeaders(Mapping[str, str]):
    """A message's headers, each looked up in the raw block only when asked for.

    A reader usually needs five or six of an event's ~16 headers, several of them more than
    once (the foreign check, the signature check and the envelope each ask): each is found
    in the raw bytes on its first look-up and remembered. Iterating (or ``dict(...)``)
    parses them all, once. Names are matched exactly, as written by the server.
    """

    __slots__ = ("_found", "_parsed", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._parsed: dict[str, str] | None = None
        self._found: dict[str, str | None] = {}

    def __getitem__(self, key: str) -> str:
        value: str | None = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        if self._parsed is not None:
            return self._parsed.get(key, default)
        found = self._found
        if key in found:
            value = found[key]
            return default if value is None else value
        raw = self._raw
        needle = b"\r\n" + key.encode("ascii") + b":"
        start = raw.find(needle)
        if start < 0:
            found[key] = None
            return default
        start += len(needle)
        value = raw[start : raw.find(_CRLF, start)].strip().decode("utf-8", "replace")
        found[key] = value
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def _all(self) -> dict[str, str]:
        if self._parsed is None:
            self._parsed = _headers(self._raw)
        return self._parsed

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"LazyHeaders({self._all()!r})"


def _message(block: bytes, payload: bytes) -> RawMessage:
    headers = LazyHeaders(block)
    return RawMessage(int(headers["Nats-Sequence"]), headers["Nats-Subject"], headers, payload)
