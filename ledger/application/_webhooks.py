"""The webhooks' commands (declared in ``ledger.domain.webhooks``) and what the workers and
the entry points read of them.

Adding a webhook makes its signing secret (Standard Webhooks: ``whsec_`` and 24 random bytes
in base64) and records it sealed (:mod:`ledger.application._sealing`); the receipt carries
it in clear this once. A retried add (same idempotency key) answers the first webhook and no
secret: it was shown the first time.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.application._base import KoersBase, Receipt
from ledger.application._sealing import SecretBox, secret_box
from ledger.domain import Webhook

__all__ = ["WebhookCommands", "new_webhook_secret"]

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookCommands(KoersBase):
    _box: SecretBox | None = None

    def secret_box(self) -> SecretBox:
        """The key webhooks' secrets are sealed with: the data directory's for the NATS
        store, this process's own for the in-memory one."""
        if self._box is None:
            durable = (self.env.get("PERSISTENCE_MODULE") or "ledger.nats") == "ledger.nats"
            data_dir = self.env.get("KOERS_DATA_DIR")
            self._box = secret_box(Path(data_dir) if durable and data_dir else None)
        return self._box

    def add_webhook(self, *, actor: str, key: str = "", **values: Any) -> Receipt:
        """Register a webhook for ``actor``; the receipt carries its secret (shown once)."""
        secret = new_webhook_secret()

        def make(new_id: UUID) -> Webhook:
            sealed = self.secret_box().seal(secret, str(new_id))
            return Webhook.add(id=new_id, actor=actor, command_id=str(key),
                               sealed_secret=sealed, **values)  # fmt: skip

        receipt = self.create(Webhook, key, make, Webhook.Added)
        return replace(receipt, secret=None if receipt.replayed else secret)

    def webhooks(self, owner: str | None = None) -> list[Webhook]:
        """Every webhook (of one person), removed ones too, oldest first."""
        return [w for w in self.all_of(Webhook) if owner is None or w.owner == owner]

    def webhook_secret(self, hook: Webhook) -> str:
        """The webhook's signing secret (the workers sign with it)."""
        return self.secret_box().open(hook.sealed_secret, str(hook.id))

    def webhooks_since(self) -> dict[UUID, int]:
        """Each webhook's id with the stream position of its ``Added`` event: it is sent
        the events recorded after that."""
        topic = get_topic(Webhook.Added)
        found: dict[UUID, int] = {}
        start = 0
        while page := self.recorder.select_notifications(
            start, 500, topics=[topic], inclusive_of_start=False
        ):
            for notification in page:
                found[UUID(str(notification.originator_id))] = int(notification.id)
            start = page[-1].id
        return found
