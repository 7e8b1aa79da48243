"""`koers worker`, `koers prompts list` and `koers deadletters`."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from ledger.application._reads import state_of
from ledger.bootstrap import run_workers, store_factory
from ledger.cli._common import DataDir, Json, as_json, koers_app, local_settings
from ledger.cli._output import friendly_errors
from ledger.cli._reads import print_table
from ledger.cli._tree import group
from ledger.domain import Prompt, PromptState

__all__ = ["deadletters", "prompts", "worker"]

prompts = group("prompts")


def worker(
    data_dir: DataDir = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            help="Serve Prometheus metrics on 127.0.0.1:PORT [env KOERS_METRICS_PORT].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the reflection workers alone (for scale-out) until Ctrl-C or SIGTERM.

    They turn ledger events and schedules into prompts. Start as many as you like with the
    same KOERS_WORKER_NAME: they share the work, and no prompt is ever issued twice.

    Example: koers worker --metrics-port 9464
    """
    from workers import WorkerHandle

    logging.basicConfig(level=logging.WARNING, format="koers: %(levelname)s %(message)s")
    with friendly_errors():
        settings = local_settings(data_dir)
        if metrics_port is not None:
            settings = replace(settings, workers=settings.workers.but(metrics_port=metrics_port))
        names = settings.workers

        def started(handle: WorkerHandle) -> None:
            port = handle.settings.metrics_port
            typer.echo(
                f"koers: workers consuming {names.stream} as {names.name}"
                + (f", metrics on http://127.0.0.1:{port}/metrics" if port else "")
                + "; Ctrl-C stops them",
                err=True,
            )

        run_workers(settings, started)
    typer.echo("koers: workers stopped", err=True)


def _is_open(state: dict[str, Any], now: datetime) -> bool:
    if state["state"] == PromptState.OPEN.value:
        return True
    until = state.get("snoozed_until")
    if state["state"] != PromptState.SNOOZED.value or not isinstance(until, str):
        return False
    return datetime.fromisoformat(until) <= now


@prompts.command("list", epilog="Example: koers prompts list --to ann --json")
def prompts_list(
    to: Annotated[str | None, typer.Option("--to", help="Only this person's prompts.")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every prompt, answered, snoozed and dismissed too.")
    ] = False,
    as_json_output: Json = False,
    data_dir: DataDir = None,
) -> None:
    """List open prompts (a snoozed one is open again once its snooze ends), oldest first."""
    now = datetime.now(UTC)
    with koers_app(data_dir) as app:
        rows = [state_of(p) for p in app.all_of(Prompt)]
    rows = [r for r in rows if (to is None or r["to"] == to) and (every or _is_open(r, now))]
    if as_json_output:
        as_json(rows)
        return
    print_table(
        [{**r, "issued": r["created_on"][:16]} for r in rows],
        ["id", "to", "kind", "state", "issued", "question"],
    )


def deadletters(as_json_output: Json = False, data_dir: DataDir = None) -> None:
    """List the messages the workers could not process (dead letters), oldest first.

    Each shows the stream and sequence it came from, why it failed and how often it was
    tried; --json adds its headers and payload.

    Example: koers deadletters --json
    """
    from workers import Names, read_dead_letters

    with friendly_errors():
        settings = local_settings(data_dir)
        names = Names.of(settings.workers)
        with store_factory(settings.store) as factory:
            conn = factory.connection
            letters = conn.call(read_dead_letters(conn.js, names))
    if as_json_output:
        as_json([letter.as_dict() for letter in letters])
        return
    print_table(
        [
            {
                "dlq": letter.sequence,
                "from": f"{letter.stream} #{letter.source_sequence}",
                "subject": letter.subject,
                "tries": letter.deliveries,
                "reason": letter.reason,
            }
            for letter in letters
        ],
        ["dlq", "from", "subject", "tries", "reason"],
    )
