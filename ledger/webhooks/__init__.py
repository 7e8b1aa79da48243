"""Outgoing webhooks' storage on NATS and the operations beside the command table.

The workers deliver (``workers._webhooks``); this package holds what they and the entry
points share: the stream and subjects (:mod:`._names`), the exactly-once records and the
failures (:mod:`._records`), Standard Webhooks signing (:mod:`._signing`) and the
list/failures/test/replay operations (:mod:`._desk`).
"""

from ledger.webhooks._desk import WebhookDesk
from ledger.webhooks._names import HookNames, Joined
from ledger.webhooks._records import (
    Failure,
    SideStream,
    delivery_id,
    done_among,
    event_body,
    failure_headers,
    hooks_config,
    is_done,
    once,
    publish_once,
    read_failures,
)
from ledger.webhooks._signing import signed_headers

__all__ = [
    "Failure",
    "HookNames",
    "Joined",
    "SideStream",
    "WebhookDesk",
    "delivery_id",
    "done_among",
    "event_body",
    "failure_headers",
    "hooks_config",
    "is_done",
    "once",
    "publish_once",
    "read_failures",
    "signed_headers",
]
