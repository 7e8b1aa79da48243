"""``koers status``: describe the event store (``koers serve`` is in ``_serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.bootstrap import store_factory
from ledger.cli._common import local_settings
from ledger.cli._init import refuse_lost_ledger
from ledger.cli._output import emit_json, friendly_errors
from ledger.cli._quarantine import quarantined
from ledger.nats.status import StoreStatus, store_status

__all__ = ["status"]

NEWEST = 5  # quarantine entries shown

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the embedded store keeps its data [env KOERS_DATA_DIR; "
        "default ~/.local/share/koers].",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _describe(s: StoreStatus) -> str:
    where = (
        f"embedded nats-server (pid {s.server_pid}, {'started' if s.started_here else 'reused'})"
        if s.embedded
        else "external nats-server"
    )
    health = (
        "audited configuration" if s.audited else "WEAKER than audited: " + "; ".join(s.problems)
    )
    return "\n".join(
        [
            f"store      {s.url}  ({where})",
            f"data       {s.data_dir}" if s.embedded else f"data       on {s.url}",
            f"stream     {s.stream}  (R{s.replicas}, {health})",
            f"events     {s.events}  (last sequence {s.last_sequence}, {s.bytes} bytes)",
        ]
    )


def _quarantine_lines(entries: list[dict[str, Any]]) -> list[str]:
    if not entries:
        return ["quarantine 0 events set aside"]
    lines = [f"quarantine {len(entries)} events set aside (koers quarantine list); newest:"]
    for e in entries[-NEWEST:][::-1]:
        lines.append(f"           {e['where']} #{e['position']} {e['subject']}: {e['reason']}")
    return lines


def status(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Show the event store: where it runs, its stream, how many events it holds, and how
    many events the views and workers set aside (the quarantine).

    Uses the embedded nats-server of the data directory (started for this command and
    stopped after it, unless a running `koers serve` already serves it) or NATS_URL. Creates
    nothing: a missing stream is an error (exit 2; exit 6 where it was deleted).
    """
    with friendly_errors():
        settings = local_settings(data_dir)
        refuse_lost_ledger(settings)  # a deleted ledger is an error, never an empty one
        with store_factory(settings.store) as factory:
            result = store_status(factory)
            entries = quarantined(settings, factory)
    if as_json:
        newest = entries[-NEWEST:][::-1]
        emit_json({**result.as_dict(), "quarantine": {"count": len(entries), "newest": newest}})
    else:
        typer.echo("\n".join([_describe(result), *_quarantine_lines(entries)]))
