"""Run the API with uvicorn on a socket bound up front (so ``--port 0`` works and a taken
port fails at once), quietly (uvicorn logs only warnings), stopped on request.

Shutdown is uvicorn's graceful one: stop accepting, let in-flight requests finish (at most
``graceful`` seconds), then return. Signals are the caller's business: :meth:`ApiServer.stop`
is what a signal handler calls (a second call forces the exit).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

__all__ = ["ApiServer"]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the caller installs its own handlers (uvicorn would re-raise them after)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections: without it a reply
    # written in two parts waits ~40 ms for the client's delayed ACK (measured).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ApiServer:
    """One uvicorn server for an ASGI app, listening on ``host:port`` (0: a free port)."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 8000, *,
                 graceful: int = 10) -> None:  # fmt: skip
        self.socket = _bind(host, port)
        self.host, self.port = host, int(self.socket.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=graceful,
        )
        self.server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until :meth:`stop`; returns after the graceful shutdown."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def stop(self) -> None:
        """Stop accepting and finish in-flight requests; called again, stop at once."""
        if self.server.should_exit:
            self.server.force_exit = True
        self.server.should_exit = True

    # -- in a background thread (tests, embedding) -------------------------------------------

    def start(self) -> ApiServer:
        self._thread = threading.Thread(target=self.run, name="koers-api", daemon=True)
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            self._thread.join(0.01)
        return self

    def close(self, timeout: float = 15.0) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.socket.close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
