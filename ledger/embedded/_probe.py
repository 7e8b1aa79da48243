"""The readiness probe: a JetStream account-info request in the raw NATS text protocol."""

from __future__ import annotations

import io
import json
import secrets
import socket
import time
from typing import Any

from ledger.embedded._constants import LOOPBACK

__all__ = ["probe_problem"]

_MAX_PROTOCOL_LINE = 64 * 1024
_MAX_PROBE_LINES = 20


def probe_problem(
    port: int, server_name: str, timeout: float, login: tuple[str, str] | None = None
) -> str | None:
    """Ask 127.0.0.1:``port`` for its JetStream account info; ``None`` when ready, else why not.

    ``login`` (user, password) signs in: the embedded server refuses anonymous clients.

    Ready means: the listener is the nats-server named ``server_name`` (so not some other
    program on that port) and its JetStream API answered. This speaks the text protocol over
    a plain socket instead of using nats-py: it needs no event loop (callers may be inside
    one) and always closes its socket, whereas nats-py 2.16 leaks the socket when a connect
    attempt times out and treats ``max_reconnect_attempts=0`` as "retry forever".
    """
    deadline = time.monotonic() + timeout
    inbox = f"_INBOX.koers_probe.{secrets.token_hex(8)}"
    try:
        with (
            socket.create_connection((LOOPBACK, port), timeout=timeout) as sock,
            sock.makefile("rwb") as stream,
        ):
            info = _read_info(stream)
            if info.get("server_name") != server_name:
                return f"port {port} is answered by another server ({info.get('server_name')!r})"
            stream.write(_probe_request(inbox, login))
            stream.flush()
            return _read_api_reply(sock, stream, deadline)
    except (OSError, ValueError) as e:
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _read_info(stream: io.BufferedIOBase) -> dict[str, Any]:
    line = stream.readline(_MAX_PROTOCOL_LINE)
    if not line.startswith(b"INFO "):
        raise ValueError(f"not a NATS server (it greeted with {line[:40]!r})")
    info = json.loads(line[5:])
    if isinstance(info, dict):
        return info
    raise ValueError("not a NATS server (its INFO is not an object)")


def _probe_request(inbox: str, login: tuple[str, str] | None) -> bytes:
    connect: dict[str, object] = {
        "verbose": False,
        "pedantic": False,
        "headers": True,
        "no_responders": True,
        "protocol": 1,
        "name": "koers-embedded-probe",
        "lang": "python",
        "version": "0",
    }
    if login is not None:
        connect["user"], connect["pass"] = login
    return (
        f"CONNECT {json.dumps(connect)}\r\nSUB {inbox} 1\r\n"
        f"PUB $JS.API.INFO {inbox} 0\r\n\r\nPING\r\n"
    ).encode()


def _read_api_reply(sock: socket.socket, stream: io.BufferedIOBase, deadline: float) -> str | None:
    """Read protocol lines until the JetStream API reply (or a refusal) arrives."""
    for _ in range(_MAX_PROBE_LINES):
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        line = stream.readline(_MAX_PROTOCOL_LINE)
        if not line:
            return "the server closed the connection"
        op, _, rest = line.strip().partition(b" ")
        if op == b"MSG":
            payload = stream.read(int(rest.split()[-1]) + 2)
            return _account_info_problem(payload)
        if op == b"HMSG":
            return "JetStream is not enabled (no responders for $JS.API.INFO)"
        if op == b"-ERR":
            return f"the server refused the probe: {rest.decode(errors='replace')}"
        if op == b"PING":
            stream.write(b"PONG\r\n")
            stream.flush()
    return "no JetStream answer"


def _account_info_problem(payload: bytes) -> str | None:
    reply = json.loads(payload)
    error = reply.get("error") if isinstance(reply, dict) else None
    if error is None:
        return None
    return f"JetStream answered error {error.get('err_code')}: {error.get('description')}"
