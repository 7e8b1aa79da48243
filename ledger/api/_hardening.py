"""Hardening at the HTTP edge: one pure ASGI middleware in front of the whole API, and a
filter for uvicorn's access log.

Every HTTP request goes through these steps, in order; a refusal is answered here, as
``application/problem+json``, and the app never sees the request:

1. **Host.** The ``Host`` header must be one of :meth:`ApiSettings.host_names` (by default
   the loopback names, any port), else 421 ``unknown-host`` naming ``KOERS_PUBLIC_HOSTS``.
   A page on ``attacker.example`` that points its name at 127.0.0.1 (DNS rebinding) reaches
   the socket but not the API. ``/health`` too: no path is exempt.
2. **Body size.** A ``Content-Length`` over :data:`MAX_BODY` is answered 413
   ``body-too-large`` at once, the body unread, and the connection closed. A body without a
   length (chunked) is counted as it arrives: the chunk that crosses the limit is answered
   413 and whatever the app answers after is dropped.
3. **HEAD** is served as GET with the body dropped (FastAPI's routes take GET only): the same
   status and headers, ``Content-Length`` included; where GET is not allowed, 405.
4. **Answer headers**, precomputed: :data:`SECURITY_HEADERS` and a Content-Security-Policy on
   every answer (JSON, problems, the web pages). The pages load their script and style from
   ``/static`` ('self'); no inline script or style is allowed. FastAPI's ``/docs`` and
   ``/redoc`` load their code from a CDN and style themselves inline: those paths alone get
   :func:`docs_policy`. ``Cache-Control: no-store`` unless the app set one.
5. **Credentials.** An error answer never echoes a credential the request carried (the
   ``Authorization`` value, a cookie's value, a secret query parameter, see
   :func:`is_secret_name`): whatever a handler wrote, such values become ``…``.

:data:`REDACT_QUERY` does the same for uvicorn's access log, which prints the request line
with its query string (``/login?token=…``).

For a request that passes, the cost is one scan of its headers and one list extension for
the answer's headers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from base64 import b64encode
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote_plus

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api._problems import MEDIA_TYPE, PROBLEMS
from ledger.settings import ApiSettings

__all__ = ["MAX_BODY", "REDACT_QUERY", "Hardening", "docs_policy", "harden", "redact_query"]

#: The largest request body accepted, in bytes (a command's body is a few KB).
MAX_BODY = 1024 * 1024
#: Query parameters whose values are credentials: these names, or ending in ``_name``.
SECRET_PARAMS = ("token", "code", "secret", "key", "password")
REDACTED = "…"
#: Shorter values are not credentials (Koers's are 32 characters and more); replacing them
#: in an answer would garble it.
MIN_SECRET = 8

_BASE_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
#: Sent with every answer, besides the Content-Security-Policy.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # a form post then names its Origin
    (b"x-frame-options", b"DENY"),
)
_NO_STORE = (b"cache-control", b"no-store")


def _inline_hashes(html: str) -> tuple[str, str]:
    """The CSP sources for the inline ``<script>`` and ``<style>`` elements of ``html``."""
    found: dict[str, list[str]] = {"script": [], "style": []}
    for tag, attributes, text in _INLINE.findall(html):
        if "src=" not in (attributes or ""):
            digest = b64encode(hashlib.sha256(text.encode()).digest()).decode()
            found[tag.lower()].append(f"'sha256-{digest}'")
    return " ".join(found["script"]), " ".join(found["style"])


def page_policy(html: str) -> str:
    """The policy for the API and the page ``html``: its own inline code, nothing else."""
    scripts, styles = _inline_hashes(html)
    return f"{_BASE_POLICY}; script-src 'self' {scripts}".rstrip() + (
        f"; style-src 'self' {styles}".rstrip()
    )


def docs_policy(html: str) -> str:
    """The policy for FastAPI's documentation pages: Swagger UI and ReDoc from jsDelivr, their
    bootstrap script by hash; they style themselves inline, so styles are not restricted."""
    scripts, _ = _inline_hashes(html)
    return (
        f"{_BASE_POLICY}; script-src 'self' https://cdn.jsdelivr.net {scripts}; "
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
        "font-src 'self' https://fonts.gstatic.com; "
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
        "worker-src 'self' blob:"
    )


def is_secret_name(name: str) -> bool:
    """``token``, ``code``, ``secret``, ``key``, ``password``, or a name ending in one
    (``access_token``, ``api-key``)."""
    name = name.lower()
    return any(name == w or name.endswith(("_" + w, "-" + w)) for w in SECRET_PARAMS)


def redact_query(target: str) -> str:
    """``/login?token=abc&next=/`` -> ``/login?token=…&next=/``."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = (p.partition("=") for p in query.split("&"))
    return (
        path
        + mark
        + "&".join(
            f"{n}={REDACTED}" if eq and is_secret_name(unquote_plus(n)) else n + eq + v
            for n, eq, v in parts
        )
    )


