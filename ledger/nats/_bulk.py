"""A lean reader for bulk reads: batch direct gets over its own plain NATS connection.

Reading is where nats-py's per-message machinery (futures, a queue and a task hop per
message, a generic header parser) costs most: with ~16 headers per event it tops out near
30k messages/s on this kind of machine. Paging the notification log and verifying the
audit trail read every event, so they use this reader: it speaks the small part of the
NATS client protocol a request/reply needs (``CONNECT``, ``SUB``, ``PUB`` with a reply
inbox, ``HMSG``, ``PING``/``PONG``) and parses replies with plain bytes operations.

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
from urllib.parse import urlsplit

import orjson

from ledger.nats._client import RawMessage, parse_header_lines
from ledger.nats._servers import Servers

__all__ = ["BulkReader"]

_CRLF = b"\r\n"
_STATUS_EOB = b"204"
_STATUS_NOT_FOUND = b"404"


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
        if writer is not None:
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

    A reader usually needs four or five of an event's ~16 headers; finding those in the raw
    bytes costs a fraction of parsing them all. Iterating (or ``dict(...)``) parses them all,
    once. Names are matched exactly, as written by the server.
    """

    __slots__ = ("_parsed", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._parsed: dict[str, str] | None = None

    def __getitem__(self, key: str) -> str:
        if self._parsed is not None:
            return self._parsed[key]
        needle = b"\r\n" + key.encode("ascii") + b":"
        start = self._raw.find(needle)
        if start < 0:
            raise KeyError(key)
        start += len(needle)
        return self._raw[start : self._raw.find(_CRLF, start)].strip().decode("utf-8", "replace")

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
