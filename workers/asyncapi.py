"""The AsyncAPI document of the workers' subjects, generated from the broker definition.

``python -m workers.asyncapi write`` writes ``docs/asyncapi.json``; ``python -m
workers.asyncapi check`` exits 1 when the file differs from what the code generates (a test
runs the check, so the document in the repository always matches the workers).

FastStream describes the channels, operations and bindings; the payloads are filled in here:
ledger events are described by the published schemas (``schemas/<type>.v<N>.json``), the
schedule messages by a small schema of their own, dead letters as the original bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from ledger.schemas import published
from ledger.settings import WorkerSettings
from workers._broker import DIGEST_TEXT, build_broker
from workers._names import Names

__all__ = ["DOCUMENT", "document", "main", "render"]

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"
VERSION = "1.0.0"

SCHEDULE_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "description": "What a schedule fires with: the kind and id of the thing that is due.",
    "properties": {
        "kind": {
            "type": "string",
            "enum": [
                "decision_review",
                "kr_check_in",
                "delegation_check_in",
                "action_item",
                "periodic",
            ],
        },
        "id": {
            "type": "string",
            "description": "The aggregate id (action_item: '<retro id>.<item id>'; "
            "periodic: weekly, monthly or quarterly); the last subject tokens.",
        },
        "due": {"type": "string", "format": "date-time"},
        "trigger": {
            "type": "string",
            "description": "The event that set the schedule: '<kind>:<id>@<version>'.",
        },
    },
    "required": ["kind", "id"],
}


NOTICE: dict[str, Any] = {
    "type": "object",
    "description": "What the message says, the same on every channel.",
    "properties": {
        "title": {"type": "string", "description": "The subject (the question, or 'Your day…')."},
        "intro": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The question."},
                    "why": {"type": "string", "description": "Why it was asked."},
                    "links": {
                        "type": "array",
                        "description": "[label, url] pairs: KOERS_PUBLIC_URL + /prompt/<id> "
                        "to answer, /decision/<id>, /key-result/<id>, /delegation/<id>, "
                        "/retro/<id> (the web pages) for what prompted it.",
                        "items": {"type": "array", "prefixItems": [{"type": "string"},
                                                                   {"type": "string"}]},
                    },
                },
                "required": ["text", "why", "links"],
            },
        },
    },
    "required": ["title", "intro", "items"],
}  # fmt: skip
DELIVERY_PAYLOAD: dict[str, Any] = {
    "type": "object",
    "description": "One message to one person on one channel; the id is a UUID 5 of "
    "(item, channel, person). E-mail carries Message-ID <id@host of KOERS_PUBLIC_URL> and "
    "References <thread@host>.",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "channel": {"type": "string", "enum": ["email", "slack", "teams"]},
        "to": {"type": "string", "description": "The e-mail address or the webhook URL."},
        "handle": {"type": "string"},
        "thread": {"type": "string", "description": "The item: prompt-<id> or digest-…"},
        "notice": NOTICE,
    },
    "required": ["id", "channel", "to", "handle", "thread", "notice"],
}
WEBHOOK_BODY: dict[str, Any] = {
    "type": "object",
    "description": "A webhook delivery's body: the JSON POSTed to the webhook's URL, with the "
    "Standard Webhooks headers webhook-id (the delivery id: msg_ and 32 hex digits, derived "
    "from the webhook and the event's position), webhook-timestamp (seconds, per attempt) and "
    "webhook-signature (v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>' under the "
    "secret>).",
    "properties": {
        "type": {"type": "string", "description": "The event type ('decision.made'), or "
                 "'webhook.test' for a test delivery.", "examples": ["decision.made"]},
        "schema_version": {"type": "integer", "minimum": 1,
                           "description": "Koers-Schema: the payload validates against "
                           "schemas/<type>.v<schema_version>.json."},
        "position": {"type": ["integer", "null"], "minimum": 1,
                     "description": "The event's position in the ledger (stream sequence); "
                     "null for a test delivery."},
        "timestamp": {"type": "string", "format": "date-time",
                      "description": "When the event was recorded (the domain clock)."},
        "aggregate_id": {"type": "string", "format": "uuid"},
        "aggregate_version": {"type": ["integer", "null"], "minimum": 1},
        "payload": {"type": "object", "description": "The event's payload as published."},
    },
    "required": ["type", "schema_version", "position", "timestamp", "aggregate_id", "payload"],
}  # fmt: skip


class _Documented:
    """Stands in for a worker: the broker only needs somewhere to hang its publishers."""

    publishers: dict[str, Any]


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document, as JSON-ready data (deterministic)."""
    settings = WorkerSettings.for_store({})
    names = Names.of(settings)
    broker = build_broker(settings, names, "nats://127.0.0.1:4222", _Documented())
    spec = AsyncAPI(
        broker,
        title="Koers reflection workers",
        version=VERSION,
        description=(
            "The NATS subjects the reflection workers read and write, for the default ledger "
            "stream LEDGER (prefix ledger). Prompts are written back into the ledger through "
            "the event store as prompt.issued events (ids derived from their triggers): "
            "subjects ledger.prompt.<id>.issued, payload schemas/prompt.issued.v1.json."
        ),
    )
    doc: dict[str, Any] = spec.to_specification().to_jsonable()
    events = [{"$ref": f"../schemas/{f.path.name}"} for f in published()]
    payloads = {
        "ledger events": {
            "description": "A Koers event: the schema named by its Koers-Type and "
            "Koers-Schema headers.",
            "oneOf": events,
        },
        "schedules due": SCHEDULE_PAYLOAD,
        "prompts to tell": {"$ref": "../schemas/prompt.issued.v2.json"},
        "deliveries": DELIVERY_PAYLOAD,
        "deliveries to send": DELIVERY_PAYLOAD,
        "deliveries held back": DELIVERY_PAYLOAD,
        "digest items": {"type": "object", "description": DIGEST_TEXT},
        "digest schedules": {"type": "object", "description": "{person, handle}"},
        "digests due": {"type": "object", "description": "{person, handle} (as scheduled)"},
        "schedules set": SCHEDULE_PAYLOAD,
        "ledger events for webhooks": {
            "description": "A Koers event: the schema named by its Koers-Type and "
            "Koers-Schema headers.",
            "oneOf": events,
        },
        "webhook deliveries": WEBHOOK_BODY,
        "webhook failed": WEBHOOK_BODY,
        "webhook delivered": {
            "description": "Empty: the record is the subject's message.",
            "type": "string",
            "maxLength": 0,
        },
        "dead letters": {
            "description": "The original message's payload, byte for byte (cut to 64 KiB, "
            "Koers-Dlq-Size then gives the original size).",
            "type": "string",
            "contentEncoding": "binary",
        },
    }
    for name, message in doc["components"]["messages"].items():
        channel = name.split(":", 1)[0]
        if channel in payloads:
            message["payload"] = payloads[channel]
            message.pop("correlationId", None)
    doc["components"].pop("schemas", None)
    # FastStream's order of channels varies between runs: sort them for a stable file.
    for maps in (doc, doc["components"]):
        for key in ("channels", "operations", "messages"):
            if key in maps:
                maps[key] = dict(sorted(maps[key].items()))
    return doc


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "write"
    text = render(document())
    if command == "write":
        DOCUMENT.write_text(text, "utf-8")
        print(f"wrote {DOCUMENT}")
        return 0
    if command == "check":
        if not DOCUMENT.exists() or DOCUMENT.read_text("utf-8") != text:
            print(f"{DOCUMENT} is out of date: run 'python -m workers.asyncapi write'")
            return 1
        return 0
    print("usage: python -m workers.asyncapi [write|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
