"""Read a whole stream fast: an ephemeral push consumer on a lean, plain NATS connection.

Measured on the 2-core VM of BENCHMARKS.md, a batch direct get costs the server 16-20 µs of
CPU per message, a push consumer without acks about 5 µs: the audit reads every message, so
it reads through a consumer (``ack_policy: none``, flow control, an idle heartbeat, memory
state, deleted when done). Like ``ledger.nats._bulk`` it speaks only the part of the client
protocol it needs (``CONNECT``, ``SUB``, ``PUB``, ``HMSG``/``MSG``, ``PING``/``PONG``) and
parses with plain bytes operations, so the client keeps up with the server.

Each delivery's reply subject (``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.
<consumer seq>.<time>.<pending>``) gives the stream sequence and how many messages are
still pending. Deliveries must come with consumer sequences 1, 2, 3…; a gap means the
server dropped some (it never should with flow control): the reader then starts a new
consumer after the last message it got, as nats-py's ordered consumer does. Reading ends
at ``stop`` (a stream sequence), when nothing is pending, or at an idle heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncGenerator
from urllib.parse import urlsplit

import orjson

from ledger.audit._frames import Frame
from ledger.nats._servers import Servers

__all__ = ["StreamReader"]

_CRLF = b"\r\n"
_HEARTBEAT_NS = 1_000_000_000
_RETRIES = 3
_FRAMES = frozenset((b"HMSG", b"MSG "))


class _Lost(ConnectionError):
    """Deliveries were skipped; start again after the last one read."""


class StreamReader:
    """Reads ``[start, stop]`` of a stream in order, as lists of :class:`Frame`."""

    def __init__(self, url: str, timeout: float, login: tuple[str, str] | None = None) -> None:
        """``login``: the user and password to sign in with, if the server wants them."""
        self.url = url
        self.servers = Servers(url)
        self.timeout = max(timeout, 2.0)
        self.login = login

    @staticmethod
    def usable(url: str) -> bool:
        """Plain ``nats://host:port`` URLs only (no TLS, no credentials)."""
        first = urlsplit(url.split(",", maxsplit=1)[0].strip())
        return first.scheme in ("nats", "") and not first.username and not first.password

    async def frames(
        self, stream: str, start: int, stop: int | None = None, subject: str | None = None
    ) -> AsyncGenerator[list[Frame], None]:
        """The messages from sequence ``start`` to ``stop`` (inclusive; ``None``: until
        caught up), optionally only those matching ``subject``; retried after a drop."""
        attempts, position = 0, start
        while True:
            try:
                async with contextlib.aclosing(self._read(stream, position, stop, subject)) as it:
                    async for batch in it:
                        position = batch[-1].seq + 1
                        attempts = 0
                        yield batch
            except (_Lost, ConnectionError, TimeoutError):
                attempts += 1
                if attempts > _RETRIES:
                    raise
            else:
                return

    async def _read(
        self, stream: str, start: int, stop: int | None, subject: str | None
    ) -> AsyncGenerator[list[Frame], None]:
        reader, writer = await self.servers.open(self.timeout)
        token = secrets.token_hex(8)
        inbox, replies = f"_KOERS_AUDIT.{token}".encode(), f"_KOERS_AUDITR.{token}".encode()
        consumer: str | None = None
        try:
            info = await asyncio.wait_for(reader.readline(), self.timeout)
            if not info.startswith(b"INFO "):
                raise ConnectionError(f"not a NATS server at {self.servers.current}")
            config: dict[str, object] = {
                "deliver_subject": inbox.decode(),
                "ack_policy": "none",
                "deliver_policy": "by_start_sequence",
                "opt_start_seq": max(start, 1),
                "flow_control": True,
                "idle_heartbeat": _HEARTBEAT_NS,
                "mem_storage": True,
                "num_replicas": 1,
                "inactive_threshold": 30 * _HEARTBEAT_NS,
                "replay_policy": "instant",
            }
            if subject:
                config["filter_subject"] = subject
            request = orjson.dumps({"stream_name": stream, "config": config})
            connect: dict[str, object] = {
                "verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                "protocol": 1, "name": "koers-audit-reader", "lang": "python",
            }  # fmt: skip
            if self.login is not None:
                connect["user"], connect["pass"] = self.login
            options = orjson.dumps(connect)
            writer.write(
                b"CONNECT %s\r\nSUB %s 1\r\nSUB %s.* 2\r\nPUB $JS.API.CONSUMER.CREATE.%s "
                b"%s.create %d\r\n%s\r\n"
                % (options, inbox, replies, stream.encode(), replies, len(request), request)
            )
            state = _State(stop)
            buffer = b""
            while not state.done:
                chunk = await asyncio.wait_for(reader.read(1 << 20), self.timeout)
                if not chunk:
                    raise ConnectionError("the NATS server closed the connection")
                buffer, out, answers = state.parse(buffer + chunk)
                if answers:
                    writer.write(answers)
                    await writer.drain()
                consumer = consumer or state.consumer
                if out:
                    yield out
        finally:
            if consumer is not None:
                with contextlib.suppress(OSError, ConnectionError):
                    api = f"$JS.API.CONSUMER.DELETE.{stream}.{consumer}".encode()
                    writer.write(b"PUB %s 0\r\n\r\n" % api)
                    await asyncio.wait_for(writer.drain(), self.timeout)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), self.timeout)


