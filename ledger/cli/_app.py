"""The ``koers`` application object and its global options."""

from __future__ import annotations

import typer

from ledger.cli import _store
from ledger.cli._decisions import decision
from ledger.cli._delegations import delegation
from ledger.cli._demo import demo
from ledger.cli._goals import kpi, kr, objective
from ledger.cli._output import EXIT
from ledger.cli._reads import history
from ledger.cli._retros import prompt, retro

__all__ = ["app", "main"]

EPILOG = (
    "Exit codes: "
    + ", ".join(f"{code} {name.replace('_', ' ')}" for name, code in EXIT.items())
    + ". Settings come from the environment: KOERS_DATA_DIR, NATS_URL, NATS_STREAM "
    "(see the README)."
)

app = typer.Typer(
    name="koers",
    help="Koers: an event-sourced goal and decision ledger for leadership teams.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


app.command("serve", epilog="Example: koers serve --data-dir ./ledger-data")(_store.serve)
app.command("status", epilog="Example: koers status --json")(_store.status)
app.command("history")(history)
app.command("demo")(demo)
app.add_typer(objective, name="objective")
app.add_typer(kr, name="kr")
app.add_typer(kpi, name="kpi")
app.add_typer(decision, name="decision")
app.add_typer(delegation, name="delegation")
app.add_typer(retro, name="retro")
app.add_typer(prompt, name="prompt")


def main() -> None:
    app()
