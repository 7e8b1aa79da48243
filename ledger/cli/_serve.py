"""``koers serve``: the event store, the views and the HTTP API, until Ctrl-C.

:func:`ledger.bootstrap.bootstrap` starts, in order: the application (which starts, or
reuses, the embedded nats-server of the data directory, or connects to ``NATS_URL``), the
auditor (the startup check), the view runner (following the log into
``<data dir>/views.sqlite3``), the workers, then binds the API on ``--host``/``--port``
(loopback by default); this command runs the API with uvicorn. One line on stderr says
where everything is.

While it runs, an embedded nats-server that dies is restarted (same port, with backoff;
see :class:`ledger.embedded.Supervisor`), and so is one whose disk was full once there is
room again: the clients reconnect by themselves and writes resume.

Ctrl-C or SIGTERM stops it cleanly, in reverse order: the API stops accepting and finishes
the requests in flight, the workers stop, the runner stops (the views keep their position),
the auditor signs what is left, the application closes, and an embedded server this command
started stops (every acknowledged event is already on disk). A second Ctrl-C skips waiting
for requests in flight.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from ledger.application import Koers
from ledger.bootstrap import bootstrap
from ledger.cli._address import serving_at
from ledger.cli._common import actor_of, local_credential
from ledger.cli._init import refuse_lost_ledger
from ledger.cli._output import friendly_errors
from ledger.domain import proved_by
from ledger.errors import InvalidValue, NotFound
from ledger.nats.factory import NATSFactory
from ledger.nats.status import StoreStatus, store_status
from ledger.settings import Settings

__all__ = ["serve"]

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the embedded store (and the views) keep their data [env KOERS_DATA_DIR; "
        "default ~/.local/share/koers].",
        show_default=False,
    ),
]


class _Stop:
    """Signal handling from the first moment: a signal before the API runs stops the start."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._signalled = False  # a plain flag: a handler may run inside another's Event.set
        self.stop_api: Callable[[], None] | None = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Python runs a handler between any two bytecodes of the main thread, also inside
        the previous handler's ``Event.set``, whose lock is not re-entrant: only the first
        signal sets the event (a second one took the lock again and hung ``koers serve``)."""
        if not self._signalled:
            self._signalled = True
            self.requested.set()
        if self.stop_api is not None:
            self.stop_api()  # sets flags only; a second signal forces the exit


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _describe(status: StoreStatus, url: str, host: str) -> str:
    """The one line that says where everything is."""
    return (
        f"koers: serving {status.stream} ({status.events} events) at {status.url}"
        + (f", data in {status.data_dir}" if status.embedded else "")
        + f"; API and web page at {url} (OpenAPI: {url}/openapi.json)"
        + ("" if _loopback(host) else " (beyond this machine: put TLS in front of it)")
        + "; Ctrl-C stops it"
    )


def _sign_in(app: Koers, settings: Settings, url: str) -> str:
    """A one-time link that signs the local user in to the web page (as Jupyter prints its
    token URL), or how to become someone the directory knows first."""
    handle = actor_of(None)
    base = (settings.api.public_url or url).rstrip("/")
    try:
        with proved_by(local_credential()):
            secret = app.issue_login_link(
                handle, actor=handle, minutes=settings.access.login_link_minutes
            )
    except (NotFound, InvalidValue):
        return (
            f"koers: to sign in to the web page, add yourself to the directory: koers people "
            f"add {handle} --name '<your name>' --email <address>, then koers login-link {handle}"
        )
    minutes = f"{settings.access.login_link_minutes:g}"
    return (
        f"koers: sign in as {handle} at {base}/login?token={secret} (works once, for "
        f"{minutes} minutes; koers login-link <handle> makes more)"
    )


def serve(
    data_dir: DataDirOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="The address the API listens on (loopback: this machine only) "
            "[env KOERS_API_HOST; default 127.0.0.1].",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="The API's port (0: any free) [env KOERS_API_PORT; default 8000].",
            show_default=False,
        ),
    ] = None,
    views: Annotated[
        bool, typer.Option("--views/--no-views", help="Run the views (team dashboards).")
    ] = True,
    workers: Annotated[
        bool,
        typer.Option("--workers/--no-workers", help="Run the reflection workers (prompts)."),
    ] = True,
) -> None:
    """Run Koers: the event store, the views, the reflection workers and the HTTP API.

    Logs one line saying where it listens. Ctrl-C or SIGTERM stops it cleanly: requests in
    flight finish, and every acknowledged event is already on disk (fsync before each ack).
    """
    stop = _Stop()
    with friendly_errors():
        settings = Settings.from_env(data_dir=data_dir)
        listen = replace(
            settings.api,
            host=host or settings.api.host,
            port=settings.api.port if port is None else port,
        )
        settings = replace(settings, api=listen)
        refuse_lost_ledger(settings)  # never an empty ledger where one was deleted
        settings = settings.with_store(create_stream=True)  # a new ledger's streams
        with bootstrap(
            settings, supervise=True, audit=True, views=views, workers=workers, api=True
        ) as runtime:
            factory = runtime.app.factory
            assert isinstance(factory, NATSFactory)  # the auditor refuses any other store
            status = store_status(factory)
            api = runtime.api
            assert api is not None
            stop.stop_api = api.stop
            typer.echo(_describe(status, api.url, api.host), err=True)
            typer.echo(_sign_in(runtime.app, settings, api.url), err=True)
            # for koers login-link's links, and one-shot commands through this serve
            with serving_at(settings, api.url, runtime.local_secret):
                if stop.requested.is_set():
                    api.socket.close()
                else:
                    api.run()
            typer.echo("koers: stopping", err=True)
