"""The composition root: the one place that builds a Koers process from its settings.

:func:`bootstrap` starts what a command asks for, always in this order, and closes it in
the reverse order (also when a later part fails to start)::

    settings ─► store + application ─► supervisor ─► auditor ─► views ─► workers ─► API
                (Koers, on NATS or     (serve: keeps (startup   (live    (prompts)  (bound
                 POPO in memory)        its server)   check)     runner)             socket)

Why this order: the application starts (or reuses) the embedded nats-server, so everything
after it connects to the URL it found; the auditor verifies the log before anything is
served and signs what is left when closed, before the application stops the server; the
views and workers follow the log; the API comes last because it serves all of them.

Used by ``koers serve`` (everything), ``koers worker`` (:func:`run_workers`), the CLI's
one-shot commands (the application alone), ``koers status`` and ``koers deadletters``
(:func:`store_factory`) and the tests (on POPO with
``Settings(store=StoreSettings(persistence_module="eventsourcing.popo"))``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.application import Koers
from ledger.domain import AGGREGATES
from ledger.errors import ConfigurationError
from ledger.nats.factory import NATSFactory
from ledger.settings import Settings, StoreSettings

#: The kinds ``koers serve`` reads into memory as it starts: the directory behind every
#: access check, and what the pages list (the decision log, delegations, KPIs, tokens).
WARM_KINDS = ("person", "team", "decision", "delegation", "kpi", "token")

if TYPE_CHECKING:
    from ledger.api._server import ApiServer
    from ledger.audit.startup import AuditService
    from ledger.embedded import Supervisor
    from projections import LiveViews, SharedViews, ViewRunner
    from workers import WorkerHandle

__all__ = ["Runtime", "bootstrap", "popo_settings", "run_workers", "store_factory"]


class Runtime:
    """The parts of one running Koers process; ``None`` for a part not asked for.

    ``settings`` is what they were built from, with the store's URL filled in once the
    application found (or started) its server.
    """

    def __init__(self, settings: Settings, app: Koers) -> None:
        self.settings = settings
        self.app = app
        self.auditor: AuditService | None = None
        self.views: LiveViews | None = None
        self.workers: WorkerHandle | None = None
        self.api: ApiServer | None = None
        #: The API's local administrator's secret (``koers serve`` keeps it in the data dir).
        self.local_secret: str | None = None
        self.supervisor: Supervisor | None = None


@contextmanager
def bootstrap(
    settings: Settings,
    *,
    audit: bool = False,
    views: bool = False,
    workers: bool = False,
    api: bool = False,
    supervise: bool = False,
) -> Iterator[Runtime]:
    """Start the application and the parts asked for, in order; close them in reverse.

    ``supervise`` (``koers serve``): restart the embedded nats-server when it dies.
    """
    with ExitStack() as stack:
        app = Koers(env=settings.store.as_env())
        app.cache_seconds = settings.access.cache_seconds
        stack.callback(app.close)
        runtime = Runtime(_with_url(settings, app), app)
        if supervise:
            runtime.supervisor = _supervise(app, stack)
        if audit:
            runtime.auditor = _start_auditor(runtime, stack)
        if views:
            runtime.views = _start_views(runtime, stack)
        elif api and settings.views.url:
            runtime.views = _share_views(runtime, stack)
        if workers:
            runtime.workers = _start_workers(runtime, stack)
        if api:
            runtime.api = _bind_api(runtime, stack)
        yield runtime


def _with_url(settings: Settings, app: Koers) -> Settings:
    """The settings with the URL of the server the application uses (so that the parts
    after it connect to that server rather than start another).

    Not for the embedded server: the URL would read as a ``NATS_URL`` given with its own
    credentials. The parts find the server the application started by the data directory
    (``ensure_server`` reuses it) and sign in there as their own users."""
    factory = app.factory
    if not isinstance(factory, NATSFactory) or factory.connection.server is not None:
        return settings  # POPO: no server; embedded: found by the data directory
    return settings.with_store(url=factory.connection.url)


def _supervise(app: Koers, stack: ExitStack) -> Supervisor | None:
    """Keep the embedded nats-server alive (none to keep when NATS_URL names a server)."""
    from ledger.embedded import Supervisor
    from ledger.nats.watch import watch

    factory = app.factory
    if not isinstance(factory, NATSFactory) or factory.connection.server is None:
        return None
    connection = factory.connection
    supervisor = Supervisor(connection.server, connection.adopt_server).start()
    stack.callback(watch(supervisor.url, lambda: supervisor.condition))
    stack.callback(supervisor.stop)  # before the application stops the server on purpose
    return supervisor


def _start_auditor(runtime: Runtime, stack: ExitStack) -> AuditService | None:
    from ledger.audit.startup import start_auditing

    if not isinstance(runtime.app.factory, NATSFactory):
        raise ConfigurationError(
            f"PERSISTENCE_MODULE is {runtime.settings.store.persistence_module!r}: the audit "
            f"trail (and koers serve) needs the NATS store (ledger.nats)"
        )
    # Verifies the log against the signed checkpoints before anything is served
    # (LogTampered stops here), then keeps signing checkpoints while serving.
    auditor = start_auditing(runtime.settings.store, runtime.settings.audit)
    if auditor is not None:
        stack.callback(auditor.close)  # signs what is left; before the app closes its server
    return auditor


def _start_views(runtime: Runtime, stack: ExitStack) -> ViewRunner:
    from projections import ViewRunner

    store = runtime.settings.store
    env = runtime.settings.views.with_store(store.as_env())
    # On NATS the views read through a connection of their own (as the read-only ``views``
    # user): a catch-up pushes every event of the log, and on the application's connection
    # the API's calls would wait behind those pushes (on a 100k-event log, ``koers serve``
    # could not read its stream's state within 5 s). An in-memory store is shared.
    shared = None if store.persistence_module == "ledger.nats" else runtime.app
    try:
        runner = ViewRunner(env, app=shared).start()
    except RuntimeError as e:  # ViewsBusy: another process maintains these views
        raise ConfigurationError(f"{e}; or start this one with --no-views") from None
    stack.callback(runner.close)
    return runner


def _share_views(runtime: Runtime, stack: ExitStack) -> SharedViews:
    """The PostgreSQL views another process keeps (``--no-views`` with ``KOERS_VIEWS_URL``)."""
    from projections import SharedViews

    store = runtime.settings.store
    shared = SharedViews(runtime.app, runtime.settings.views.with_store(store.as_env()))
    stack.callback(shared.close)
    return shared


def _start_workers(runtime: Runtime, stack: ExitStack) -> WorkerHandle:
    from workers import start_workers

    handle = start_workers(runtime.settings.workers)
    stack.callback(handle.stop)  # before the app closes: an embedded server it owns is up
    return handle


def _bind_api(runtime: Runtime, stack: ExitStack) -> ApiServer:
    from ledger.access.keys import session_key
    from ledger.api import create_api
    from ledger.api._server import ApiServer
    from ledger.web import install_web

    settings = runtime.settings
    host, port = settings.api.host, settings.api.port
    runtime.local_secret = secrets.token_urlsafe(32)
    asgi = create_api(runtime.app, runtime.views, settings.audit, settings.api,
                      access=settings.access, session_key=session_key(settings.store.data_dir),
                      local_secret=runtime.local_secret)  # fmt: skip
    install_web(asgi)
    try:
        server = ApiServer(asgi, host, port)
    except OSError as e:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({e.strerror or e}): pick another --port or "
            f"--host, or stop what uses it"
        ) from None
    stack.callback(server.socket.close)
    # what every page and access check lists: read ahead while the server starts listening
    runtime.app.warm(*(AGGREGATES[kind] for kind in WARM_KINDS))
    return server


@contextmanager
def store_factory(store: StoreSettings) -> Iterator[NATSFactory]:
    """The NATS event store's factory alone (no application), closed afterwards: for
    commands that describe the store or read its side streams."""
    factory = InfrastructureFactory.construct(Environment("", store.as_env()))
    if not isinstance(factory, NATSFactory):
        factory.close()
        raise ConfigurationError(
            f"PERSISTENCE_MODULE is {store.persistence_module!r}: this command needs the NATS "
            f"store (ledger.nats)"
        )
    try:
        yield factory
    finally:
        factory.close()


def run_workers(settings: Settings, started: Callable[[WorkerHandle], None] | None = None) -> None:
    """``koers worker``: the reflection workers alone until SIGINT or SIGTERM. They open
    their own application from the store section their settings are bound to."""
    from workers import run_until_stopped

    run_until_stopped(settings.workers, started)


def popo_settings() -> Settings:
    """Settings for an application on the library's in-memory store (fast tests)."""
    return Settings(store=StoreSettings(persistence_module="eventsourcing.popo"))
