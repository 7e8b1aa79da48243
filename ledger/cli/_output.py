"""How the command line talks to people and scripts: one-line errors, exit codes, JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import orjson
import typer
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger.cli._exits import EXIT
from ledger.cli._kinds import list_hint
from ledger.errors import (
    ConfigurationError,
    KoersError,
    NotFound,
    StoreError,
    StoreUnavailable,
)

__all__ = ["EXIT", "echo_set_aside", "emit_json", "fail", "friendly_errors"]


def fail(message: str, code: str) -> NoReturn:
    print(f"koers: {message}", file=sys.stderr)
    raise SystemExit(EXIT[code])


def _code_for(error: BaseException) -> str:
    from ledger.audit.gone import LedgerGone
    from ledger.audit.startup import LogTampered
    from ledger.cli._remote import RemoteProblem

    if isinstance(error, RemoteProblem):
        return _code_for_status(error.status)
    # the first that fits, most specific first
    for kind, code in (
        (LogTampered | LedgerGone, "tampered"),
        (IntegrityError, "conflict"),
        (StoreUnavailable, "unavailable"),
        (ConfigurationError, "bad_input"),
        (StoreError, "store"),
        (KoersError, "bad_input"),
    ):
        if isinstance(error, kind):
            return code
    return "unexpected"


def _code_for_status(status: int) -> str:
    """The exit code of an API's answer (a remote command)."""
    if status == 409:
        return "conflict"
    if status in (502, 503, 504):
        return "unavailable"
    return "store" if status >= 500 else "bad_input"


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn every error into one readable line on stderr and a distinct exit code."""
    try:
        yield
    except KeyboardInterrupt:
        fail("interrupted", "unexpected")
    except NotFound as e:  # the application names the kind; the CLI says where ids are
        fail(e.with_hint(e.hint or list_hint(e.kind)), _code_for(e))
    except (KoersError, IntegrityError) as e:
        fail(str(e), _code_for(e))
    except OperationalError as e:  # a view database that does not answer (ViewsUnavailable)
        fail(str(e), "unavailable")
    except OSError as e:
        fail(
            f"{e.strerror or e} ({e.filename or 'file system'}); check the path and "
            f"its permissions",
            "bad_input",
        )


def emit_json(value: Any, default: Callable[[Any], Any] | None = None) -> None:
    sys.stdout.write(orjson.dumps(value, default=default, option=orjson.OPT_INDENT_2).decode())
    sys.stdout.write("\n")


def echo_set_aside(aside: list[dict[str, Any]]) -> None:
    """Name the events a command passed over (position, subject, reason), if any, so that
    a reader knows the result is short of them and where to read more."""
    if aside:
        typer.echo(f"set aside {len(aside)} events (see docs/store.md, 'Quarantine'):")
        for a in aside:
            typer.echo(f"  position {a['position']}  {a['subject']}  {a['reason']}")
