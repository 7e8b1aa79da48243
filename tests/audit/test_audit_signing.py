"""Every event signed by its writer, on real NATS: what Koers writes verifies; an event
published by any other client (valid-looking headers and digest, no or a wrong signature) is
named by `koers audit verify` with its position and kind (a checkpoint vouches for the bytes
stored, so the checkpointer signs past it), shown as not authentic in the auditor's log, and
caught by the standalone verifier in an export; key rotation keeps old signatures valid, and
a key outside the trusted set is named.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import Checkpoint
from ledger.audit._store import AuditStore
from ledger.audit.checkpointer import Checkpointer
from ledger.audit.startup import signing_key, start_auditing, trust_for
from ledger.nats._client import OutMessage, RawMessage
from ledger.nats._entry import unsequenced_entry
from ledger.nats._keys import key_id, load_signing_key, trusted_keys, trusted_keys_of
from ledger.nats._signing import EventSigner, signature_problem
from tests.audit.test_audit_trail_support import DAMAGED, Ledger, Message, damage


def key_path(ledger: Ledger) -> Path:
    return ledger.data_dir / "audit" / "signing.key"


def forged_decision(ledger: Ledger) -> Message:
    """A `decision.made` as an intruder with a NATS client makes it: a decided event copied,
    its payload changed (actor "ceo", a backdated time), a fresh message id and a correct
    payload digest; no signature."""
    made = next(m for m in ledger.messages() if m.subject.endswith(".made"))
    payload = orjson.loads(made.data)
    payload.update(actor="ceo", timestamp="2020-01-01T09:00:00+00:00", rationale="I say so")
    headers = {
        k: v for k, v in made.headers.items() if k not in ("Koers-Key-Id", "Koers-Signature")
    }
    headers["Nats-Msg-Id"] = f"{uuid.uuid4().hex}-0"
    return Message(made.subject, headers, b"").with_payload(orjson.dumps(payload), fix_digest=True)


def publish(ledger: Ledger, message: Message) -> None:
    async def go(js: Any) -> None:
        await js.publish(message.subject, message.data, headers=message.headers)

    ledger.admin(go)


def signed_by(
    message: Message, key: Ed25519PrivateKey, *, claimed_id: str | None = None
) -> Message:
    out = OutMessage(message.subject, message.data, dict(message.headers))
    EventSigner(key).sign(out)
    if claimed_id is not None:
        out.headers["Koers-Key-Id"] = claimed_id
    return Message(out.subject, out.headers, out.data)


def offline_verifier(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger.audit.verifier", str(bundle), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_every_event_koers_writes_carries_a_signature_that_verifies(ledger: Ledger) -> None:
    ledger.write_decisions(3, decided=2)
    key = load_signing_key(key_path(ledger))
    keys = trusted_keys(key.public_key(), key_path(ledger))
    messages = ledger.raw_messages()
    assert len(messages) == 5
    for message in messages:
        assert message.headers["Koers-Key-Id"] == key_id(key)
        assert signature_problem(message, keys) is None
        signed = unsequenced_entry(message.subject, message.headers, message.data)
        key.public_key().verify(base64.b64decode(message.headers["Koers-Signature"]), signed)
    changed = RawMessage(messages[0].seq, messages[0].subject, messages[0].headers, b"{}")
    assert (
        signature_problem(changed, keys) == f"the signature does not verify with key {key_id(key)}"
    )
    assert signature_problem(messages[0], {}) == f"signed by unknown key {key_id(key)}"
    verified = ledger.koers("audit", "verify")
    assert verified.code == 0, verified.text


def test_a_forged_decision_is_named_refused_and_never_covered(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.write_decisions(3, decided=1)  # seqs 1..4
    assert ledger.koers("audit", "checkpoint").code == 0
    forged = forged_decision(ledger)
    publish(ledger, forged)  # seq 5: unsigned
    claimed = key_id(load_signing_key(key_path(ledger)))
    impostor = Ed25519PrivateKey.generate()  # seq 6: claims Koers's key, signed with another
    publish(ledger, signed_by(forged_decision(ledger), impostor, claimed_id=claimed))

    verified = ledger.koers("audit", "verify")
    assert verified.code == DAMAGED, verified.text
    assert [line.split(":")[0] for line in damage(verified, "unsigned")] == [
        "DAMAGE [unsigned] seq 5"
    ]
    wrong = damage(verified, "bad-event-signature")
    assert [line.split(":")[0] for line in wrong] == ["DAMAGE [bad-event-signature] seq 6"]
    assert "does not verify" in wrong[0]
    report = json.loads(ledger.koers("audit", "verify", "--json").out)
    assert {(p["kind"], p["seq"]) for p in report["problems"]} == {
        ("unsigned", 5), ("bad-event-signature", 6),
    }  # fmt: skip

    signed = ledger.koers("audit", "checkpoint")  # it vouches for the bytes stored, no more:
    assert signed.code == 0, signed.text  # one forged message cannot end checkpointing
    again = json.loads(ledger.koers("audit", "verify", "--json").out)
    assert {(p["kind"], p["seq"]) for p in again["problems"]} == {
        ("unsigned", 5), ("bad-event-signature", 6),
    }  # fmt: skip  # ... and the forgeries stay named by their signatures

    log = json.loads(ledger.koers("audit", "log", "--json").out)
    forged_id = forged.headers["Koers-Originator-Id"]
    record = next(d for d in log["decisions"] if d["id"] == forged_id)
    assert record["proof"].startswith("NOT AUTHENTIC, not covered: seq 5: unsigned; seq 6:")
    assert "covered by" not in record["proof"].replace("not covered", "")
    honest = [d for d in log["decisions"] if d["id"] != forged_id]
    assert all(d["proof"].startswith("every event is covered by") for d in honest)

    bundle = tmp_path / "bundle"
    exported = ledger.koers("audit", "export", "--out", str(bundle))
    assert exported.code == DAMAGED
    events = [json.loads(line) for line in (bundle / "events.jsonl").read_text().splitlines()]
    assert "Koers-Signature" in events[0]["headers"]
    offline = offline_verifier(bundle)
    assert offline.returncode == 1, offline.stdout + offline.stderr
    assert "PROBLEM [unsigned] events.jsonl:5 seq 5:" in offline.stdout
    assert "PROBLEM [bad-event-signature] events.jsonl:6 seq 6:" in offline.stdout


def test_events_signed_before_and_after_a_rotation_verify(ledger: Ledger, tmp_path: Path) -> None:
    ledger.write_decisions(2, decided=1)  # seqs 1..3, the first key
    assert ledger.koers("audit", "checkpoint").code == 0
    old = key_id(load_signing_key(key_path(ledger)))
    rotated = ledger.koers("audit", "rotate-key")
    assert rotated.code == 0, rotated.text
    new = key_id(load_signing_key(key_path(ledger)))
    assert new != old
    assert f"key {old} retired" in rotated.out
    assert (key_path(ledger).parent / "keys" / f"{old}.pub").exists()
    assert set(trusted_keys_of(*ledger.sections())) == {old, new}  # what the store's readers use
    ledger.write_decisions(2, offset=5)  # seqs 4..5, the new key
    assert {m.headers["Koers-Key-Id"] for m in ledger.raw_messages()} == {old, new}
    assert ledger.koers("audit", "checkpoint").code == 0
    verified = ledger.koers("audit", "verify")
    assert verified.code == 0, verified.text

    bundle = tmp_path / "bundle"
    assert ledger.koers("audit", "export", "--out", str(bundle)).code == 0
    assert {p.name for p in (bundle / "public_keys").iterdir()} == {f"{old}.pem", f"{new}.pem"}
    offline = offline_verifier(bundle)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    only_new = offline_verifier(bundle, "--public-key", str(bundle / "public_keys" / f"{new}.pem"))
    assert only_new.returncode == 1  # the old key's events and checkpoint are not trusted
    assert f"seq 1: signed by key {old}, not one you trust" in only_new.stdout

    stranger = Ed25519PrivateKey.generate()
    publish(ledger, signed_by(forged_decision(ledger), stranger))  # seq 6
    verified = ledger.koers("audit", "verify")
    assert verified.code == DAMAGED
    assert damage(verified, "bad-event-signature") == [
        f"DAMAGE [bad-event-signature] seq 6: signed by unknown key {key_id(stranger)}: not "
        f"written by Koers's store with a trusted key (a forgery, or a key that was replaced "
        f"without 'koers audit rotate-key')"
    ]


def test_a_first_server_trusts_the_key_made_after_its_startup_check(ledger: Ledger) -> None:
    sections = ledger.sections(KOERS_CHECKPOINT_EVERY="3")
    assert not key_path(ledger).exists()  # a new installation: no key, no events yet
    service = start_auditing(*sections)
    assert service is not None
    ledger.write_decisions(4)  # the store makes the key: seqs 1..4, size 3 signed
    service.close()  # the clean stop signs the rest
    assert service.checkpointer.problem is None
    kept = ledger.kept_file.read_text().splitlines()
    assert [Checkpoint.from_json(line).size for line in kept] == [3, 4]


def test_the_checkpointer_signs_past_a_forged_event_which_stays_named(ledger: Ledger) -> None:
    ledger.write_decisions(1, decided=1)  # seqs 1..2
    settings, audit = ledger.sections(KOERS_CHECKPOINT_EVERY="100")
    checkpointer = Checkpointer(AuditStore.open(settings), signing_key(settings, audit), audit)
    try:
        caught_up = checkpointer.catch_up(trust_for(settings, audit))
        assert caught_up.ok, caught_up.lines()
        ledger.write_decisions(1, offset=10)  # seq 3
        publish(ledger, forged_decision(ledger))  # seq 4
        ledger.write_decisions(1, offset=20)  # seq 5
        assert checkpointer.poll() == []
        assert checkpointer.problem is None  # set aside by the readers, not a stop
        assert checkpointer.size == 5
        made = checkpointer.checkpoint_now()
        assert made is not None
        assert made.size == 5
    finally:
        checkpointer.store.close()
    report = json.loads(ledger.koers("audit", "verify", "--json").out)
    assert {(p["kind"], p["seq"]) for p in report["problems"]} == {("unsigned", 4)}
