"""The AsyncAPI document in docs/ is the one the workers' code generates."""

from __future__ import annotations

import json

from workers.asyncapi import DOCUMENT, document, main


def test_the_checked_in_asyncapi_document_matches_the_workers() -> None:
    assert main(["check"]) == 0, "run: python -m workers.asyncapi write"


def test_it_names_every_subject_the_workers_read_and_write() -> None:
    doc = document()
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == {
        "ledger.>",
        "ledger_schedules.due.>",
        "ledger_schedules.set.{kind}.{id}",
        "ledger_dlq.{stream}.{sequence}",
        "ledger.prompt.*.issued",
        "ledger_notify.send.*",
        "ledger_notify.gather.*",
        "ledger_notify.send.{delivery}",
        "ledger_notify.later.{delivery}",
        "ledger_notify.digest.{person}.{delivery}",
        "ledger_notify.digest_at.{person}",
        "ledger_webhooks.send.>",
        "ledger_webhooks.done.{delivery}",
        "ledger_webhooks.failed.{delivery}",
    }
    actions = {name: op["action"] for name, op in doc["operations"].items()}
    assert actions["ledger events"] == "receive"
    assert actions["dead letters"] == "send"
    assert actions["deliveries"] == "receive"
    assert actions["deliveries held back"] == "send"
    delivery = doc["components"]["messages"]["deliveries:SubscribeMessage"]["payload"]
    assert delivery["properties"]["channel"]["enum"] == ["email", "slack", "teams"]
    events = doc["components"]["messages"]["ledger events:SubscribeMessage"]["payload"]["oneOf"]
    assert {"$ref": "../schemas/prompt.issued.v1.json"} in events
    for ref in events:
        assert (DOCUMENT.parent / ref["$ref"]).resolve().exists(), ref
    assert json.loads(DOCUMENT.read_text("utf-8"))["asyncapi"] == "3.0.0"
