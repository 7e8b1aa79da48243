"""Who is asking: every request except ``/health``, ``/metrics``, ``/problems/…``, the
sign-in pages and a calendar feed (``/calendar/<link>.ics``, whose address is its credential,
``ledger.api._calendar``) proves it, with one of

- ``Authorization: Bearer koers_…``: a token (``koers token create``);
- ``Authorization: Bearer <JWT>``: single sign-on, when ``KOERS_OIDC_ISSUER`` is set;
- the ``koers_session`` cookie the browser got from a one-time login link (``/login?token=…``).
  Writes with the cookie also carry the session's CSRF token (the ``X-CSRF-Token`` header),
  and a cross-site ``Origin`` is refused;
- ``Authorization: Bearer koers-local_<secret>``: ``koers serve``'s own secret, kept in its
  data directory (mode 0600) while it runs, from a client on this machine (loopback) only:
  the command line on the data's machine, the local administrator it is anyway (it could
  write to the store directly), as ``local:<the serve's user>``.

The principal (:class:`ledger.domain.Principal`) is kept on ``request.state.principal``; the
application checks what it may do. A session cookie is HMAC-signed with a key kept in the data
directory; it ends after ``KOERS_SESSION_IDLE_MINUTES`` without a page load (each renews it).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import time
from typing import Any

import orjson
from fastapi import Request

from ledger.access import looks_like_jwt
from ledger.api._common import in_thread, koers_of
from ledger.api._problems import ApiProblem
from ledger.domain import OrgRole, Principal
from ledger.errors import Forbidden, NotFound, Unauthenticated

__all__ = [
    "COOKIE",
    "Sessions",
    "auditor",
    "authenticated",
    "principal_of",
    "see_person",
    "see_team",
]

COOKIE = "koers_session"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SIGN_IN = (
    "sign in: send 'Authorization: Bearer <token>' (an admin makes one with "
    "`koers token create <handle>`), or open a login link (`koers login-link <handle>`)"
)


class Sessions:
    """Browser sessions in a signed cookie: who, how they signed in, when last seen."""

    def __init__(self, key: bytes, idle_minutes: float) -> None:
        self._key = key
        self.idle_seconds = idle_minutes * 60

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def cookie(self, principal: Principal, now: float | None = None) -> str:
        payload = orjson.dumps({"h": principal.handle, "c": principal.credential,
                                "t": int(now if now is not None else time.time())})  # fmt: skip
        return f"{base64.urlsafe_b64encode(payload).decode()}.{self._sign(payload)}"

    def read(self, cookie: str) -> tuple[Principal, float]:
        """The principal a cookie proves and when it was last used, or ``Unauthenticated``."""
        encoded, _, signature = cookie.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded.encode())
        except ValueError:
            payload = b""
        if not payload or not hmac.compare_digest(self._sign(payload), signature):
            raise Unauthenticated(f"the session is not valid: {_SIGN_IN}")
        data: dict[str, Any] = orjson.loads(payload)
        if time.time() - data["t"] > self.idle_seconds:
            raise Unauthenticated(f"the session ended after a while unused: {_SIGN_IN}")
        return Principal(data["h"], data["c"]), float(data["t"])

    def csrf(self, principal: Principal) -> str:
        """The CSRF token of a session (the same for the session's whole life)."""
        return self._sign(f"csrf:{principal.credential}".encode())[:32]


async def _bearer(request: Request, value: str) -> Principal:
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(f"the Authorization header is not 'Bearer <token>': {_SIGN_IN}")
    if token.startswith(LOCAL):
        return _local(request, token.removeprefix(LOCAL))
    koers = koers_of(request)
    if looks_like_jwt(token) and not token.startswith("koers_"):
        verifier = request.app.state.oidc
        if verifier is None:
            raise Unauthenticated(
                "a JWT was sent but single sign-on is not set up here (KOERS_OIDC_ISSUER): "
                "use a Koers token"
            )
        identity = await in_thread(verifier.verify, token)
        match = request.app.state.access.oidc_match
        return await in_thread(
            koers.signed_on, identity.issuer, identity.subject, identity.email, match
        )
    cached = koers.token_principal(token, cached_only=True)
    if cached is not None:
        return cached
    found = await in_thread(koers.token_principal, token)
    assert found is not None
    return found


#: The prefix of ``koers serve``'s local secret (``ledger.cli._remote`` sends it).
LOCAL = "koers-local_"
_LOOPBACK = frozenset({"127.0.0.1", "::1"})


def _local(request: Request, secret: str) -> Principal:
    """The local administrator, proved by the serve's secret, from this machine only."""
    kept: str | None = request.app.state.local_secret
    client = request.client.host if request.client is not None else ""
    if (
        kept is None
        or client not in _LOOPBACK
        or not hmac.compare_digest(secret.encode(), kept.encode())
    ):
        raise Unauthenticated(
            f"the local secret is not this serve's, or was sent from another machine: {_SIGN_IN}"
        )
    user = getpass.getuser()
    return Principal(user, f"local:{user}", local=True)


async def _session(request: Request, cookie: str) -> Principal:
    sessions: Sessions = request.app.state.sessions
    principal, _ = sessions.read(cookie)
    if request.method in _UNSAFE:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise Forbidden("a cross-site request was refused: use the page itself", "")
        sent = request.headers.get("x-csrf-token")
        if not sent or not hmac.compare_digest(sent, sessions.csrf(principal)):
            raise Forbidden(
                "the form's CSRF token is missing or wrong: reload the page and send it again",
                "",
            )
    return principal


async def authenticated(request: Request) -> Principal:
    """The dependency every protected route has: who is asking (or 401)."""
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise ApiProblem("bad-request", "send one Authorization header, not several")
    if len(request.headers.getlist("koers-actor")) > 1:
        raise ApiProblem("bad-request", "send one Koers-Actor header, not several")
    cookie = request.cookies.get(COOKIE)
    if values:
        principal = await _bearer(request, values[0])
    elif cookie:
        principal = await _session(request, cookie)
    else:
        raise Unauthenticated(_SIGN_IN)
    request.state.principal = principal
    await directory_at_min_position(request)
    return principal


async def directory_at_min_position(request: Request) -> None:
    """Read your writes for the access checks too: a request with a ``min_position`` sees
    the directory as of that position (a team or member added through another process),
    not one cached before it."""
    wanted = _min_position(request)
    if wanted is not None:
        await in_thread(koers_of(request).directory, wanted)


def _min_position(request: Request) -> int | None:
    """The log position a read asks to reflect (``min_position`` or ``Koers-Min-Position``);
    ``None`` without one, or for a malformed one (the route's checks refuse it)."""
    sent = [request.query_params.get("min_position"), request.headers.get("koers-min-position")]
    numbers = [int(v) for v in sent if v and v.isascii() and v.isdigit() and len(v) <= 16]
    return max(numbers) if numbers else None


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


async def see_team(request: Request, team: str) -> None:
    """A team's views are seen by its members and those of the teams above it (else 404)."""
    koers, principal = koers_of(request), principal_of(request)
    if not await in_thread(koers.may_see_team, principal, team):
        raise NotFound("team", team, "a team's views are for its members and those above it")


def see_person(request: Request, person: str) -> None:
    """A person's prompts and journal are seen by that person only (else 404)."""
    if principal_of(request).handle != person:
        raise NotFound("person", person, "you see your own prompts and journal only")


async def auditor(request: Request) -> None:
    """The audit routes answer auditors (and the local administrator)."""
    koers, principal = koers_of(request), principal_of(request)
    directory = await in_thread(koers.directory)
    if not (principal.local or directory.has(principal.handle, OrgRole.AUDITOR)):
        raise Forbidden(
            "the audit routes are for auditors: ask an admin for the auditor role "
            "(`koers people grant <handle> --role auditor`)",
            "an auditor",
        )
