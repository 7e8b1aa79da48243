"""Fixtures shared by the tests of credentials' verification. Nothing here needs a server:
the sign-on tests make their own keys and serve the issuer's key set, when they need a URL,
from a thread on the loopback (``tests.access.issuer``). Any other connection fails."""

from __future__ import annotations

import socket

import pytest

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refused(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in _LOOPBACK:
            raise AssertionError(f"{request.node.nodeid} connects to {address!r}: not loopback")

    def guarded_connect(self: socket.socket, address: object) -> None:
        refused(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        refused(address)
        return connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
