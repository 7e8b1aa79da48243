"""The FastAPI application: routers, problem handlers, the OpenAPI document, the page."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute

from ledger.access import oidc_verifier
from ledger.api import _audit, _calendar, _notify, _reads, _signin, _views, _webhooks
from ledger.api._auth import Sessions, authenticated
from ledger.api._commands import command_router
from ledger.api._common import in_thread, koers_of
from ledger.api._hardening import harden
from ledger.api._problems import PROBLEMS, ApiProblem, install_problem_handlers
from ledger.api._schema import READ_ERRORS
from ledger.api._view_cache import AsOfTurns, ViewCache
from ledger.application import Koers
from ledger.domain import COMMANDS
from ledger.settings import AccessSettings, ApiSettings, AuditSettings
from projections import ViewsUnavailable, quarantine_count

if TYPE_CHECKING:
    from projections import LiveViews

__all__ = ["create_api"]

DESCRIPTION = """
Koers is an event-sourced goal and decision ledger: objectives, key results and check-ins,
KPIs, decisions, delegations, retros and reflection prompts. Every change is an immutable
event on NATS JetStream; this API records them and reads them back.

**Who acts.** Every request except `/health` and `/metrics` signs in:
`Authorization: Bearer <token>` (`koers token create <handle>`, or `POST /tokens`), a bearer JWT
from the configured single-sign-on issuer, or the web page's session cookie (from a one-time
login link). A write is recorded for that person, with the credential. Only a service token made
to act for others may name another person, in the `Koers-Actor` header or the body's `actor`
field; who may issue each command is in docs/security.md (401 without a valid credential, 403
when the roles do not allow it, 404 for what one may not see).

**Safe retries.** Send an `Idempotency-Key` header with a write: sent again with the same key
(after a timeout, a crash, a double click) it takes effect once and answers the first
receipt with `replayed: true` and the header `Idempotent-Replayed: true`.

**Optimistic concurrency.** GET on a thing answers its version as the `ETag`. Commands that
support it take `If-Match: "<version>"` (or `expected_version` in the body) and answer
**409** if someone changed the thing since. Other commands refuse `If-Match` (400).

**Receipts.** A create answers **201** (with `Location`), a change **200**; both carry the
receipt `{kind, id, version, position, replayed}`, `position` being the event's place in
the stream.

