"""The servers of a ``NATS_URL`` list, for the lean readers that speak NATS themselves.

nats-py connects to any server of the list and moves on when one goes; the lean readers
(the bulk reader, the audit trail's stream reader) do the same through :class:`Servers`: a
connection goes to the server that answered last, else to the next ones in turn, so a
cluster node that is down costs one refused connection, not the reader.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

__all__ = ["Servers"]

_LIMIT = 1 << 24  # the largest line a reader takes: a batch reply's payload


class Servers:
    """Every ``host:port`` of a comma-separated URL list."""

    def __init__(self, url: str) -> None:
        parts = [urlsplit(one.strip()) for one in url.split(",") if one.strip()]
        self.all = [(p.hostname or "127.0.0.1", p.port or 4222) for p in parts] or [
            ("127.0.0.1", 4222)
        ]
        self._at = 0

    @property
    def current(self) -> str:
        host, port = self.all[self._at]
        return f"{host}:{port}"

    async def open(self, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to the server that answered last, else to the next one that does;
        ``ConnectionError`` naming them all when none does."""
        problems = []
        for step in range(len(self.all)):
            index = (self._at + step) % len(self.all)
            host, port = self.all[index]
            try:
                opened = asyncio.open_connection(host, port, limit=_LIMIT)
                reader, writer = await asyncio.wait_for(opened, timeout)
            except (OSError, TimeoutError) as e:
                problems.append(f"{host}:{port}: {e or type(e).__name__}")
                continue
            self._at = index
            return reader, writer
        raise ConnectionError(f"no NATS server answers ({'; '.join(problems)})")
