"""Quarantine instead of a stopped view (issue 11), on `koers serve` as a user runs it.

Six messages on the ledger's subjects: one without headers (on a real objective's own subject,
and one on a decision's subject, which the workers read), one forged with a payload that does
not have its digest, two well-formed and signed with the ledger's key (as a faulty writer
would) whose payload the views cannot apply (a time out of range; no period, which once made
`GET /objectives` answer 502 and every view 503), and one forged with a good digest and a
signature copied from another event (any client with publish rights could make it). Each is
set aside once with its reason; every read answers 200; the live views equal a rebuild;
`koers quarantine list`, `koers status`, `/health`, `/metrics`, `koers export` and `koers
projections rebuild` show them; the workers go on, and the checkpointer signs past them (a
checkpoint vouches for the bytes stored; `koers audit verify` names each forgery).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson
import pytest

from ledger.nats._client import OutMessage
from ledger.nats._keys import load_or_create_signing_key
from ledger.nats._signing import EventSigner
from tests.api.test_api_serve import _token
from tests.commandline import run_koers, serving
from workers import Names, read_dead_letters

DEADLINE = 90.0
OBJECTIVE = {"team": "platform", "title": "Ship weekly", "why": "Customers wait",
             "period": "2026-Q4", "owner": "ann"}  # fmt: skip


def _wait(what: str, check: Callable[[], Any]) -> Any:
    """``check()`` once it is truthy; fails after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {DEADLINE:g} s"
        time.sleep(0.2)


