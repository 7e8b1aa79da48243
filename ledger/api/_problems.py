"""Errors as ``application/problem+json`` (RFC 9457), one mapping for the whole API.

| what happened                                   | status | ``type`` (under ``/problems/``) |
|-------------------------------------------------|--------|---------------------------------|
| the body is not JSON, a header is malformed     | 400    | ``bad-request``                 |
| a field is missing or malformed (schema)        | 422    | ``invalid-request``             |
| a value breaks a domain rule (``InvalidValue``) | 422    | ``invalid-value``               |
| the command does not fit the current state      | 422    | ``not-allowed``                 |
| an idempotency key reused for another command   | 422    | ``key-reused``                  |
| a referenced id (in the body) does not exist    | 422    | ``unknown-reference``           |
| no credential, or one that proves nobody        | 401    | ``unauthenticated``             |
| the credential's person may not do this         | 403    | ``forbidden``                   |
| the addressed thing (in the path) does not exist | 404   | ``not-found``                   |
|   (or the caller may not see it)                |        |                                 |
| someone changed it first (``If-Match``)         | 409    | ``conflict``                    |
| one event too large for the stream              | 413    | ``too-large``                   |
| the request body is over 1 MB                   | 413    | ``body-too-large``              |
| the ``Host`` is not a configured public name    | 421    | ``unknown-host``                |
| the event store is unreachable, views behind    | 503    | ``unavailable``                 |
| the views' database (PostgreSQL) is unreachable | 503    | ``unavailable``                 |
| the event store's disk is full                  | 507    | ``out-of-space``                |
| the store answered with something unexpected    | 502    | ``store-error``                 |
| anything else (a bug)                           | 500    | ``internal``                    |

Every problem has ``type``, ``title``, ``status``, ``detail`` (what went wrong and what to
do) and ``instance`` (the request path); validation problems list each ``errors[].field``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api._kinds import list_hint
from ledger.errors import (
    BatchTooLarge,
    CommandKeyReused,
    ConfigurationError,
    EncodingError,
    EventTooLarge,
    Forbidden,
    InvalidField,
    InvalidValue,
    KoersError,
    NotAllowed,
    NotFound,
    StoreOutOfSpace,
    StoreUnavailable,
    Unauthenticated,
)
from projections.views import ViewsUnavailable

__all__ = ["PROBLEMS", "ApiProblem", "FieldError", "Problem", "install_problem_handlers"]

log = logging.getLogger("ledger.api")
MEDIA_TYPE = "application/problem+json"

#: slug -> (status, title, what it means): served at /problems/{slug}.
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "bad-request": (400, "Bad request", "The body is not JSON, or a header is malformed."),
    "invalid-request": (
        422,
        "Invalid request",
        "A field is missing or does not have the documented type or range; `errors` names it.",
    ),
    "invalid-value": (422, "Invalid value", "A value breaks a rule of the domain."),
    "not-allowed": (
        422,
        "Not allowed now",
        "The command does not fit the current state (e.g. deciding a decided decision).",
    ),
    "key-reused": (
        422,
        "Idempotency key reused",
        "The Idempotency-Key was used before for a different command: use a new key.",
    ),
    "unknown-reference": (
        422,
        "Unknown reference",
        "An id in the request body names nothing of the expected kind.",
    ),
    "unauthenticated": (
        401,
        "Sign in",
        "No credential, or one that proves nobody: send 'Authorization: Bearer <token>' "
        "(`koers token create <handle>` makes one), or sign in with a login link.",
    ),
    "forbidden": (
        403,
        "Forbidden",
        "You are signed in, but your roles do not allow this; `detail` says who may.",
    ),
    "not-found": (
        404,
        "Not found",
        "Nothing of this kind has this id (or this path), or nothing you may see.",
    ),
    "method-not-allowed": (405, "Method not allowed", "This path does not take this method."),
    "conflict": (
        409,
        "Concurrency conflict",
        "Someone changed it since you read it: reload, check, and send the command again.",
    ),
    "too-large": (413, "Too large", "One event would be larger than the stream accepts."),
    "body-too-large": (413, "Body too large", "The request body is over 1 MB: send less."),
    "unknown-host": (
        421,
        "Unknown host",
        "The Host header names a host this server does not answer to: if it is the server's "
        "public name, add it to KOERS_PUBLIC_HOSTS (or set KOERS_PUBLIC_URL).",
    ),
    "unavailable": (
        503,
        "Service unavailable",
        "The event store is unreachable, or the views are not yet at the asked position.",
    ),
    "out-of-space": (
        507,
        "Insufficient storage",
        "The event store's disk is full: nothing of this write was stored. Reads still work.",
    ),
    "store-error": (502, "Event store error", "The event store answered unexpectedly."),
    "internal": (500, "Internal error", "A bug: report it with the time of the request."),
}


class FieldError(BaseModel):
    field: str = Field(description="The field (or header) at fault, e.g. `options[0].key`.")
    detail: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = Field(
        description="Identifies the kind of problem; GET it for a description.",
        examples=["/problems/invalid-value"],
    )
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(
        description="What went wrong in this request, and what to do about it.",
        examples=["confidence: 11 is outside 0–10"],
    )
    instance: str | None = Field(None, description="The request path.")
    errors: list[FieldError] | None = Field(None, description="Each field at fault.")


class ApiProblem(Exception):
    """Raised by the API itself (a bad header, views behind) to answer with a problem."""

    def __init__(
        self,
        slug: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.slug, self.detail, self.errors, self.headers = slug, detail, errors, headers


def problem_response(
    request: Request,
    slug: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    status, title, _ = PROBLEMS[slug]
    body = Problem(
        type=f"/problems/{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status, headers=headers, media_type=MEDIA_TYPE
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "options", 0, "key")`` -> ``options[0].key``; headers by their name."""
    parts = list(loc)
    where = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header") else ""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if where == "header":
        return "-".join(w.capitalize() for w in text.split("-")) or "header"
    return text or "body"


