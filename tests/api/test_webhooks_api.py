"""Webhooks over HTTP, end to end: added through the API (the secret in the answer, once),
listed to their owner only, a test delivery asked for through the API and sent by the
workers to a receiver on 127.0.0.1, where it verifies as Standard Webhooks."""

from __future__ import annotations

import json
from pathlib import Path

import standardwebhooks

from ledger.settings import WebhookSettings
from tests.api.test_api_support import running_api
from tests.conftest import fresh_env
from tests.workers.test_webhooks_support import receiving
from tests.workers.test_workers_support import running_workers, wait_for

QUICK = WebhookSettings(
    timeout=2.0, retry_delay=0.1, max_delay=0.4, retry_window=3.0, keep=600, allow_private=True
)


def test_a_webhook_added_listed_and_tested_over_http(tmp_path: Path) -> None:
    env = fresh_env(KOERS_DATA_DIR=str(tmp_path / "data"))
    with running_api(env) as api, receiving() as receiver, running_workers(env, webhooks=QUICK):
        bob = {"Koers-Actor": "bob"}
        added = api.ok("/webhooks", {"url": receiver.url, "events": ["webhook.test"]}, **bob)
        hook, secret = added["id"], added["secret"]
        assert secret.startswith("whsec_")
        (listed,) = api.client.get("/webhooks", headers=bob).json()
        assert (listed["id"], listed["owner"], listed["events"]) == (hook, "bob", ["webhook.test"])
        assert "secret" not in json.dumps(listed)
        assert api.client.get("/webhooks", headers={"Koers-Actor": "cem"}).json() == []
        assert api.client.get("/webhooks", headers={"Koers-Actor": "audrey"}).json() != []
        refused = api.client.post(f"/webhooks/{hook}/test", headers={"Koers-Actor": "cem"})
        assert refused.status_code == 404
        queued = api.client.post(f"/webhooks/{hook}/test", headers=bob)
        assert queued.status_code == 202, queued.text
        wait_for(lambda: len(receiver.taken) == 1, what="the test delivery")
        assert api.client.get("/webhooks/failures", headers=bob).json() == []
        unknown = api.client.post("/webhooks/failures/msg_nothing/replay", headers=bob)
        assert unknown.status_code == 404
    (taken,) = receiver.taken
    assert taken.id == queued.json()["delivery"]
    body = standardwebhooks.Webhook(secret).verify(taken.body, taken.headers)
    assert body["type"] == "webhook.test"
    assert body["payload"] == {"webhook_id": hook, "requested_by": "bob"}
