"""``koers quarantine list``: the events the views and the workers set aside, and why.

Two places hold them (docs/store.md, "Quarantine"): the views' ``quarantine`` table (in the
view database) and the workers' dead-letter stream (``<STREAM>_DLQ``; ``where`` names the
stream a dead letter came from when it is not the ledger, e.g. the schedules). Both are listed as
one list, oldest position first: where, position, subject, event type, reason, first seen.
``koers status`` shows the count and the newest entries (:func:`quarantined`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ledger.bootstrap import store_factory
from ledger.cli._common import DataDir, Json, local_settings
from ledger.cli._output import emit_json, friendly_errors
from ledger.cli._reads import print_table
from ledger.cli._tree import group
from ledger.nats.factory import NATSFactory
from ledger.settings import Settings

__all__ = ["quarantine", "quarantined"]

COLUMNS = ["where", "position", "subject", "event_type", "reason", "first_seen"]

quarantine = group("quarantine", no_args_is_help=True)


def _views_entries(settings: Settings) -> list[dict[str, Any]]:
    """The views' quarantine (none when there is no view database yet: nothing is created)."""
    from projections import open_views, quarantine_entries
    from projections.views import views_env

    env = settings.views.with_store(settings.store.as_env())
    path = views_env(env).get("SQLITE_DBNAME")
    sqlite = views_env(env).get("PERSISTENCE_MODULE") == "eventsourcing.sqlite"
    if sqlite and not settings.views.url and not (path and Path(path).exists()):
        return []
    views = open_views(env)
    try:
        return [{"where": "views", **row} for row in quarantine_entries(views)]
    finally:
        views.close()


def _workers_entries(settings: Settings, factory: NATSFactory) -> list[dict[str, Any]]:
    from workers import Names, read_dead_letters

    workers = settings.workers
    names = Names.of(workers)
    conn = factory.connection
    return [
        {
            "where": "workers" if letter.stream == workers.stream else f"workers {letter.stream}",
            "position": letter.source_sequence,
            "subject": letter.subject,
            "event_type": letter.headers.get("Koers-Type"),
            "reason": letter.reason,
            "first_seen": letter.at,
        }
        for letter in conn.call(read_dead_letters(conn.js, names))
    ]


def quarantined(settings: Settings, factory: NATSFactory) -> list[dict[str, Any]]:
    """Every event set aside, by position (the views' first where both set one aside)."""
    entries = _views_entries(settings) + _workers_entries(settings, factory)
    return sorted(entries, key=lambda e: (e["position"], e["where"]))


@quarantine.command("list", epilog="\b\nExample: koers quarantine list --json")
def list_(as_json: Json = False, data_dir: DataDir = None) -> None:
    """List the events set aside, oldest position first, with why.

    Nothing is deleted from the ledger; see docs/store.md ("Quarantine") for what to do.
    """
    with friendly_errors():
        settings = local_settings(data_dir)
        with store_factory(settings.store) as factory:
            entries = quarantined(settings, factory)
    if as_json:
        emit_json(entries)
        return
    if not entries:
        typer.echo("nothing is set aside")
        return
    print_table(entries, COLUMNS)
