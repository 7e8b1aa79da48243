"""Webhooks over HTTP beyond the command table (``POST /webhooks`` adds one and
``POST /webhooks/{webhook_id}/remove`` removes it, from ``webhook.add`` and ``webhook.remove``):

- ``GET /webhooks``: your webhooks (every one for an admin or an auditor), without secrets;
- ``GET /webhooks/failures``: deliveries given up after the retry window, with their bodies;
- ``POST /webhooks/{webhook_id}/test``: queue a test delivery (type ``webhook.test``);
- ``POST /webhooks/failures/{delivery}/replay``: queue a failed delivery again (same
  ``webhook-id``).

The workers send; this only asks them to (:class:`ledger.webhooks.WebhookDesk`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ledger.api._auth import principal_of
from ledger.api._common import in_thread, koers_of
from ledger.api._schema import READ_ERRORS, WRITE_ERRORS
from ledger.domain import Webhook
from ledger.webhooks import Failure, WebhookDesk

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])


class WebhookState(BaseModel):
    id: UUID
    version: int
    owner: str
    url: str
    events: list[str] = Field(examples=[["decision.*", "prompt.*"]])
    team: str | None
    label: str
    removed: bool
    created_on: datetime


class Queued(BaseModel):
    delivery: str = Field(description="The webhook-id the workers will send it with.")
    webhook_id: str


def _state(hook: Webhook) -> WebhookState:
    return WebhookState(
        id=hook.id, version=hook.version, owner=hook.owner, url=hook.url,
        events=list(hook.events), team=hook.team, label=hook.label, removed=hook.removed,
        created_on=hook.created_on,
    )  # fmt: skip


@router.get("/webhooks", summary="List webhooks", responses=READ_ERRORS)
async def list_webhooks(request: Request) -> list[WebhookState]:
    """Your webhooks, removed ones too (an admin or an auditor sees every one); the secrets
    are never shown again."""
    desk = WebhookDesk(koers_of(request))
    hooks = await in_thread(desk.webhooks, principal_of(request))
    return [_state(h) for h in hooks]


@router.get("/webhooks/failures", summary="List failed deliveries", responses=READ_ERRORS)
async def webhook_failures(request: Request) -> list[Failure]:
    """Deliveries of your webhooks given up after the retry window and not delivered since,
    oldest first."""
    desk = WebhookDesk(koers_of(request))
    return await in_thread(desk.failures, principal_of(request))


@router.post("/webhooks/{webhook_id}/test", summary="Send a test delivery", status_code=202,
             responses=WRITE_ERRORS)  # fmt: skip
async def test_webhook(request: Request, webhook_id: UUID) -> Queued:
    """Queue a delivery of type `webhook.test` to the webhook: the workers send it, signed,
    as any other."""
    desk = WebhookDesk(koers_of(request))
    delivery = await in_thread(desk.test, principal_of(request), webhook_id)
    return Queued(delivery=delivery, webhook_id=str(webhook_id))


@router.post("/webhooks/failures/{delivery}/replay", summary="Replay a failed delivery",
             status_code=202, responses=WRITE_ERRORS)  # fmt: skip
async def replay_delivery(request: Request, delivery: str) -> Queued:
    """Queue a failed delivery again, byte for byte and with the same webhook-id; a delivery
    that was delivered meanwhile is not sent again."""
    desk = WebhookDesk(koers_of(request))
    failure = await in_thread(desk.replay, principal_of(request), delivery)
    return Queued(delivery=failure.delivery, webhook_id=failure.webhook_id)
