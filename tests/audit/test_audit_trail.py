"""The audit trail on real NATS: reading the stream, the checkpointer (every N events, after T
seconds, and stopping on damage), the startup check `koers serve` runs, and the `koers audit`
commands as a user runs them: verify, checkpoint, prove, export (checked by the standalone
verifier), log, public-key. Also the API's audit endpoints.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api._audit import router
from ledger.api._auth import auditor
from ledger.application import Koers
from ledger.audit import AuditError, Checkpoint, leaf_for, load_public_key, verify, verify_inclusion
from ledger.audit._frames import Frame, frame_leaf
from ledger.audit._reader import StreamReader
from ledger.audit._store import AuditStore
from ledger.audit.checkpointer import Checkpointer
from ledger.audit.startup import (
    LogTampered,
    check_before_serving,
    signing_key,
    start_auditing,
    trust_for,
)
from ledger.nats._bulk import BulkReader, LazyHeaders
from ledger.settings import AuditSettings
from tests.audit.test_audit_trail_support import DAMAGED, Ledger, damage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- reading -------------------------------------------------------------------------------


def test_the_reader_gives_what_batch_direct_gets_give(ledger: Ledger) -> None:
    ledger.write_decisions(30, decided=10)

    async def both() -> tuple[list[Frame], list[Any], list[Frame], list[Frame]]:
        reader = StreamReader(ledger.server.url, 5)
        frames = [f async for batch in reader.frames(ledger.stream, 1, 40) for f in batch]
        part = [f async for batch in reader.frames(ledger.stream, 12, 20) for f in batch]
        made = [
            f
            async for batch in reader.frames(ledger.stream, 1, None, "ledger.decision.*.made")
            for f in batch
        ]
        bulk = BulkReader(ledger.server.url, 5)
        got, _ = await bulk.batch(ledger.stream, ">", 1, 100)
        await bulk.close()
        return frames, got, part, made

    frames, direct, part, made = asyncio.run(both())
    assert [f.seq for f in frames] == list(range(1, 41))
    assert [f.seq for f in part] == list(range(12, 21))
    assert len(made) == 10
    assert all(f.subject.endswith(b".made") for f in made)
    for frame, message in zip(frames, direct, strict=True):
        assert (frame.seq, frame.subject.decode(), frame.data) == (
            message.seq, message.subject, message.data,
        )  # fmt: skip
        expected = leaf_for(message.seq, message.subject, message.headers, message.data)
        assert frame_leaf(frame) == expected
        assert leaf_for(frame.seq, message.subject, LazyHeaders(frame.head), frame.data) == expected


def test_reading_a_stream_that_does_not_exist_gives_nothing(ledger: Ledger) -> None:
    async def read() -> list[Frame]:
        reader = StreamReader(ledger.server.url, 5)
        return [f async for batch in reader.frames("NOPE", 1, None) for f in batch]

    assert asyncio.run(read()) == []
    run = ledger.koers("audit", "verify")
    assert run.code == 0, run.text
    assert "events       0 read" in run.out


# -- the checkpointer ---------------------------------------------------------------------------


def test_the_checkpointer_signs_every_n_events_and_after_t_seconds(ledger: Ledger) -> None:
    ledger.write_decisions(25)
    audit = AuditSettings(every=10, seconds=30, outside=ledger.kept_dir)
    clock = Clock()
    store = AuditStore.open(ledger.settings.store)
    try:
        checkpointer = Checkpointer(
            store, signing_key(ledger.settings.store, audit), audit, clock=clock
        )
        assert checkpointer.catch_up(trust_for(ledger.settings.store, audit)).ok
        assert checkpointer.poll() == []  # nothing new: the multiples are signed while following
        ledger.write_decisions(12, offset=100)  # seqs 26..37
        assert [c.size for c in checkpointer.poll()] == [30]
        clock.now += 29
        assert checkpointer.poll() == []
        clock.now += 1
        assert [c.size for c in checkpointer.poll()] == [37]
        assert checkpointer.poll() == []  # no growth, no checkpoint
        made = checkpointer.checkpoint_now()
        assert made is None
    finally:
        store.close()
    kept = [Checkpoint.from_json(line) for line in ledger.kept_file.read_text().splitlines()]
    assert [c.size for c in kept] == [30, 37]
    run = ledger.koers("audit", "verify")
    assert run.code == 0, run.text
    assert "events 1..37 are vouched for" in run.out


@contextmanager
def _caught_up(ledger: Ledger, audit: AuditSettings) -> Iterator[Checkpointer]:
    """A checkpointer that verified the ledger and follows it from its end."""
    store = AuditStore.open(ledger.settings.store)
    try:
        checkpointer = Checkpointer(store, signing_key(ledger.settings.store, audit), audit)
        assert checkpointer.catch_up(trust_for(ledger.settings.store, audit)).ok
        yield checkpointer
    finally:
        store.close()


def test_the_checkpointer_stops_signing_when_the_log_is_damaged(ledger: Ledger) -> None:
    ledger.create_stream(deny_delete=False)
    ledger.write_decisions(5)
    with _caught_up(ledger, AuditSettings(every=3, outside=ledger.kept_dir)) as checkpointer:
        ledger.write_decisions(5, offset=10)  # seqs 6..10
        ledger.admin(lambda js: js.delete_msg(ledger.stream, 7))
        assert [c.size for c in checkpointer.poll()] == [6]
        assert checkpointer.problem == "seq 7 is missing: the stream skips to seq 8"
        assert checkpointer.poll() == []
        with pytest.raises(Exception, match="damaged, nothing was signed"):
            checkpointer.checkpoint_now()


def test_a_foreign_message_is_signed_as_stored_and_named_not_a_stop(ledger: Ledger) -> None:
    """A message without Koers headers (any NATS client can publish one): the checkpointer
    signs past it, the startup check lets the server start, and `audit verify` names it
    every time, also once a checkpoint covers it."""
    ledger.write_decisions(3)
    forged = str(uuid.uuid4())
    with _caught_up(ledger, AuditSettings(every=3, outside=ledger.kept_dir)) as checkpointer:
        ledger.admin(lambda js: js.publish("ledger.objective.x.set", b"not ours"))  # seq 4
        ledger.write_decisions(2, offset=10)  # seqs 5..6
        assert [c.size for c in checkpointer.poll()] == [6]
        assert checkpointer.problem is None
    check_before_serving(*ledger.sections())  # does not refuse
    run = ledger.koers("audit", "verify")
    assert run.code != 0, run.text
    assert "DAMAGE [foreign] seq 4" in run.out
    assert "DAMAGE [unsigned] seq 4" not in run.out  # not an event at all: foreign only
    assert "events 1..6 are vouched for" in run.out
    headers = {"Koers-Originator-Id": forged, "Koers-Version": "1", "Koers-Type": "decision.made",
               "Koers-Topic": "ledger.domain.decisions:Decision.Made",
               "Koers-Payload-Sha256": "0" * 64}  # fmt: skip
    ledger.admin(lambda js: js.publish(f"ledger.decision.{forged}.made", b"{}", headers=headers))
    log = json.loads(ledger.koers("audit", "log", "--json").out)
    assert forged not in {d["id"] for d in log["decisions"]}  # the auditor is not shown it


# -- the startup check of koers serve -----------------------------------------------------------


def test_the_startup_check_passes_then_follows_and_signs_what_is_left(ledger: Ledger) -> None:
    ledger.write_decisions(4, decided=2)
    sections = ledger.sections(KOERS_CHECKPOINT_EVERY="5")
    check_before_serving(*sections)
    service = start_auditing(*sections)
    assert service is not None
    assert service.report.ok
    ledger.write_decisions(6, offset=10)  # seqs 7..12: size 10 is signed while following
    service.close()  # and the clean stop signs the rest
    kept = ledger.kept_file.read_text().splitlines()
    assert [Checkpoint.from_json(line).size for line in kept] == [10, 12]
    assert start_auditing(*ledger.sections(KOERS_AUDIT="no")) is None


def test_the_startup_check_refuses_a_log_that_no_longer_matches(ledger: Ledger) -> None:
    ledger.write_decisions(6, decided=2)
    assert ledger.koers("audit", "checkpoint").code == 0
    messages = ledger.messages()
    messages[1], messages[4] = messages[4], messages[1]
    ledger.republish(messages)
    with pytest.raises(LogTampered) as refused:
        start_auditing(*ledger.sections())
    text = str(refused.value)
    assert "no longer matches its signed checkpoints, so it is not served" in text
    assert "[swapped] seqs 2 and 5" in text
    assert f"koers audit verify --data-dir {ledger.data_dir}" in text
    assert "docs/audit.md" in text
    with pytest.raises(LogTampered):
        check_before_serving(*ledger.sections())
    (ledger.data_dir / "audit" / "signing.key").unlink()
    with pytest.raises(AuditError, match=r"signing key .*signing.key is missing"):
        start_auditing(*ledger.sections())
    assert not (ledger.data_dir / "audit" / "signing.key").exists()  # no new key made


# -- the commands --------------------------------------------------------------------------


def test_prove_export_and_the_offline_verifier(ledger: Ledger, tmp_path: Path) -> None:
    ids = ledger.write_decisions(5, decided=3)
    not_yet = ledger.koers("audit", "prove", "1")
    assert not_yet.code == 2
    assert "not covered by a signed checkpoint yet" in not_yet.err
    assert ledger.koers("audit", "checkpoint").code == 0

    proof_run = ledger.koers("audit", "prove", str(ids[0]), "--json")
    assert proof_run.code == 0, proof_run.text
    proofs = json.loads(proof_run.out)
    assert [p["seq"] for p in proofs] == [1, 6]  # opened, then decided
    pem = ledger.koers("audit", "public-key")
    key = load_public_key(pem.out.encode())
    for p in proofs:
        checkpoint = Checkpoint.from_json(json.dumps(p["checkpoint"]))
        verify(checkpoint, key)
        verify_inclusion(
            bytes.fromhex(p["leaf"]), p["index"], p["size"],
            [bytes.fromhex(h) for h in p["proof"]], checkpoint.root,
        )  # fmt: skip
    text = ledger.koers("audit", "prove", "6")
    assert "verified: the event is at seq 6 of the log signed at size 8" in text.out
    assert ledger.koers("audit", "prove", "99").code == 2

    bundle = tmp_path / "bundle"
    exported = ledger.koers("audit", "export", "--out", str(bundle))
    assert exported.code == 0, exported.text
    assert "exported 8 events, 1 checkpoints and 8 proofs" in exported.out
    trusted = tmp_path / "trusted.pem"
    trusted.write_text(pem.out)
    offline = subprocess.run(
        [sys.executable, "-m", "ledger.audit.verifier", str(bundle), "--public-key",
         str(trusted), "--checkpoint", str(ledger.kept_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "OK: every message, checkpoint and proof verifies" in offline.stdout
    assert ledger.koers("audit", "export", "--out", str(bundle)).code == 2  # not empty


def test_an_exported_damaged_log_fails_the_offline_verifier_too(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.write_decisions(6, decided=2)
    assert ledger.koers("audit", "checkpoint").code == 0
    messages = ledger.messages()
    ledger.republish([*messages[:3], *messages[4:]])
    bundle = tmp_path / "bundle"
    exported = ledger.koers("audit", "export", "--out", str(bundle))
    assert exported.code == DAMAGED
    assert "DAMAGE [deleted] seq 4" in exported.err
    offline = subprocess.run(
        [sys.executable, "-m", "ledger.audit.verifier", str(bundle)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert offline.returncode == 1
    assert "FAILED" in offline.stdout  # (it sees 7 messages where 8 were signed)


def test_verify_as_json_and_the_auditors_log(ledger: Ledger) -> None:
    ids = ledger.write_decisions(3, decided=1, credential="token:t-ann")
    assert ledger.koers("audit", "checkpoint").code == 0
    ledger.write_decisions(1, offset=9)
    report = json.loads(ledger.koers("audit", "verify", "--json").out)
    assert (report["ok"], report["events"], report["covered"]) == (True, 5, 4)
    assert report["problems"] == []
    log = ledger.koers("audit", "log")
    assert log.code == 0, log.text
    assert f"{ids[0]}  platform  Question number 0000?" in log.out
    assert "decided: build ('Build on NATS') by ann (token:t-ann)" in log.out
    assert "opened by ann (token:t-ann) at" in log.out  # the credential the actor proved
    assert "options: build 'Build on NATS', buy 'Buy a hosted store'" in log.out
    assert "criteria: cost 0.6, speed 0.4; information 80 %" in log.out
    assert "proof: every event is covered by checkpoint size 4" in log.out
    assert "not covered by a checkpoint yet" in log.out  # the decision opened after it
    data = json.loads(ledger.koers("audit", "log", "--json").out)
    first = next(d for d in data["decisions"] if d["id"] == str(ids[0]))
    assert (first["decided_by"], first["chosen"], first["seqs"]) == ("ann", "build", [1, 4])
    assert first["decided_with"] == first["opened_with"] == "token:t-ann"
    assert data["checkpoint"]["size"] == 4


def test_the_api_lists_decisions_for_auditors(ledger: Ledger) -> None:
    ledger.write_decisions(2, decided=1)
    assert ledger.koers("audit", "checkpoint").code == 0
    api = FastAPI()
    api.include_router(router)
    koers = Koers(env=ledger.settings.store.as_env())
    api.state.koers = koers
    api.state.audit = ledger.settings.audit
    api.dependency_overrides[auditor] = lambda: None  # signing in is tests/api/test_access.py's

    async def ask() -> tuple[dict[str, Any], dict[str, Any]]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            decisions = await client.get("/audit/decisions", params={"team": "platform"})
            checkpoint = await client.get("/audit/checkpoint")
            return decisions.json(), checkpoint.json()

    try:
        decisions, checkpoint = asyncio.run(ask())
    finally:
        koers.close()
    assert [d["status"] for d in decisions["decisions"]] == ["decided", "open"]
    assert decisions["checkpoint"]["size"] == 3
    assert checkpoint["checkpoint"]["size"] == 3
    assert checkpoint["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_verify_needs_a_key_when_there_are_checkpoints(ledger: Ledger, tmp_path: Path) -> None:
    ledger.write_decisions(2)
    assert ledger.koers("audit", "checkpoint").code == 0
    elsewhere = ledger.koers("audit", "verify", KOERS_DATA_DIR=str(tmp_path / "other"))
    assert elsewhere.code == DAMAGED
    assert damage(elsewhere, "no-key"), elsewhere.out
    pem = tmp_path / "key.pem"
    pem.write_text(ledger.koers("audit", "public-key").out)
    given = ledger.koers(
        "audit", "verify", "--public-key", str(pem), KOERS_DATA_DIR=str(tmp_path / "other")
    )
    assert given.code == 0, given.text
