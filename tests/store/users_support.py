"""Signing in to a nats-server over a plain socket, to see what it answers.

nats-py leaves its socket open when a connect is refused (a ResourceWarning that pytest
reports as an error), so the tests that expect a refusal speak the protocol themselves.
"""

from __future__ import annotations

import json
import socket
import time

__all__ = ["sign_in", "wait_for_port"]


def sign_in(port: int, user: str | None = None, password: str | None = None) -> str:
    """CONNECT (as ``user``, or anonymously) and PING: the server's first answer line,
    ``PONG`` when it let the client in, ``-ERR 'Authorization Violation'`` when not."""
    connect: dict[str, object] = {"verbose": False, "pedantic": False, "protocol": 1}
    if user is not None:
        connect["user"], connect["pass"] = user, password or ""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        stream = sock.makefile("rwb")
        assert stream.readline().startswith(b"INFO ")
        stream.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        stream.flush()
        return stream.readline().decode().strip()


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Until a server greets on ``port`` (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(5) == b"INFO ":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"no nats-server greeted on port {port} within {timeout} s")
        time.sleep(0.05)
