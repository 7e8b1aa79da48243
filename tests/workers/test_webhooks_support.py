"""A local webhook receiver for the webhook tests and the benchmark (no tests here).

:class:`Receiver` is an HTTP server on 127.0.0.1 in a thread. It answers 500 to the first
``fail_first`` attempts of each ``webhook-id`` (every attempt while ``failing``), 204 after,
and keeps every attempt it was sent and every delivery it took, as a receiver deduping by
``webhook-id`` would count them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "Receiver", "receiving"]


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    phase: int = 0  # the receiver's phase when it took it (a test's own marker)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    fail_first: int = 0
    failing: bool = False
    attempts: Counter[str] = field(default_factory=Counter)
    taken: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    phase: int = 0

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            ident = headers.get("webhook-id", "")
            self.attempts[ident] += 1
            if self.failing or self.attempts[ident] <= self.fail_first:
                return 500
            self.taken.append(Received(headers, body, self.phase))
            return 204

    def ids(self) -> Counter[str]:
        """How often each ``webhook-id`` was taken (more than once: a duplicate)."""
        with self.lock:
            return Counter(r.id for r in self.taken)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            try:
                body = self.rfile.read(length)
            except OSError:  # the sender died mid-request (a kill test)
                return
            if len(body) < length:  # cut off: a receiver takes no part of a delivery
                return
            status = receiver.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

        def handle(self) -> None:
            try:
                super().handle()
            except OSError:  # the sender died with the connection open (a kill test)
                return

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the senders open dozens of connections at once


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    """A :class:`Receiver` listening on a free port of 127.0.0.1 until the block ends."""
    receiver = Receiver(**options)
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
