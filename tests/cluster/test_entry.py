"""The entry in front of the API processes: round robin over those that answer, 503 when
none does (real sockets on 127.0.0.1, so marked ``nats`` like the rest of this folder's
network tests)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from ledger.cluster import Entry, parse_address
from ledger.embedded._config import free_port


async def _backend(name: bytes) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(name), name))
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


async def _get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = await reader.read()
    writer.close()
    return answer


def _port(server: asyncio.Server) -> int:
    sock: socket.socket = server.sockets[0]
    port: int = sock.getsockname()[1]
    return port


def test_connections_go_round_robin_to_the_processes_that_answer() -> None:
    async def scenario() -> list[bytes]:
        first, second = await _backend(b"api-1"), await _backend(b"api-2")
        listen = free_port()
        entry = Entry(
            ("127.0.0.1", listen), [("127.0.0.1", _port(first)), ("127.0.0.1", _port(second))]
        )
        stop = asyncio.Event()
        serving = asyncio.create_task(entry.serve(stop))
        await asyncio.sleep(0.1)
        seen = [(await _get(listen)).rsplit(b"\n", 1)[-1] for _ in range(4)]
        second.close()
        await second.wait_closed()
        seen += [(await _get(listen)).rsplit(b"\n", 1)[-1] for _ in range(2)]
        first.close()
        await first.wait_closed()
        seen.append((await _get(listen)).split(b"\r\n", 1)[0])
        stop.set()
        await serving
        return seen

    seen = asyncio.run(scenario())
    assert seen[:4] in ([b"api-1", b"api-2"] * 2, [b"api-2", b"api-1"] * 2)
    assert seen[4:6] == [b"api-1", b"api-1"]  # the one left answers everything
    assert seen[6] == b"HTTP/1.1 503 Service Unavailable"


@pytest.mark.parametrize("bad", ["8000", "host:", ":80", "h:99999", "h:x"])
def test_an_address_that_is_not_host_port_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_address(bad)