**Read your writes.** Reads take `min_position` (or the `Koers-Min-Position` header): the
views (team dashboards) answer once they include that position, waiting up to 2 s (else 503
with `Retry-After`); a position beyond the log's last event is refused at once (422, with the
last position in `Koers-Position`). Who may see what is decided on the directory as of that
position too: a team or member added through another process is seen (a command may send
`Koers-Min-Position` for the same). Lists and shows read the state the views keep and take
`min_position` the same way; a show `as_of` a moment and a history read the log itself.
`as_of` (a time) answers what was known at that moment.

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status`,
`detail` (what to do) and, for invalid fields, `errors[].field`: 400 malformed JSON or
header; 401 not signed in; 403 not allowed; 404 unknown id in the path (or not yours to
see); 409 concurrency conflict; 413 body over 1 MB; 421 a Host this server does not answer
to; 422 invalid field, broken rule, command not allowed in the current state, unknown id in
the body, or an Idempotency-Key reused for another command; 503 event store unreachable (or
views behind); 507 the event store's disk is full.
"""


def _tag(path: str) -> str:
    first = path.strip("/").split("/")[0]
    return {"key-results": "key result", "teams": "views", "people": "views"}.get(
        first, first.rstrip("s").replace("-", " ")
    )


def _as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses are ``application/problem+json`` (FastAPI writes application/json)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return schema


def _parameters_not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query or header parameter is declared as its type alone: left out, it is
    none; ``anyOf [T, null]`` told clients (and fuzzers) to send the text ``null``, which no
    parameter takes."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                shape = parameter.get("schema", {})
                kinds = shape.get("anyOf", [])
                if not parameter.get("required") and {"type": "null"} in kinds:
                    rest = [k for k in kinds if k != {"type": "null"}]
                    if len(rest) == 1:
                        shape.pop("anyOf")
                        parameter["schema"] = {**rest[0], **shape}
    return schema


def _bodies_as_components(schema: dict[str, Any]) -> dict[str, Any]:
    """Command bodies (inline, from the command table) become named schemas, like the rest."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            if body and "title" in body and "$ref" not in body:
                components[body["title"]] = body
                content["application/json"]["schema"] = {
                    "$ref": f"#/components/schemas/{body['title']}"
                }
    return schema


def create_api(
    koers: Koers,
    runner: LiveViews | None = None,
    audit: AuditSettings | None = None,
    api_settings: ApiSettings | None = None,
    *,
    access: AccessSettings | None = None,
    session_key: bytes | None = None,
    local_secret: str | None = None,
) -> FastAPI:
    """The HTTP API over an open application (and the live views, when running).

    Without ``runner``, view reads replay the log into memory for each request. ``audit``
    (default: the defaults) says which signing key and kept checkpoints the audit routes
    trust; ``api_settings`` (default: the defaults, loopback only) which host names requests
    may address (see :mod:`ledger.api._hardening`); ``access`` how callers sign in and
    ``session_key`` what signs browser sessions (default: a new key, so sessions end with
    the process) (see :mod:`ledger.api._auth`); ``local_secret`` (``koers serve``'s, kept in
    its data directory) signs in the command line of this machine as the local administrator.
    The caller owns ``koers`` and ``runner``
    (this does not close them).
    """
    api = FastAPI(
        title="Koers",
        version="1",
        summary="An event-sourced goal and decision ledger for leadership teams.",
        description=DESCRIPTION,
        generate_unique_id_function=lambda route: route.name,
    )
    api.state.koers = koers
    api.state.runner = runner
    api.state.audit = audit or AuditSettings()
    access = access or AccessSettings()
    api.state.access = access
    api.state.oidc = oidc_verifier(access)
    api.state.sessions = Sessions(session_key or secrets.token_bytes(32),
                                  access.session_idle_minutes)  # fmt: skip
    api_settings = api_settings or ApiSettings()
    api.state.public_url = api_settings.public_url
    api.state.view_cache = ViewCache(api_settings.view_cache_seconds)
    api.state.as_of_turns = AsOfTurns(api_settings.as_of_reads, api_settings.as_of_wait_seconds)
    api.state.local_secret = local_secret
    install_problem_handlers(api)
    harden(api, api_settings)  # after: outside the problem handlers
    signed_in = [Depends(authenticated)]
    api.include_router(command_router(COMMANDS.values()), dependencies=signed_in)
    for module in (_reads, _views, _notify, _webhooks):
        api.include_router(module.router, dependencies=signed_in)
    api.include_router(_audit.router, dependencies=signed_in)  # the auditor's view
    api.include_router(_signin.router)
    api.include_router(_calendar.router)  # the address is the credential (calendar apps)
    api.include_router(_calendar.links, dependencies=signed_in)

    @api.get("/health", summary="Health", responses=READ_ERRORS, tags=["service"])
    async def health(request: Request) -> dict[str, Any]:
        """The service is up and the event store answers: its last stream position, and
        `status`: `ok`, or `degraded` when the views set events aside (`quarantined`: how
        many; `koers quarantine list` shows them) or when the views' database (PostgreSQL)
        cannot be reached (`quarantined` and `views` null). Degraded still answers 200: every read
        and write still works for everything else, so a load balancer keeps routing here;
        alert on `status` (or the `koers_quarantined_events` metric) instead."""
        position = await in_thread(koers_of(request).recorder.max_notification_id)
        views = request.app.state.runner
        try:
            aside = await in_thread(quarantine_count, views.views) if views else 0
            at = await in_thread(lambda: views.position) if views else None
        except ViewsUnavailable:  # their database is down: writes still work
            return {"ok": True, "status": "degraded", "quarantined": None,
                    "position": position or 0, "views": None}  # fmt: skip
        return {"ok": True, "status": "degraded" if aside else "ok", "quarantined": aside,
                "position": position or 0, "views": at}  # fmt: skip

    @api.get("/metrics", summary="Metrics", tags=["service"],
             response_class=PlainTextResponse)  # fmt: skip
    async def metrics(request: Request) -> PlainTextResponse:
        """Prometheus metrics: `koers_quarantined_events{consumer="views"}`, the events the
        live views set aside."""
        views = request.app.state.runner
        aside = await in_thread(quarantine_count, views.views) if views else 0
        text = (
            "# HELP koers_quarantined_events Events set aside by the views\n"
            "# TYPE koers_quarantined_events gauge\n"
            f'koers_quarantined_events{{consumer="views"}} {aside}\n'
        )
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    @api.get("/problems/{slug}", summary="A kind of problem", tags=["service"], responses={
        404: READ_ERRORS[404], 422: READ_ERRORS[422]})  # fmt: skip
    async def problem_type(slug: str) -> JSONResponse:
        """What a problem `type` means (the `type` of an error answer points here)."""
        if slug not in PROBLEMS:
            raise ApiProblem("not-found", f"no problem type {slug!r}: see /problems/internal")
        status, title, meaning = PROBLEMS[slug]
        return JSONResponse({"type": f"/problems/{slug}", "title": title, "status": status,
                             "description": meaning})  # fmt: skip

    for route in api.routes:
        if isinstance(route, APIRoute) and not route.tags:
            route.tags = [_tag(route.path)]

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = get_openapi(
                title=api.title,
                version=api.version,
                summary=api.summary,
                description=api.description,
                routes=api.routes,
            )
            api.openapi_schema = _parameters_not_null(
                _bodies_as_components(_as_problem_json(schema))
            )
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return api
