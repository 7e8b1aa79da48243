"""The command line through a running ``koers serve``'s HTTP API: every command of the
table, and the reads.

- Away from the data: the API of ``KOERS_API_URL`` with a token (``KOERS_TOKEN``). The server
  checks and records the command exactly as it does for any API client: the actor is the
  token's person, its rights are the token's.
- On the data's machine, with a ``koers serve`` running on the data directory: its API, with
  the serve's local secret (:func:`ledger.cli._address.running_serve`), as the local
  administrator. The command starts nothing (no nats-server, no store connection, no
  application) and imports none of that: it is one HTTP request on loopback.

The command line still checks a command's values first (the same declaration, so the same
errors, naming its options) and sends them as the API's JSON; the API's answer comes back as
the same errors and exit codes as a local run. Requests go through the standard library's
``http.client`` (a one-shot command does not pay for importing an HTTP library).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit
from uuid import UUID

from ledger.errors import InvalidField, InvalidValue, KoersError
from ledger.settings import RemoteSettings, Settings

if TYPE_CHECKING:
    from http.client import HTTPConnection

    from ledger.application import Receipt
    from ledger.domain import Command

__all__ = ["LOCAL_SCHEME", "Remote", "RemoteProblem", "remote_for", "remote_from_env"]

#: The prefix of a serve's local secret in ``Authorization: Bearer …`` (ledger.api._auth).
LOCAL_SCHEME = "koers-local_"

#: How long one request may take (a write waits for the store's acknowledgement).
TIMEOUT = 30.0
#: Problem types the API answers for field errors (see ledger.api._problems).
_FIELD_PROBLEMS = {"invalid-value", "invalid-request"}
#: The API names the idempotency key by its header; the command line by its option.
_API_NAMES = {"Idempotency-Key": "key", "If-Match": "expected_version"}


class RemoteProblem(KoersError):
    """The API refused or failed a request; ``status`` decides the exit code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def remote_from_env() -> Remote | None:
    """The API named by ``KOERS_API_URL`` (with ``KOERS_TOKEN``), or ``None`` to run locally."""
    settings = RemoteSettings.from_env()
    return None if settings is None else Remote(settings.url, settings.token)


def remote_for(data_dir: Path | None = None) -> Remote | None:
    """The API to work through: ``KOERS_API_URL`` (with ``KOERS_TOKEN``), else the
    ``koers serve`` running on the data directory (``data_dir`` or ``KOERS_DATA_DIR``), else
    ``None``: run on the local data."""
    remote = remote_from_env()
    if remote is not None:
        return remote
    from ledger.cli._address import running_serve

    found = running_serve(Settings.from_env(data_dir=data_dir).store)
    if found is None:
        return None
    url, secret = found
    return Remote(url, LOCAL_SCHEME + secret, local=True)


class Remote:
    """A Koers API, as the command line uses it. ``local``: a serve on this machine's data,
    reached with its local secret (the command line is its local administrator)."""

    def __init__(self, url: str, token: str, *, local: bool = False) -> None:
        self.url = url.rstrip("/")
        self.local = local
        parts = urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._connection: HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def execute(
        self,
        command: Command,
        target: UUID | str | None,
        values: Mapping[str, Any],
        *,
        actor: str | None,
        key: str,
        expected_version: str | None,
    ) -> Receipt:
        """Run ``command`` on the server; the values are checked here first."""
        from ledger.application import Receipt

        checked = command.check(values)
        body = {name: _as_json(command, name, values[name], checked[name]) for name in values}
        path = command.path
        if target is not None:
            path = path.replace("{" + command.target_name + "}", str(target))
        for name in list(body):
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", str(body.pop(name)))
        if actor is not None:
            body["actor"] = actor
        headers = {"Idempotency-Key": key} if key else {}
        if expected_version is not None:
            headers["If-Match"] = f'"{expected_version}"'
        answer = self._send("POST", path, json=body, headers=headers)
        return Receipt(
            id=UUID(answer["id"]),
            version=answer["version"],
            position=answer.get("position"),
            replayed=answer.get("replayed", False),
            item_id=UUID(answer["item_id"]) if answer.get("item_id") else None,
            secret=answer.get("secret"),
        )

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._send("GET", path, params=dict(params or {}))

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._send("POST", path, json=dict(body or {}))

    def every(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[Any]:
        """Every item of a paged list, page by page."""
        offset = 0
        while True:
            page = self.get(path, {**(params or {}), "limit": "1000", "offset": str(offset)})
            yield from page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def _open(self) -> HTTPConnection:
        if self._connection is None:
            from http.client import HTTPConnection, HTTPSConnection

            kind = HTTPSConnection if self._https else HTTPConnection
            self._connection = kind(self._host, self._port, timeout=TIMEOUT)
        return self._connection

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        target = f"{self._base}/{quote(path.lstrip('/'), safe='/')}"
        if params:
            target += f"?{urlencode(params)}"
        sent = {**self._headers, **(headers or {})}
        body = None
        if json is not None:
            body = _dumps(json)
            sent["Content-Type"] = "application/json"
        try:
            connection = self._open()
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            status, raw = response.status, response.read()
            reason = response.reason
        except OSError as e:
            self.close()
            raise RemoteProblem(
                503,
                f"cannot reach the Koers API at {self.url} ({type(e).__name__}: {e}); check "
                f"KOERS_API_URL and that `koers serve` runs there",
            ) from None
        if 200 <= status < 300:
            return _loads(raw)
        raise _problem(status, _json_or_text(raw, reason))


def _as_json(command: Command, name: str, typed: Any, checked: Any) -> Any:
    """A value as the API's JSON: the checked value in its plain form, but ``now`` as typed
    (so a retry a minute later is the same command on the server too)."""
    if isinstance(typed, str) and typed.strip().lower() == "now":
        return "now"
    return command.field(name).canonical(checked)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _loads(raw: bytes) -> Any:
    return json.loads(raw) if raw.strip() else None


def _json_or_text(raw: bytes, reason: str) -> dict[str, Any]:
    try:
        body = _loads(raw)
    except ValueError:
        return {"detail": raw.decode(errors="replace").strip()[:300] or reason}
    return body if isinstance(body, dict) else {"detail": str(body)[:300]}


def _problem(status: int, body: dict[str, Any]) -> KoersError:
    """The API's problem as the command line's error (field errors keep their fields)."""
    kind = str(body.get("type", "")).rsplit("/", 1)[-1]
    errors = body.get("errors") or []
    if kind in _FIELD_PROBLEMS and errors:
        found: list[InvalidValue] = [
            InvalidField(_API_NAMES.get(e["field"], e["field"]), e["detail"]) for e in errors
        ]
        return InvalidField.several(found)
    detail = str(body.get("detail") or body.get("title") or f"HTTP {status}")
    if status == 401:
        detail += " (KOERS_TOKEN was not accepted: ask an admin for a new token)"
    return RemoteProblem(status, detail)
