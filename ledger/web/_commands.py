"""``/do/<command>``: every command of the table as a form page, and where every form posts.

``GET /do/<command>?subject=<id>&next=<page>`` shows the command's form on its own (pages link
to it, and it is where a refused form comes back to). ``POST /do/<command>`` runs the command
exactly as the API does (:meth:`ledger.application.Koers.execute`: the same checks, the
signed-in person as the actor, the form's idempotency key) and goes back to ``next`` with
``min_position`` set, so the page it lands on shows the write. A refusal shows the form again:
a field's error next to the field, anything else as a banner (never a stack trace), with
what was typed kept.
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ledger.api import in_thread, koers_of
from ledger.application import Receipt
from ledger.domain import COMMANDS, Command
from ledger.errors import (
    ConcurrencyConflict,
    DomainError,
    Forbidden,
    InvalidValue,
    KoersError,
    NotFound,
    StoreUnavailable,
)
from ledger.web._forms import error_name, form_of, values_of
from ledger.web._render import render
from ledger.web._session import Viewer, check_form_origin

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)
#: The form's own inputs: what the change acts on is ``subject``, not ``target`` (a key
#: result's and a KPI's target is a field of their commands).
_CONTROL = frozenset({"csrf", "key", "subject", "next"})


def safe_next(value: str | None) -> str:
    """Where to go after a form: a path of this site only (never ``//elsewhere``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:2000]


def _command(handler: str) -> Command:
    command = COMMANDS.by_handler(handler)
    if command is None:
        raise NotFound("command", handler, "the forms are those of `koers --help`")
    return command


@router.get("/do/{handler}")
async def command_page(request: Request, handler: str, me: Viewer) -> Response:
    """The form of one command, on its own."""
    command = _command(handler)
    query = request.query_params
    posted = {k: v for k, v in query.items() if k not in _CONTROL}
    form = form_of(command, target=query.get("subject", ""), next=safe_next(query.get("next")),
                   posted=posted)  # fmt: skip
    return await render(request, me, "command.html", title=form.title, form=form)


def _target(command: Command, text: str) -> UUID | str | None:
    """What a change acts on: its id, or its name (a team's slug) where it is named."""
    text = text.strip()
    if not text or command.named_by is not None:
        return text or None
    try:
        return UUID(text)
    except ValueError:
        return text  # the domain says it is not an id


def _zone(request: Request, handle: str) -> ZoneInfo:
    try:
        return ZoneInfo(koers_of(request).person(handle).time_zone or "UTC")
    except (KoersError, ValueError, KeyError):
        return ZoneInfo("UTC")


@router.post("/do/{handler}")
async def run_command(request: Request, handler: str, me: Viewer) -> Response:
    """Run a command from its form; back to ``next``, or the form again saying why not."""
    command = _command(handler)
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_origin(request, me, posted.get("csrf", ""))
    target = _target(command, posted.get("subject", ""))
    next_page = safe_next(posted.get("next"))
    fields = {k: v for k, v in posted.items() if k not in _CONTROL}
    zone = await in_thread(_zone, request, me.handle)
    values, rows_of = values_of(command, fields, zone)
    koers = koers_of(request)

    def execute() -> Receipt:
        return koers.execute(command, target, values, principal=me,
                             key=posted.get("key", ""))  # fmt: skip

    errors: dict[str, str] = {}
    banner, status = "", 200
    try:
        receipt = await in_thread(execute)
    except InvalidValue as e:
        errors = {error_name(f, rows_of): d for f, d in e.errors}
        status = 422
    except (Forbidden, NotFound) as e:
        banner, status = str(e), 403 if isinstance(e, Forbidden) else 404
    except ConcurrencyConflict as e:
        banner, status = f"{e} Reload the page to see the change, then try again.", 409
    except DomainError as e:
        banner, status = str(e), 422
    except StoreUnavailable as e:
        banner, status = f"{e} Nothing was recorded; send the form again in a moment.", 503
    else:
        mark = "&" if "?" in next_page else "?"
        query = urlencode({"done": handler, "min_position": receipt.position or 0})
        return RedirectResponse(f"{next_page}{mark}{query}", status_code=303)
    form = form_of(command, target=str(target or ""), next=next_page, posted=fields,
                   errors=errors, error=banner, key=posted.get("key", ""))  # fmt: skip
    return await render(request, me, "command.html", title=form.title, form=form, status=status)
