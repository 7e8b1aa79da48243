"""``koers serve``: the event store, the views and the HTTP API, until Ctrl-C.

In order: the application (which starts, or reuses, the embedded nats-server of the data
directory, or connects to ``NATS_URL``), the view runner (following the log into
``<data dir>/views.sqlite3``), then the API with uvicorn on ``--host``/``--port`` (loopback
by default). One line on stderr says where everything is.

Ctrl-C or SIGTERM stops it cleanly, in reverse order: the API stops accepting and finishes
the requests in flight, the runner stops (the views keep their position), the application
closes, and an embedded server this command started stops (every acknowledged event is
already on disk). A second Ctrl-C skips waiting for requests in flight.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.application import Koers
from ledger.cli._output import friendly_errors
from ledger.errors import ConfigurationError
from ledger.nats.factory import NATSFactory
from ledger.nats.status import store_status
from ledger.settings import Settings

if TYPE_CHECKING:
    from ledger.api._server import ApiServer

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
        self.api: ApiServer | None = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested.set()
        if self.api is not None:
            self.api.stop()  # a second signal forces the exit


def _views_env(settings: Settings) -> dict[str, str]:
    """The views' settings (``KOERSVIEWS_*`` from the environment) and the store's."""
    own = {k: v for k, v in os.environ.items() if k.startswith("KOERSVIEWS_")}
    return {**own, **settings.store_env()}


def _start_views(settings: Settings, koers: Koers) -> Any:
    from projections import ViewRunner

    try:
        return ViewRunner(_views_env(settings), app=koers).start()
    except RuntimeError as e:  # ViewsBusy: another process maintains these views
        raise ConfigurationError(f"{e}; or start this one with --no-views") from None


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _listen(koers: Koers, runner: Any, host: str, port: int) -> ApiServer:
    from ledger.api import create_api  # imported late: the API imports the CLI's helpers
    from ledger.api._server import ApiServer

    try:
        return ApiServer(create_api(koers, runner), host, port)
    except OSError as e:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({e.strerror or e}): pick another --port or "
            f"--host, or stop what uses it"
        ) from None


def serve(
    data_dir: DataDirOption = None,
    host: Annotated[
        str, typer.Option(help="The address the API listens on (loopback: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="The API's port (0: any free).")
    ] = 8000,
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
        koers = Koers(env=settings.store_env())
        runner: Any = None
        prompts: Any = None
        auditor: Any = None
        try:
            factory = koers.factory
            assert isinstance(factory, NATSFactory)
            status = store_status(factory)
            from ledger.audit.startup import start_auditing

            # Verifies the log against the signed checkpoints before anything is served
            # (LogTampered stops here), then keeps signing checkpoints while serving.
            auditor = start_auditing(replace(settings, nats_url=status.url))
            runner = _start_views(settings, koers) if views else None
            if workers:
                from workers import start_workers

                prompts = start_workers(replace(settings, nats_url=status.url))
            api = stop.api = _listen(koers, runner, host, port)
            typer.echo(
                f"koers: serving {status.stream} ({status.events} events) at {status.url}"
                + (f", data in {status.data_dir}" if status.embedded else "")
                + f"; API and web page at {api.url} (OpenAPI: {api.url}/openapi.json)"
                + (
                    ""
                    if _loopback(host)
                    else " (no authentication: anyone who reaches it can read and write)"
                )
                + "; Ctrl-C stops it",
                err=True,
            )
            if stop.requested.is_set():
                api.socket.close()
            else:
                api.run()
            typer.echo("koers: stopping", err=True)
        finally:
            if prompts is not None:
                prompts.stop()  # before the app closes: an embedded server it owns is still up
            if runner is not None:
                runner.close()
            if auditor is not None:
                auditor.close()  # signs what is left; before the app closes its server
            koers.close()