def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            request, "bad-request", "the request body is not valid JSON: send a JSON object"
        )
    errors = [FieldError(field=_field_name(e.get("loc", ())), detail=str(e["msg"])) for e in raw]
    detail = "; ".join(f"{e.field}: {e.detail}" for e in errors[:5]) + (
        "; …" if len(errors) > 5 else ""
    )
    return problem_response(request, "invalid-request", f"{detail}. Fix and send again.", errors)


def _referenced_field(request: Request, ident: object) -> str | None:
    """The body field holding ``ident``, when the missing thing was named in the body."""
    body = getattr(request.state, "body", None)
    if body is None:
        return None
    wanted = str(ident)

    def find(value: Any, path: str) -> str | None:
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict):
            for k, v in value.items():
                hit = find(v, f"{path}.{k}" if path else str(k))
                if hit:
                    return hit
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                hit = find(v, f"{path}[{i}]")
                if hit:
                    return hit
        elif isinstance(value, str | UUID) and str(value) == wanted:
            return path
        return None

    return find(body, "")


_SLUGS: tuple[tuple[type[Exception], str], ...] = (
    (Unauthenticated, "unauthenticated"),
    (Forbidden, "forbidden"),
    (InvalidField, "invalid-request"),
    (InvalidValue, "invalid-value"),
    (CommandKeyReused, "key-reused"),
    (NotAllowed, "not-allowed"),
    (EncodingError, "invalid-value"),
    (StoreOutOfSpace, "out-of-space"),
    (StoreUnavailable, "unavailable"),
    (EventTooLarge, "too-large"),
    (BatchTooLarge, "too-large"),
    (ConfigurationError, "unavailable"),
)


def _not_found(request: Request, exc: NotFound) -> JSONResponse:
    """404 when the path named the missing thing; 422 naming the field when the body did."""
    in_path = str(exc.ident) in {str(v) for v in request.path_params.values()}
    field = None if in_path else _referenced_field(request, exc.ident)
    detail = exc.with_hint(exc.hint or list_hint(exc.kind))
    if field is not None:
        errors = [FieldError(field=field, detail=detail)]
        return problem_response(request, "unknown-reference", f"{field}: {detail}", errors)
    return problem_response(request, "not-found", detail)


def _koers_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFound):
        return _not_found(request, exc)
    slug = next((s for t, s in _SLUGS if isinstance(exc, t)), "store-error")
    errors, headers = None, None
    if isinstance(exc, InvalidValue):
        errors = [FieldError(field=field, detail=detail) for field, detail in exc.errors]
    elif isinstance(exc, CommandKeyReused):
        errors = [FieldError(field="Idempotency-Key", detail=str(exc))]
    elif isinstance(exc, StoreUnavailable):
        headers = {"Retry-After": "5"}
    elif isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="koers"'}
    elif slug == "store-error":
        log.error("event store error on %s: %s", request.url.path, exc)
    return problem_response(request, slug, str(exc), errors, headers)


def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(request, "conflict", str(exc))


def _views_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503: the view database (PostgreSQL) cannot be reached; the log is not affected."""
    detail = (
        f"{exc}; writes still work, and a view read with as_of or position is rebuilt from the log"
    )
    return problem_response(request, "unavailable", detail, None, {"Retry-After": "5"})


def _api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(request, exc.slug, exc.detail, exc.errors, exc.headers)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    slug = {404: "not-found", 405: "method-not-allowed", 400: "bad-request"}.get(exc.status_code)
    if slug is None:
        return JSONResponse(
            {"title": str(exc.detail), "status": exc.status_code, "type": "about:blank"},
            exc.status_code,
            headers=exc.headers,
            media_type=MEDIA_TYPE,
        )
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}: see /openapi.json (or /docs) for the paths"
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed(request)}
    return problem_response(request, slug, detail, headers=headers)


_PARAMETER = re.compile(r"\{[^}/]+\}")


def _allowed(request: Request) -> str:
    """Every method the API's document gives this path (the router names only the first
    route's: ``/people/{handle}/notify`` has a GET and a POST); HEAD wherever GET."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "[^/]+".join(re.escape(part) for part in _PARAMETER.split(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


class UnexpectedErrors:
    """ASGI middleware: an unexpected exception becomes a 500 problem (logged once), not a
    bare "Internal Server Error" text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            request = Request(scope)
            log.exception("unexpected error on %s %s", request.method, scope["path"])
            if started:
                raise
            response = problem_response(
                request,
                "internal",
                "something unexpected went wrong on our side (a bug); nothing you sent caused "
                f"it ({type(exc).__name__}). Try again; if it persists, report it with the time.",
            )
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(KoersError, _koers_error)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ViewsUnavailable, _views_unavailable)
    app.add_middleware(UnexpectedErrors)
