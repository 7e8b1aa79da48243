"""The ``koers`` application object and its global options."""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from ledger.cli import _init, _serve, _store
from ledger.cli._audit import audit
from ledger.cli._cluster import cluster
from ledger.cli._decisions import decision
from ledger.cli._delegations import delegation
from ledger.cli._demo import demo
from ledger.cli._directory import calendar_link, directory, login_link, people, teams, token
from ledger.cli._export import export
from ledger.cli._goals import kpi, kr, objective
from ledger.cli._lineage import lineage
from ledger.cli._nats import nats
from ledger.cli._notify import notify
from ledger.cli._output import EXIT
from ledger.cli._projections import projections
from ledger.cli._quarantine import quarantine
from ledger.cli._reads import history
from ledger.cli._retros import prompt, retro
from ledger.cli._webhooks import webhooks
from ledger.cli._workers import deadletters, prompts, worker

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


app.command("serve", epilog="\b\nExample: koers serve --data-dir ./ledger-data --port 8000")(
    _serve.serve
)
app.command("status", epilog="Example: koers status --json")(_store.status)
app.command("init", epilog="Example: koers init --data-dir ./ledger-data")(_init.init)
app.command("history")(history)
app.command("lineage")(lineage)
app.command("demo")(demo)
app.command("export", epilog="\b\nExample: koers export --format parquet --out ./export")(export)
GROUPS = {
    "people": people, "teams": teams, "directory": directory, "objective": objective, "kr": kr,
    "kpi": kpi, "decision": decision, "delegation": delegation, "retro": retro,
    "prompt": prompt, "projections": projections, "audit": audit, "prompts": prompts,
    "token": token, "nats": nats, "quarantine": quarantine, "notify": notify,
    "webhooks": webhooks, "cluster": cluster,
}  # fmt: skip
for name, group in GROUPS.items():
    app.add_typer(group, name=name)
app.command("login-link", epilog="\b\nExample: koers login-link ann")(login_link)
app.command("calendar-link", epilog="\b\nExample: koers calendar-link ann")(calendar_link)
app.command("worker")(worker)
app.command("deadletters")(deadletters)


def main() -> None:
    """Run `koers`; a usage mistake is one line on stderr (exit 2), like every other error."""
    try:
        result = app(standalone_mode=False)
    except typer.Exit as e:
        raise SystemExit(e.exit_code) from None
    except typer.Abort:
        print("koers: aborted", file=sys.stderr)
        raise SystemExit(EXIT["unexpected"]) from None
    except TyperException as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            ctx = getattr(e, "ctx", None)
            print(ctx.get_help() if ctx is not None else str(e), file=sys.stderr)
            raise SystemExit(EXIT["bad_input"]) from None
        ctx = getattr(e, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        print(f"koers: {message}{hint}", file=sys.stderr)
        raise SystemExit(getattr(e, "exit_code", EXIT["bad_input"])) from None
    raise SystemExit(result if isinstance(result, int) else EXIT["ok"])
