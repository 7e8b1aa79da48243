"""The command line away from the data: every command of the table, and the reads, through
the HTTP API of a running ``koers serve`` (``KOERS_API_URL``) with a token (``KOERS_TOKEN``).

The server checks and records the command exactly as it does for any API client: the actor
is the token's person, its rights are the token's. The command line still checks the values
first (the same declaration, so the same errors, naming its options) and sends them as the
API's JSON; the API's answer comes back as the same errors and exit codes as a local run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.application import Receipt
from ledger.domain import Command
from ledger.errors import InvalidField, InvalidValue, KoersError
from ledger.settings import RemoteSettings

if TYPE_CHECKING:
    import httpx

__all__ = ["Remote", "RemoteProblem", "remote_from_env"]

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


class Remote:
    """A Koers API, as the command line uses it."""

    def __init__(self, url: str, token: str, client: httpx.Client | None = None) -> None:
        import httpx  # only a remote command pays for the import

        self.url = url.rstrip("/")
        self._client = client or httpx.Client(base_url=self.url, timeout=TIMEOUT)
        self._client.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._client.close()

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

    def _send(self, method: str, path: str, **request: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **request)
        except httpx.HTTPError as e:
            raise RemoteProblem(
                503,
                f"cannot reach the Koers API at {self.url} ({type(e).__name__}: {e}); check "
                f"KOERS_API_URL and that `koers serve` runs there",
            ) from None
        if response.is_success:
            return response.json()
        raise _problem(response.status_code, _json_or_text(response))


def _as_json(command: Command, name: str, typed: Any, checked: Any) -> Any:
    """A value as the API's JSON: the checked value in its plain form, but ``now`` as typed
    (so a retry a minute later is the same command on the server too)."""
    if isinstance(typed, str) and typed.strip().lower() == "now":
        return "now"
    return command.field(name).canonical(checked)


def _json_or_text(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text.strip()[:300] or response.reason_phrase}
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
