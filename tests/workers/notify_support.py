"""Receivers for the notification tests (this module holds no tests): an SMTP server
(aiosmtpd, in a thread of its own, 127.0.0.1 on a free port) that keeps every message it
accepts, an HTTP receiver standing in for Slack's and Teams' incoming webhooks, and the
checks of what those services accept."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from ledger.embedded._config import free_port
from ledger.settings import WorkerSettings
from tests.workers.test_workers_support import nats_call

__all__ = [
    "Inbox",
    "Receiver",
    "check_slack",
    "check_teams",
    "fire",
    "free_port",
    "receiver",
    "settled",
    "smtp_server",
]

_MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


class Inbox:
    """What the SMTP server accepted, in order (the raw bytes and each Message-ID, parsed
    when asked for); ``refuse`` makes it answer 451 (try later) that many times."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self._ids: list[str] = []
        self.refuse = 0
        #: the client's address and port of each message accepted: one per connection
        self.peers: list[Any] = []
        self._lock = threading.Lock()

    def accept(self, content: bytes, peer: Any = None) -> str:
        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 try again later"
            self.raw.append(content)
            self.peers.append(peer)
            found = _MESSAGE_ID.search(content)
            self._ids.append(found[1].decode() if found else "")
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.raw)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]  # type: ignore[misc]

    def count(self) -> int:
        with self._lock:
            return len(self.raw)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._ids)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _Handler:
    """aiosmtpd's handler (apart from the inbox: aiosmtpd inspects every member of its
    handler on every connection, and the inbox's ``messages`` parses them all)."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self.inbox.accept(envelope.content, session.peer)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[str, Inbox]]:
    """A local SMTP server (on ``port``, or a free one): its ``smtp://`` URL and its inbox."""
    inbox = Inbox()
    port = port or free_port()
    # a fixed name: the default looks the host's name up in DNS on every connection
    controller = Controller(
        _Handler(inbox), hostname="127.0.0.1", port=port, server_hostname="inbox.test"
    )
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


class Receiver:
    """The JSON bodies posted to each path; ``failures[path]`` answers 500 that often first."""

    def __init__(self) -> None:
        self.bodies: dict[str, list[Any]] = {}
        self.failures: dict[str, int] = {}
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.url = ""


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A local HTTP server standing in for incoming webhooks."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.attempts[self.path] = state.attempts.get(self.path, 0) + 1
                failing = state.failures.get(self.path, 0) > 0
                if failing:
                    state.failures[self.path] -= 1
                else:
                    state.bodies.setdefault(self.path, []).append(json.loads(body))
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def check_slack(payload: dict[str, Any]) -> None:
    """What Slack's incoming webhooks accept (api.slack.com/reference/block-kit/blocks):
    a ``text`` fallback, at most 50 blocks of known types, their texts within limits."""
    assert isinstance(payload["text"], str)
    assert payload["text"].strip()
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert block["type"] in {"header", "section", "actions", "divider", "context"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert block["text"]["type"] in {"mrkdwn", "plain_text"}
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button"
                assert button["text"]["type"] == "plain_text"
                assert 0 < len(button["text"]["text"]) <= 75
                assert button["url"].startswith("http")
                assert len(button["url"]) <= 3000


def check_teams(card: dict[str, Any]) -> None:
    """What a Teams incoming webhook accepts as a MessageCard (legacy actionable message
    card reference): the type and context, a summary or text, sections, OpenUri actions."""
    assert card["@type"] == "MessageCard"
    assert card["@context"] == "https://schema.org/extensions"
    assert card["summary"] or card["text"]
    assert all("activityTitle" in s or "text" in s for s in card["sections"])
    for action in card["potentialAction"]:
        assert action["@type"] == "OpenUri"
        assert action["name"]
        assert all(t["os"] == "default" and t["uri"].startswith("http") for t in action["targets"])


def settled(settings: WorkerSettings, *durables: tuple[str, str]) -> bool:
    """Whether each of the ``(stream, durable)`` consumers has nothing pending."""

    async def check(nc: Any) -> bool:
        js = nc.jetstream()
        for stream, durable in durables:
            info = await js.consumer_info(stream, durable)
            if info.num_pending or info.num_ack_pending:
                return False
        return True

    return bool(nats_call(settings.store_env["NATS_URL"], check))


def fire(url: str, stream: str, subject: str, body: bytes = b"{}") -> None:
    """Publish what a digest's cron schedule publishes when it is due."""

    async def publish(nc: Any) -> None:
        await nc.jetstream().publish(subject, body, stream=stream)

    nats_call(url, publish)
