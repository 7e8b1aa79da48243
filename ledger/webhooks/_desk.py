"""What the command line and the API do with webhooks beyond the command table: list them,
list failed deliveries, ask the workers for a test delivery or a replay.

Nothing here sends anything: a test or a replay is a message on ``send.>`` that the workers
deliver as any other (signed, retried, recorded once). Who may: a webhook's owner, an admin,
and the local command line; an auditor and an admin also list every webhook and failure.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError, NotFoundError

from ledger.application import Koers
from ledger.domain import OrgRole, Principal, Webhook
from ledger.errors import ConfigurationError, Forbidden, NotFound
from ledger.webhooks._names import HookNames
from ledger.webhooks._records import (
    H_OWNER,
    H_WEBHOOK,
    Failure,
    failure_of,
    publish_once,
    read_failures,
    test_body,
    test_delivery_id,
)

__all__ = ["WebhookDesk"]


class WebhookDesk:
    """The webhooks of one application, for one principal at a time."""

    def __init__(self, app: Koers) -> None:
        self.app = app

    # -- who may ------------------------------------------------------------------------

    def _sees_all(self, principal: Principal) -> bool:
        directory = self.app.directory()
        roles = (OrgRole.ADMIN, OrgRole.AUDITOR)
        return principal.local or any(directory.has(principal.handle, r) for r in roles)

    def _may_send(self, principal: Principal, hook: Webhook) -> None:
        if principal.read_only:
            raise Forbidden("this credential is read-only: it may read, never write",
                            "a credential that may write")  # fmt: skip
        admin = self.app.directory().has(principal.handle, OrgRole.ADMIN)
        if not (principal.local or admin or hook.owner == principal.handle):
            raise NotFound("webhook", hook.id)

    # -- reads --------------------------------------------------------------------------

    def webhooks(self, principal: Principal) -> list[Webhook]:
        """The principal's webhooks (every one for an admin, an auditor, the local CLI)."""
        owner = None if self._sees_all(principal) else principal.handle
        return self.app.webhooks(owner)

    def failures(self, principal: Principal) -> list[Failure]:
        found: list[Failure] = self._call(read_failures)
        if self._sees_all(principal):
            return list(found)
        return [f for f in found if f.owner == principal.handle]

    # -- asking the workers to send -----------------------------------------------------

    def test(self, principal: Principal, webhook_id: UUID) -> str:
        """Queue a test delivery (type ``webhook.test``); its delivery id."""
        hook = self.app.load(Webhook, webhook_id)
        self._may_send(principal, hook)
        if hook.removed:
            raise NotFound("webhook", webhook_id)
        delivery = test_delivery_id()
        headers = {H_WEBHOOK: str(hook.id), H_OWNER: hook.owner}
        body = test_body(hook.id, principal.handle)

        async def send(js: JetStreamContext, names: HookNames) -> bool:
            return await publish_once(js, names.send_subject(delivery), body, headers,
                                      msg_id=delivery, timeout=self._timeout)  # fmt: skip

        self._call(send)
        return delivery

    def replay(self, principal: Principal, delivery: str) -> Failure:
        """Queue a failed delivery again, byte for byte and with the same ``webhook-id``."""

        async def failed(js: JetStreamContext, names: HookNames) -> Failure | None:
            try:
                raw = await js.get_last_msg(names.hooks_stream, names.failed_subject(delivery))
            except NotFoundError:
                return None
            subject = names.failed_subject(delivery)
            return failure_of(names, subject, raw.seq or 0, raw.headers, raw.data or b"")

        failure: Failure | None = self._call(failed) if _token(delivery) else None
        if failure is None:
            raise NotFound("failed delivery", delivery)
        hook = self.app.load(Webhook, UUID(failure.webhook_id))
        self._may_send(principal, hook)

        async def again(js: JetStreamContext, names: HookNames) -> bool:
            subject = names.send_subject(delivery, failure.sequence)
            headers = {H_WEBHOOK: failure.webhook_id, H_OWNER: failure.owner}
            return await publish_once(js, subject, failure.body.encode(), headers,
                                      msg_id=f"replay_{delivery}_{failure.sequence}",
                                      timeout=self._timeout)  # fmt: skip

        self._call(again)
        return failure

    # -- NATS ---------------------------------------------------------------------------

    @property
    def _timeout(self) -> float:
        return float(self._connection().settings.timeout)

    def _connection(self) -> Any:
        connection = getattr(self.app.factory, "connection", None)
        if connection is None:
            raise ConfigurationError("webhook deliveries need the NATS store (ledger.nats)")
        return connection

    def _call(self, work: Any) -> Any:
        connection = self._connection()
        settings = connection.settings
        names = HookNames(settings.stream, settings.subject_prefix)

        async def run() -> Any:
            try:
                return await work(connection.js, names)
            except (NotFoundError, NoStreamResponseError):
                raise ConfigurationError(
                    f"no stream {names.hooks_stream} yet: the workers make it when they first "
                    f"run (`koers serve` or `koers worker`)"
                ) from None

        return connection.call(run())


def _token(delivery: str) -> bool:
    """A delivery id is one subject token (``msg_…``)."""
    return bool(delivery) and all(c.isalnum() or c == "_" for c in delivery)
