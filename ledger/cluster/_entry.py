"""The entry: one address in front of the API processes (``koers cluster entry``).

A TCP proxy, small on purpose: each client connection goes to the next API process in
turn (round robin); one that refuses the connection is skipped for the next, and when none
answers the client gets a 503 that says so. It knows nothing of HTTP beyond that answer, so
a keep-alive connection stays with one process, and every request works on any process (they
share the ledger and hold no session state of their own: sessions are signed cookies).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal

__all__ = ["Entry", "parse_address", "run_entry"]

_CONNECT_TIMEOUT = 2.0
_CHUNK = 64 * 1024


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` as a pair; ``ValueError`` saying what is wrong."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port (e.g. 127.0.0.1:8001)")
    return host, int(port)


class Entry:
    """Listens on ``listen`` and hands each connection to one of ``backends``."""

    def __init__(self, listen: tuple[str, int], backends: list[tuple[str, int]]) -> None:
        if not backends:
            raise ValueError("the entry needs at least one API process behind it (--backend)")
        self.listen = listen
        self.backends = backends
        self._turn = itertools.cycle(range(len(backends)))

    async def serve(self, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._handle, *self.listen)
        async with server:
            await stop.wait()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream = await self._connect()
        if upstream is None:
            body = b"no API process behind the entry answers: retry in a few seconds\n"
            client_w.write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
                b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await _close(client_w)
            return
        up_r, up_w = upstream
        await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in self.backends:
            host, port = self.backends[next(self._turn)]
            with contextlib.suppress(OSError, TimeoutError):
                return await asyncio.wait_for(asyncio.open_connection(host, port), _CONNECT_TIMEOUT)
        return None


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until ``source`` ends, then end ``sink``."""
    with contextlib.suppress(OSError, ConnectionError):
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
    await _close(sink)


async def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        writer.close()
        await writer.wait_closed()


def run_entry(entry: Entry) -> None:
    """Serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await entry.serve(stop)

    asyncio.run(main())