class _RedactQuery(logging.Filter):
    """Redacts the query of every string argument of a record (uvicorn's access log passes
    the request target as one; its formatter needs the arguments, so the message stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in record.args)
        return True


REDACT_QUERY = _RedactQuery()


def _credentials(scope: Scope) -> list[bytes]:
    """The credentials a request carried, as they might be echoed, longest first."""
    found: list[str] = []
    for name, value in scope["headers"]:
        text = value.decode("latin-1")
        if name == b"authorization":
            found += [text, text.partition(" ")[2]]
        elif name == b"cookie":
            found += [text] + [part.partition("=")[2].strip() for part in text.split(";")]
    query = scope.get("query_string", b"").decode("latin-1")
    found += [value for name, value in parse_qsl(query) if is_secret_name(name)]
    forms = {form for s in found for form in (s, quote(s, safe=""), json.dumps(s)[1:-1])}
    return sorted((f.encode() for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)


def _problem(scope: Scope, slug: str, detail: str) -> tuple[int, bytes]:
    status, title, _ = PROBLEMS[slug]
    problem = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope["path"],
    }
    return status, json.dumps(problem).encode()


class Hardening:
    """The middleware (see the module docstring): ``hosts`` as from
    :meth:`ApiSettings.host_names`, ``page`` the HTML whose inline code the policy allows,
    ``docs_paths`` the paths that get :func:`docs_policy`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: Iterable[str],
        page: str = "",
        docs_paths: Iterable[str] = (),
        max_body: int = MAX_BODY,
    ) -> None:
        self.app, self.max_body, self.docs_paths = app, max_body, frozenset(docs_paths)
        names = [h.lower().encode() for h in hosts]
        self.exact = {n for n in names if _has_port(n)}
        self.any_port = set(names) - self.exact
        policy = (b"content-security-policy", page_policy(page).encode())
        self.headers = [*SECURITY_HEADERS, policy]
        self.headers_no_store = [*self.headers, _NO_STORE]

    def allows(self, host: bytes | None) -> bool:
        """Whether a ``Host`` header names this server."""
        if host is None:
            return False
        host = host.lower()
        if host in self.exact or host in self.any_port:
            return True
        name, colon, port = host.rpartition(b":")
        return bool(colon) and port.isdigit() and name in self.any_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = length = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"content-length":
                length = value
        refusal = self.refusal(host, length)
        if refusal is not None:
            await self.refuse(scope, send, *refusal)
            return
        # Without a length a body is counted; GET and HEAD bodies are never read by the app.
        counted = length is None and scope["method"] not in ("GET", "HEAD")
        exchange = _Exchange(self, scope, receive, send)
        try:
            await self.app(exchange.scope, exchange.receive if counted else receive, exchange.send)
        except _BodyTooLarge:
            if not exchange.refused:
                raise  # the app answered before it read the whole body: nothing to add

    def refusal(self, host: bytes | None, length: bytes | None) -> tuple[str, str] | None:
        """Why a request is refused before the app sees it (slug, detail), if it is."""
        if not self.allows(host):
            named = repr(host.decode("latin-1")[:100]) if host else "(none)"
            return "unknown-host", (
                f"this server does not answer to the host {named}: if that is its public name, "
                "add it to KOERS_PUBLIC_HOSTS (comma separated, e.g. koers.example) or set "
                "KOERS_PUBLIC_URL"
            )
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return "body-too-large", self.too_large(f" ({length.decode('latin-1')} bytes)")
        return None

    def too_large(self, size: str = "") -> str:
        return f"the request body is over {self.max_body} bytes{size}: send less"

    async def refuse(self, scope: Scope, send: Send, slug: str, detail: str) -> None:
        status, body = _problem(scope, slug, detail)
        headers = [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *self.headers_no_store,
        ]
        if status == 413:
            headers.append((b"connection", b"close"))  # the rest of the body is not read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        head = scope["method"] == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head else body})