class _State:
    """What the reader knows while parsing: the consumer, the last sequences, whether done."""

    def __init__(self, stop: int | None) -> None:
        self.stop = stop
        self.consumer: str | None = None
        self.cseq = 0
        self.done = False

    def parse(self, buffer: bytes) -> tuple[bytes, list[Frame], bytes]:
        """Every complete frame of ``buffer``: (rest, messages, protocol answers to send)."""
        out: list[Frame] = []
        add = out.append
        answers = b""
        position, size = 0, len(buffer)
        find, stop, cseq = buffer.find, self.stop, self.cseq
        while not self.done:
            eol = find(_CRLF, position)
            if eol < 0:
                break
            line = buffer[position:eol]
            head = line[:4]
            if head not in _FRAMES:
                position = eol + 2
                answers += _control(line)
                continue
            parts = line.split()
            total = int(parts[-1])
            body = eol + 2
            if size < body + total + 2:
                break
            position = body + total + 2
            hlen = int(parts[-2]) if head == b"HMSG" else 0
            if parts[2] != b"1":
                self._answer(buffer[body + hlen : body + total])
                continue
            if len(parts) != (6 if head == b"HMSG" else 5):  # no reply subject: a status
                answers += self._status(buffer[body : body + hlen])
                continue
            reply = parts[3]
            if not reply.startswith(b"$JS.ACK."):
                answers += b"PUB %s 0\r\n\r\n" % reply  # flow control
                continue
            tokens = reply.split(b".")
            if len(tokens) == 9:  # $JS.ACK.<stream>.<consumer>.<n>.<sseq>.<cseq>.<ts>.<pending>
                seq, next_cseq, pending = int(tokens[5]), int(tokens[6]), tokens[8]
            else:  # with domain and account hash: $JS.ACK.<domain>.<hash>.<stream>.…
                seq, next_cseq, pending = int(tokens[7]), int(tokens[8]), tokens[10]
            if next_cseq != cseq + 1:
                raise _Lost(f"consumer deliveries skipped from {cseq + 1} to {next_cseq}")
            cseq = next_cseq
            add(
                Frame(seq, parts[1], buffer[body : body + hlen], buffer[body + hlen : body + total])
            )
            if pending == b"0" or (stop is not None and seq >= stop):
                self.done = True
        self.cseq = cseq
        return buffer[position:], out, answers

    def _answer(self, payload: bytes) -> None:
        """The reply to creating the consumer: its name, or the server's error."""
        answer = orjson.loads(payload) if payload else {}
        if "error" in answer:
            error = answer["error"]
            code = error.get("code")
            if code == 404:
                self.done = True  # the stream is gone: nothing to read
                return
            raise ConnectionError(f"the consumer was refused: {error.get('description')}")
        self.consumer = str(answer.get("name", "")) or None

    def _status(self, block: bytes) -> bytes:
        """A status message: an idle heartbeat (nothing more now: done), possibly naming a
        stalled flow control to answer."""
        stalled = block.find(b"\r\nNats-Consumer-Stalled:")
        if stalled >= 0:
            start = stalled + len(b"\r\nNats-Consumer-Stalled:")
            subject = block[start : block.find(_CRLF, start)].strip()
            return b"PUB %s 0\r\n\r\n" % subject
        if b" 100 " in block[:20] and b"Idle" in block[:40]:
            self.done = True
        return b""


def _control(line: bytes) -> bytes:
    """The answer to a protocol line that is not a message (``PING``; ``-ERR`` raises)."""
    if line == b"PING":
        return b"PONG\r\n"
    if line.startswith(b"-ERR"):
        raise ConnectionError(f"NATS refused: {line.decode(errors='replace')}")
    return b""
