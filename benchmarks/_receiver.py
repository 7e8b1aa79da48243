"""A webhook receiver for the benchmark, in a process of its own: plain asyncio HTTP/1.1 on
127.0.0.1 (keep-alive), answering every POST 204 and counting it by ``webhook-id``;
``GET /count`` answers ``{"taken": n, "unique": m}``. It prints its port, then serves until
killed. Run: ``python -m benchmarks._receiver``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Receiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.taken = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method = head[0].split(" ", 1)[0]
                headers = {}
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length") or 0))
                writer.write(self._answer(method, headers))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def _answer(self, method: str, headers: dict[str, str]) -> bytes:
        if method == "GET":
            body = json.dumps({"taken": self.taken, "unique": len(self.ids)}).encode()
            return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        self.taken += 1
        self.ids[headers.get("webhook-id", "")] += 1
        return _NO_CONTENT


async def main() -> None:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