def _koers_json(*args: str, env: dict[str, str]) -> Any:
    done = run_koers(*args, "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def _publish_bad(url: str, position: int, objective_id: str, data_dir: Path) -> list[int]:
    """The six messages (see the module doc); their stream positions."""
    signer = EventSigner(load_or_create_signing_key(data_dir))
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        real = await js.get_msg("LEDGER", position)
        headers = {k: v for k, v in (real.headers or {}).items() if k.startswith("Koers-")}
        payload = orjson.loads(real.data or b"")
        forged_id = str(uuid.uuid4())
        forged = orjson.dumps({**payload, "title": "Forged"})  # the digest is the real one's
        acks = [
            await js.publish(f"ledger.objective.{objective_id}.set", b"not ours"),
            await js.publish(f"ledger.objective.{forged_id}.set", forged,
                             headers={**headers, "Koers-Originator-Id": forged_id}),
        ]  # fmt: skip
        odd = {**payload, "timestamp": "9999-12-31T23:59:59.000000-23:59"}
        no_period = {k: v for k, v in payload.items() if k != "period"}
        for state, sign in ((odd, True), (no_period, True), ({**payload, "title": "Fake"}, False)):
            data, oid = orjson.dumps(state), str(uuid.uuid4())
            good_envelope = {**headers, "Koers-Originator-Id": oid,
                             "Koers-Payload-Sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
            message = OutMessage(f"ledger.objective.{oid}.set", data, good_envelope)
            if sign:
                signer.sign(message)  # else: the real event's signature, copied
            acks.append(await js.publish(message.subject, data, headers=message.headers))
        acks.append(await js.publish(f"ledger.decision.{uuid.uuid4()}.opened", b"not ours"))
        return [ack.seq for ack in acks]
    finally:
        await nc.close()


async def _workers_went_on(url: str, bad: list[int]) -> bool:
    """Whether the workers dead-lettered the foreign messages ``bad`` (on subjects they read)
    and went on: nothing of what they read is left pending or unacknowledged."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        letters = await read_dead_letters(js, Names("LEDGER", "ledger", "koers-prompts"))
        info = await js.consumer_info("LEDGER", "koers-prompts-ledger")
        done = info.num_pending == 0 and info.num_ack_pending == 0
        return done and set(bad) <= {letter.source_sequence for letter in letters}
    finally:
        await nc.close()


def _every_read(client: httpx.Client, objective_id: str) -> dict[str, int]:
    """Every read route (the lists, one objective and its history, every view): status."""
    quarter = {"period": "2026-Q4"}
    routes: list[tuple[str, dict[str, str]]] = [
        (path, {}) for path in ("/objectives", "/key-results", "/kpis", "/decisions",
                                "/delegations", "/retros", "/prompts")
    ] + [
        (f"/objectives/{objective_id}", {}), (f"/objectives/{objective_id}/history", {}),
        ("/teams/platform/okr-progress", quarter), ("/teams/platform/decision-quality", quarter),
        ("/delegation-board", {}), ("/teams/platform/retro-follow-through", {}),
        ("/people/ann/prompt-inbox", {}), ("/people/ann/reflection-journal", {}),
        ("/teams/platform/retro-brief", quarter),
    ]  # fmt: skip
    return {path: client.get(path, params=params).status_code for path, params in routes}


@pytest.mark.timeout(600)
def test_messages_not_from_koers_are_quarantined_and_everything_else_answers(
    tmp_path: Path,
) -> None:
    env = {"KOERS_DATA_DIR": str(tmp_path), "NATS_URL": "", "KOERS_USER": "ann",
           "KOERS_CHECKPOINT_EVERY": "3"}  # fmt: skip
    with serving("--port", "0", env=env) as serve:
        assert serve.stderr is not None
        match = re.search(
            r"API and web page at (http://127\.0\.0\.1:\d+) ", serve.stderr.readline()
        )
        assert match
        # a client with publish rights on the ledger (the administrator's, here)
        url = run_koers("nats", "credentials", "admin", env=env).stdout.strip()
        auth = {"Authorization": f"Bearer {_token(env, 'ann')}"}
        with httpx.Client(base_url=match[1], timeout=30, headers=auth) as client:
            created = client.post("/objectives", json=OBJECTIVE)
            assert created.status_code == 201, created.text
            objective_id, position = created.json()["id"], created.json()["position"]
            bad = asyncio.run(_publish_bad(url, position, objective_id, tmp_path))
            later = client.post("/objectives", json={**OBJECTIVE, "title": "Ship daily"})
            assert later.status_code == 201, later.text
            last = later.json()["position"]
            _wait("the views reach the last event", lambda: client.get(
                "/health").json()["views"] == last)  # fmt: skip

            health = client.get("/health")
            assert health.status_code == 200
            assert health.json()["status"] == "degraded"
            assert health.json()["quarantined"] == 6
            assert 'koers_quarantined_events{consumer="views"} 6' in client.get("/metrics").text
            assert set(_every_read(client, objective_id).values()) == {200}
            listed = client.get("/objectives").json()["items"]
            assert not {"Forged", "Fake"} & {o["title"] for o in listed}
            assert client.get(f"/objectives/{objective_id}").json()["title"] == "Ship weekly"

        entries = _koers_json("quarantine", "list", env=env)
        views = {e["position"]: e for e in entries if e["where"] == "views"}
        assert sorted(views) == bad  # each once
        assert views[bad[0]]["reason"] == "foreign message: it has no Koers-Originator-Id header"
        assert views[bad[0]]["subject"] == f"ledger.objective.{objective_id}.set"
        assert "SHA-256" in views[bad[1]]["reason"]
        assert views[bad[1]]["event_type"] == "objective.set"
        assert views[bad[2]]["reason"].startswith("cannot apply: OverflowError")
        assert views[bad[3]]["reason"] == (
            "cannot apply: AttributeError: 'Set' object has no attribute 'period'"
        )
        assert views[bad[4]]["reason"].startswith(
            "foreign message: its signature does not hold: the signature does not verify"
        )
        assert views[bad[5]]["reason"] == "foreign message: it has no Koers-Originator-Id header"
        foreign = [bad[0], bad[1], bad[4], bad[5]]
        # the workers read decisions (not objectives: their consumer is filtered by subject)
        _wait("the workers set the foreign message aside and go on",
              lambda: asyncio.run(_workers_went_on(url, [bad[5]])))  # fmt: skip
        workers = [e for e in _koers_json("quarantine", "list", env=env) if e["where"] == "workers"]
        assert bad[5] in {e["position"] for e in workers}
        assert all(e["reason"].startswith("foreign message: ") for e in workers
                   if e["position"] in foreign)  # fmt: skip

        status = _koers_json("status", env=env)["quarantine"]
        assert status["count"] == len(_koers_json("quarantine", "list", env=env))
        assert {e["position"] for e in status["newest"]} >= {bad[2]}
        text = run_koers("status", env=env).stdout
        assert "events set aside (koers quarantine list)" in text

        live, rebuilt = tmp_path / "live.jsonl", tmp_path / "rebuilt.jsonl"
        assert run_koers("projections", "export", str(live), env=env).returncode == 0
        as_of = run_koers("projections", "export", str(rebuilt), "--as-of-position", str(last),
                          env=env)  # fmt: skip
        assert as_of.returncode == 0, as_of.stderr
        assert live.read_bytes() == rebuilt.read_bytes()
        assert live.read_bytes().count(b'["quarantine",') == 6

        exported = _koers_json("export", "--out", str(tmp_path / "export"), env=env)
        assert [a["position"] for a in exported["set_aside"]] == bad
        assert exported["events"] >= last - len(bad)
        lines = (tmp_path / "export" / "events.jsonl").read_bytes().splitlines()
        exported_at = {orjson.loads(line)["position"] for line in lines}
        assert set(bad[2:4]) <= exported_at  # authentic events the views could not apply
        assert not exported_at & set(foreign)

        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=60) == 0

    rebuild = _koers_json("projections", "rebuild", env=env)
    assert rebuild["position"] == last
    assert [a["position"] for a in rebuild["set_aside"]] == bad
    again = tmp_path / "again.jsonl"
    assert run_koers("projections", "export", str(again), env=env).returncode == 0
    assert again.read_bytes() == live.read_bytes()
    verify = run_koers("audit", "verify", "--json", env=env)
    report = json.loads(verify.stdout)
    found = {(p["kind"], p["seq"]) for p in report["problems"]}
    assert {("foreign", bad[0]), ("foreign", bad[5])} <= found  # no Koers headers: named
    # foreign, signed as stored
    assert {("bad-event-signature", seq) for seq in (bad[1], bad[4])} <= found  # copied
    assert not {seq for kind, seq in found if seq in bad[2:4]}  # signed with the key: authentic
    assert report["covered"] == last  # the checkpointer signed past all of them, as stored
