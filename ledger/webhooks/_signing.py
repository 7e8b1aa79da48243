"""Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme").

The signed content is ``<webhook-id>.<webhook-timestamp>.<body>``; the signature is
HMAC-SHA256 under the secret's bytes (the base64 after ``whsec_``), sent as
``webhook-signature: v1,<base64>``. ``webhook-timestamp`` is whole seconds since the epoch;
receivers refuse one far from their clock, so it is the time of each attempt, not of the
event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["signed_headers"]

_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(_PREFIX))


def signed_headers(secret: str, delivery: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers (and the content type) of one attempt."""
    content = f"{delivery}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return {
        "webhook-id": delivery,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }
