"""One NATS connection per infrastructure factory, shared by its recorders.

Owns the :class:`~ledger.nats._bridge.Bridge` (the private event loop), the nats-py client
and the embedded server handle (when ``NATS_URL`` is unset). :meth:`NatsConnection.call`
is the one door from synchronous recorder code into asyncio: it applies the timeout and
translates connection failures into :class:`~ledger.errors.StoreUnavailable`.

When the server goes away, nats-py reconnects by itself, for ever, trying every
``RECONNECT_WAIT`` seconds, so clients resume at once when ``koers serve`` has restarted the
server (on the same URL). A request sent on the lost connection never gets its answer:
:meth:`NatsConnection.until_reconnect` ends such a wait at the reconnection instead of at its
timeout, so a write in flight is retried (with the same message ids) right away, and a read
in flight is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from ledger.nats._bridge import Bridge, BridgeTimeout
from ledger.nats._bulk import BulkReader
from ledger.nats._client import FastHeadersClient
from ledger.nats._login import login_for
from ledger.nats.watch import unavailable
from ledger.settings import StoreSettings

__all__ = ["RECONNECT_WAIT", "TRANSIENT_ERRORS", "NatsConnection"]

#: Seconds between two reconnection attempts to one server (nats-py's reconnect_time_wait).
#: Short: the server is local (or a cluster peer), and a refused connect costs nothing.
RECONNECT_WAIT = 0.1

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Errors after which a request may be retried (its outcome may be unknown).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.FlushTimeoutError,
    TimeoutError,
    ConnectionError,
)


class NatsConnection:
    """A connected nats-py client on a private loop, plus the settings it was made with."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.server: Any = None  # ledger.embedded.ServerHandle when the embedded server is used
        self.url = settings.url or self._embedded_url()  # never holds credentials
        self.login = login_for(settings, self._embedded_login())
        self._refusal: str | None = None  # why the server last refused us, if it did
        self.bridge = Bridge()
        self.nc: Client
        self.js: JetStreamContext
        self._reconnected: asyncio.Future[None] | None = None
        wait = settings.timeout * 2 + 1
        try:
            # nats-py retries the first connect forever when reconnects are unlimited (as a
            # long-running client wants): the bridge's timeout bounds it.
            self.nc = self.bridge.run(self._connect(), wait)
        except BridgeTimeout as e:
            self.bridge.close()
            self._stop_server()
            why = self._refusal or f"no connection within {wait:g} s"
            raise unavailable(self.url, why) from e
        except BaseException:
            self.bridge.close()
            self._stop_server()
            raise
        self.js = self.nc.jetstream(timeout=settings.timeout)
        #: the lean reader for bulk reads, on its own plain connection (see ``_bulk``)
        lean = self.login.lean and BulkReader.usable(self.url)
        login = self.login.user_password
        self.bulk = BulkReader(self.url, settings.timeout, login) if lean else None
        # Closes the connection if nobody does (e.g. the view factory a ProjectionRunner
        # makes and drops), at garbage collection or at exit, whichever comes first.
        self._finalizer = weakref.finalize(
            self, _close_quietly, self.bridge, self.nc, self.bulk, settings.timeout
        )

    def _embedded_url(self) -> str:
        from ledger.embedded import Ledger, ensure_server

        settings = self.settings
        ledger = Ledger(settings.stream, settings.subject_prefix)
        self.server = ensure_server(
            settings.data_dir, max_batch_msgs=settings.max_batch, ledger=ledger
        )
        return str(self.server.url)

    def _embedded_login(self, role: str | None = None) -> tuple[str, str] | None:
        """The user and secret of ``role`` (default: the settings' role) on the embedded
        server; ``None`` on a ``NATS_URL``."""
        if self.server is None:
            return None
        credential = self.server.credential(role or self.settings.role)
        return credential.user, credential.password

    @contextlib.asynccontextmanager
    async def admin(self) -> AsyncIterator[JetStreamContext]:
        """JetStream as the ``admin`` user, for creating a stream: on the embedded server a
        short-lived connection of its own (no other user may create the ledger's streams); on
        a ``NATS_URL`` this connection (its credentials decide)."""
        login = self._embedded_login("admin")
        if login is None:
            yield self.js
            return
        client = Client()
        try:
            await client.connect(
                self.url,
                user=login[0],
                password=login[1],
                connect_timeout=max(1, int(self.settings.timeout)),
                allow_reconnect=False,
                name="koers-admin",
            )
        except BaseException:
            await _drop_transport(client)
            raise
        try:
            yield client.jetstream(timeout=self.settings.timeout)
        finally:
            await client.close()

    async def _connect(self) -> Client:
        async def on_error(e: Exception) -> None:
            # A refused publish or request only times out in nats-py, and refused
            # credentials are retried like an unreachable server: say why here.
            text = str(e).lower()
            if "authorization violation" in text:
                self._refusal = _describe(e)
            refused = "permissions violation" in text
            log.log(logging.WARNING if refused else logging.DEBUG, "nats client error: %s", e)

        client = FastHeadersClient()
        try:
            await client.connect(
                self.url.split(","),
                connect_timeout=max(1, int(self.settings.timeout)),
                max_reconnect_attempts=-1,
                reconnect_time_wait=RECONNECT_WAIT,  # type: ignore[arg-type]  # typed int, slept
                error_cb=on_error,
                reconnected_cb=self._on_reconnected,
                name=f"koers-{self.settings.role}",
                **self.login.options(),
            )
        except (OSError, TimeoutError, nats.errors.Error) as e:
            await _drop_transport(client)
            raise unavailable(self.url, _describe(e)) from e
        except BaseException:  # cancelled by the bridge's timeout, mid-handshake
            await _drop_transport(client)
            raise
        return client

    async def _on_reconnected(self) -> None:
        log.info("reconnected to %s", self.url)
        waiter, self._reconnected = self._reconnected, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def until_reconnect(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro``; if the client reconnects first, cancel it and raise
        ``ConnectionReconnectingError`` (transient: the caller retries at once).

        Its request may have been sent on the connection that was lost, and then its answer
        never comes: without this the caller would wait out the whole timeout.
        """
        if self._reconnected is None:
            self._reconnected = asyncio.get_running_loop().create_future()
        reconnected = asyncio.shield(self._reconnected)
        task = asyncio.ensure_future(coro)
        try:
            await asyncio.wait((task, reconnected), return_when=asyncio.FIRST_COMPLETED)
        finally:
            reconnected.cancel()  # the shield only: the shared future stays for others
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise nats.errors.ConnectionReconnectingError

    async def read_again_after_reconnect(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Await ``make()``, and once more each time the client reconnects meanwhile (a read:
        repeating it is harmless). The caller's timeout (:meth:`call`) bounds it all."""
        while True:
            try:
                return await self.until_reconnect(make())
            except nats.errors.ConnectionReconnectingError:
                log.debug("reconnected during a read of %s: reading again", self.url)

    def adopt_server(self, server: Any) -> None:
        """Take over the handle of the server that ``koers serve`` restarted for this data
        directory, so :meth:`close` stops it as it would have stopped the first one."""
        self.server = server

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop; connection trouble becomes ``StoreUnavailable``."""
        wait = timeout if timeout is not None else self.settings.timeout * 2 + 1
        try:
            return self.bridge.run(coro, wait)
        except BridgeTimeout as e:
            raise unavailable(self.url, f"no answer within {wait:g} s") from e
        except TRANSIENT_ERRORS as e:
            raise unavailable(self.url, _describe(e)) from e

    def close(self) -> None:
        """Drain nothing (writes are acknowledged), close the client, stop an owned server."""
        if getattr(self, "_finalizer", None) is not None:
            self._finalizer.detach()
            self.bridge.close(_cleanup(self.nc, self.bulk), timeout=self.settings.timeout)
        else:
            self.bridge.close()
        self._stop_server()

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


async def _drop_transport(client: Client) -> None:
    """Close the socket of a connect that did not finish. nats-py closes the socket of an
    attempt that fails, but not of one cancelled mid-handshake (the bridge's timeout): that
    one stayed open until garbage collection, after its loop had closed. Closing a stream
    only schedules the socket's close on the loop: one turn of the loop runs it before the
    loop may stop (on Python 3.12 it stopped first)."""
    transport = getattr(client, "_transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(0)


async def _cleanup(nc: Client, bulk: BulkReader | None) -> None:
    try:
        if bulk is not None:
            await bulk.close()
    finally:
        await nc.close()


def _close_quietly(bridge: Bridge, nc: Client, bulk: BulkReader | None, timeout: float) -> None:
    """Close from a finalizer (garbage collection or exit); never joins from the loop thread."""
    bridge.close(_cleanup(nc, bulk), timeout=timeout)


def _describe(e: BaseException) -> str:
    text = str(e).strip()
    name = type(e).__name__
    if isinstance(e, nats.errors.NoServersError):
        return "no server answered"
    if "authorization violation" in text.lower():
        return (
            "the server refused the credentials (Authorization Violation): check NATS_USER and "
            "NATS_PASSWORD or NATS_CREDS, or 'koers nats credentials' on the embedded server"
        )
    return f"{name}: {text}" if text and text != name else name