class _BodyTooLarge(Exception):
    """Raised into the app by ``receive`` once the 413 is sent, to stop it reading."""


def _has_port(name: bytes) -> bool:
    _, colon, port = name.rpartition(b":")
    return bool(colon) and port.isdigit() and not name.endswith(b"]")


class _Exchange:
    """One request's state: bytes received, whether the answer started, what is held back."""

    __slots__ = (
        "downstream",
        "head",
        "held",
        "hold",
        "outer",
        "received",
        "refused",
        "scope",
        "secrets",
        "started",
        "upstream",
    )

    def __init__(self, outer: Hardening, scope: Scope, receive: Receive, send: Send) -> None:
        self.outer, self.upstream, self.downstream = outer, receive, send
        self.head = scope["method"] == "HEAD"
        self.scope = {**scope, "method": "GET"} if self.head else scope
        self.received, self.started, self.refused = 0, False, False
        self.hold: Message | None = None  # an answer's start, held until its body is whole
        self.held: list[bytes] = []
        self.secrets: list[bytes] = []

    async def receive(self) -> Message:
        message = await self.upstream()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.outer.max_body:
                if not self.started:
                    self.refused = True
                    detail = self.outer.too_large()
                    await self.outer.refuse(self.scope, self.downstream, "body-too-large", detail)
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # our 413 went out: the app's answer is dropped
        if message["type"] == "http.response.start":
            self.started = True
            message = self._with_headers(message)
        elif message["type"] == "http.response.body":
            if self.hold is not None:
                self.held.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_held(self.hold, b"".join(self.held))
                return
            if self.head:
                message = {**message, "body": b""}
        if self.hold is None:
            await self.downstream(message)

    def _with_headers(self, message: Message) -> Message:
        headers = list(message.get("headers", ()))
        has_cache = any(name == b"cache-control" for name, _ in headers)
        if self.scope["path"] in self.outer.docs_paths:
            headers += SECURITY_HEADERS if has_cache else (*SECURITY_HEADERS, _NO_STORE)
            message = self.hold = {**message, "headers": headers}  # its policy needs its body
            return message
        headers += self.outer.headers if has_cache else self.outer.headers_no_store
        message = {**message, "headers": headers}
        if message["status"] >= 400:
            self.secrets = _credentials(self.scope)
            if self.secrets:
                self.hold = message  # its body may echo them
        return message

    async def _send_held(self, start: Message, body: bytes) -> None:
        """The held answer, its credentials replaced or its policy added."""
        headers = [(n, v) for n, v in start["headers"] if n != b"content-length"]
        if self.secrets:
            for secret in self.secrets:
                body = body.replace(secret, REDACTED.encode())
        else:
            policy = docs_policy(body.decode("utf-8", "replace"))
            headers.append((b"content-security-policy", policy.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await self.downstream({**start, "headers": headers})
        await self.downstream({"type": "http.response.body", "body": b"" if self.head else body})


def harden(api: FastAPI, settings: ApiSettings) -> None:
    """Put :class:`Hardening` in front of ``api`` (outside the problem handlers: call this
    after them) and :data:`REDACT_QUERY` on uvicorn's access log."""
    docs = (api.docs_url, api.redoc_url, api.docs_url and api.swagger_ui_oauth2_redirect_url)
    api.add_middleware(
        Hardening, hosts=settings.host_names(), page="", docs_paths=[p for p in docs if p]
    )
    logging.getLogger("uvicorn.access").addFilter(REDACT_QUERY)
