"""Sending one delivery: e-mail over SMTP, chat over an incoming webhook.

Each send either returns (the server or endpoint accepted it: SMTP ``250`` after the data,
HTTP ``2xx``) or raises :class:`SendFailed` saying why; the caller retries with backoff. A
chat URL pointing into a private network is not sent to (:mod:`workers._guard`).

SMTP (:class:`Mailer`) uses the standard library in a thread: ``smtp://`` with STARTTLS
when a user is given or on port 587 (plain otherwise, for a local server), ``smtps://`` TLS
from the start; login when a user is given. A connection is kept open after a send for the
next one (up to :data:`IDLE_MOST` of them, each for :data:`IDLE_SECONDS`; checked with
``NOOP`` before it is used again): connecting, greeting and quitting per message were half
of the round trips of a send, and a TLS handshake more on a real server. The ``Message-ID`` is
``<delivery id@host>`` (a re-send after the unclosable window carries the same one) and
``In-Reply-To``/``References`` name ``<item@host>``, so one item's messages thread together.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import anyio.to_thread
import httpx

from workers._guard import destination_problem
from workers._notices import email, slack, teams
from workers._outbox import Delivery

__all__ = ["Mailer", "SendFailed", "Senders"]

TIMEOUT = 30.0
#: Connections kept open between sends, and for how long (servers close idle ones after
#: minutes: RFC 5321 asks them to wait at least five).
IDLE_MOST = 16
IDLE_SECONDS = 60.0
_HOSTNAME = socket.gethostname() or "koers"
STARTTLS_PORT = 587
SMTP_OK = 250


class SendFailed(Exception):
    """The server or endpoint did not accept the delivery (this time)."""


class Mailer:
    """E-mail through the SMTP server of ``KOERS_SMTP_URL``."""

    def __init__(self, url: str, sender: str, host: str) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.starttls = not self.tls and (bool(self.user) or self.port == STARTTLS_PORT)
        self.sender = sender
        self.domain = host
        # Made once, and only for TLS: loading the system's CA certificates costs ~50 ms of
        # CPU, which per message was most of a send's cost (BENCHMARKS.md, issue 13).
        self.context = ssl.create_default_context() if self.tls or self.starttls else None
        self._idle: list[tuple[smtplib.SMTP, float]] = []  # open, and since when unused
        self._lock = threading.Lock()

    def message_id(self, token: str) -> str:
        return f"<{token}@{self.domain}>"

    async def send(self, delivery: Delivery) -> None:
        try:
            await anyio.to_thread.run_sync(self._send, delivery)
        except (OSError, smtplib.SMTPException) as e:
            raise SendFailed(f"SMTP {self.host}:{self.port}: {e}") from e

    def _send(self, delivery: Delivery) -> None:
        """Compose (in this thread too: the e-mail's headers take milliseconds to parse,
        which the event loop's other sends should not wait for) and send."""
        message = email(
            delivery.notice,
            sender=self.sender,
            to=delivery.to,
            message_id=self.message_id(delivery.id),
            thread=self.message_id(delivery.thread),
            date=datetime.now(UTC),
        )
        smtp = self._idle_one() or self._connect()
        try:
            smtp.send_message(message)
        except BaseException:
            _close(smtp)  # in an unknown state: never used again
            raise
        with self._lock:
            if len(self._idle) < IDLE_MOST:
                self._idle.append((smtp, time.monotonic()))
                return
        _close(smtp)

    def _idle_one(self) -> smtplib.SMTP | None:
        """A connection kept from an earlier send that still answers, if there is one."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                smtp, since = self._idle.pop()
            if time.monotonic() - since < IDLE_SECONDS:
                try:
                    if smtp.noop()[0] == SMTP_OK:
                        return smtp
                except (OSError, smtplib.SMTPException):
                    pass  # closed by the server meanwhile: try the next, or a new one
            _close(smtp)

    def _connect(self) -> smtplib.SMTP:
        context = self.context
        smtp: smtplib.SMTP
        name = _HOSTNAME  # smtplib's default looks it up in DNS on every connection
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, name, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, name, timeout=TIMEOUT)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def close(self) -> None:
        """Quit the connections kept open."""
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _ in idle:
            _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    """Quit politely if the server still listens; close the socket either way."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


class Senders:
    """The senders by channel; e-mail only when ``KOERS_SMTP_URL`` is set."""

    def __init__(self, mailer: Mailer | None, *, allow_private: bool = False) -> None:
        self.mailer = mailer
        self.allow_private = allow_private
        self.http = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)

    async def send(self, delivery: Delivery) -> None:
        if delivery.channel == "email":
            if self.mailer is None:
                raise SendFailed("KOERS_SMTP_URL is not set: e-mail waits until it is")
            await self.mailer.send(delivery)
            return
        render = slack if delivery.channel == "slack" else teams
        refused = None if self.allow_private else await destination_problem(delivery.to)
        if refused is not None:
            raise SendFailed(f"{delivery.channel} webhook: {refused}")
        try:
            response = await self.http.post(delivery.to, json=render(delivery.notice))
        except httpx.HTTPError as e:
            raise SendFailed(f"{delivery.channel} webhook: {type(e).__name__}: {e}") from e
        if not response.is_success:
            raise SendFailed(f"{delivery.channel} webhook answered {response.status_code}")

    async def close(self) -> None:
        await self.http.aclose()
        if self.mailer is not None:
            await anyio.to_thread.run_sync(self.mailer.close)
