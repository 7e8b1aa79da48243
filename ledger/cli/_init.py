"""``koers init``: create the streams of a new ledger; the one command (with ``koers serve``
on a new ledger) that creates streams.

Every other command stops on a missing stream (``StreamMissing``), so a mistyped
``NATS_STREAM`` is an error, never a new empty ledger. And a ledger that is gone is never
started over silently: :func:`refuse_lost_ledger` (also run by ``koers serve`` and ``koers
status``) stops with exit 6 when the kept checkpoints or the views show more events than the
stream holds. ``--new-ledger`` starts over on purpose: the old checkpoints and views are
renamed aside (never deleted), the old snapshots (derived data) purged, then the streams are
created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.audit._store import AuditStore
from ledger.audit.gone import refuse_if_gone, set_aside
from ledger.bootstrap import store_factory
from ledger.cli._common import local_settings
from ledger.cli._output import fail, friendly_errors
from ledger.settings import Settings
from ledger.settings._audit import checkpoint_stream
from projections import views_position

__all__ = ["init", "refuse_lost_ledger"]

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the embedded store, the views and the kept checkpoints are [env "
        "KOERS_DATA_DIR; default ~/.local/share/koers].",
        show_default=False,
    ),
]


def refuse_lost_ledger(settings: Settings) -> None:
    """Stop (``LedgerGone``, exit 6) when the ledger's stream was deleted or emptied."""
    position, where = views_position(settings.views.with_store(settings.store.as_env()))
    refuse_if_gone(settings.store, settings.audit, position, where)


async def _purge(store: AuditStore, stream: str) -> None:
    """Purge ``stream`` as the user allowed to (admin, on the embedded server)."""
    async with store.conn.admin() as js:
        await js.purge_stream(stream)


def _start_over(settings: Settings) -> list[Path]:
    """Make way for a new ledger: refuse while a stream still holds the old one's events or
    checkpoints; else purge the old snapshots (derived data: a new aggregate with an old id,
    a person's, must not load one) and move the old kept checkpoints and views aside."""
    store = AuditStore.open(settings.store)
    try:
        for stream in (store.stream, checkpoint_stream(store.stream)):
            state = store.state(stream)
            if state is not None and state.messages:
                fail(
                    f"--new-ledger never deletes anything, and the stream {stream} still "
                    f"holds {state.messages} messages of the ledger: back it up and delete "
                    f"it with your NATS tools first, or set NATS_STREAM to a new name",
                    "bad_input",
                )
        snapshots = f"{store.stream}_SNAPSHOTS"  # derived data, of aggregates that are gone
        if store.state(snapshots) is not None:
            store.conn.call(_purge(store, snapshots))
    finally:
        store.close()
    data_dir = settings.store.data_dir
    kept = settings.audit.outside_file(settings.store.stream, data_dir)
    _, views = views_position(settings.views.with_store(settings.store.as_env()))
    files = [Path(views + suffix) for suffix in ("", "-wal", "-shm")]
    return set_aside([kept, *files])


def init(
    data_dir: DataDirOption = None,
    new_ledger: Annotated[
        bool,
        typer.Option(
            "--new-ledger",
            help="Start a new, empty ledger on purpose where one was deleted: moves the old "
            "kept checkpoints and views aside (renamed, not deleted).",
        ),
    ] = False,
) -> None:
    """Create the ledger's streams with the audited configuration (idempotent).

    Only this command and `koers serve` on a new data directory create streams; every other
    command stops on a missing one. Refuses (exit 6) where kept checkpoints or the views show
    a ledger that was deleted, unless --new-ledger.
    """
    with friendly_errors():
        settings = local_settings(data_dir)
        moved = _start_over(settings) if new_ledger else []
        refuse_lost_ledger(settings)
        with store_factory(settings.with_store(create_stream=True).store) as factory:
            factory.application_recorder()  # the ledger, created or checked
            factory.aggregate_recorder("snapshots")
            audit = AuditStore(factory.connection)
            audit.ensure_checkpoint_stream()
            state = audit.state()
    for path in moved:
        typer.echo(f"moved aside: {path}", err=True)
    stream = settings.store.stream
    events = state.messages if state is not None else 0
    typer.echo(
        f"ready: stream {stream} ({events} events, audited configuration), "
        f"{stream}_SNAPSHOTS and {checkpoint_stream(stream)}"
    )
