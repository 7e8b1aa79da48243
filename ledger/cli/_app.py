"""The ``koers`` application object and its global options.

Its commands come from the light table in :mod:`ledger.cli._tree`: ``koers --help`` imports
typer and that table only; each command's module is imported when the command runs.
"""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from ledger.cli._exits import EXIT
from ledger.cli._tree import LazyGroup

__all__ = ["app", "main"]

EPILOG = (
    "Exit codes: "
    + ", ".join(f"{code} {name.replace('_', ' ')}" for name, code in EXIT.items())
    + ". Settings come from the environment: KOERS_DATA_DIR, NATS_URL, NATS_STREAM "
    "(see the README)."
)

app = typer.Typer(
    name="koers",
    cls=LazyGroup,
    help="Koers: an event-sourced goal and decision ledger for leadership teams.",
    epilog=EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """The root group (its commands are :data:`ledger.cli._tree.TREE`)."""


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
