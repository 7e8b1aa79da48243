"""Tampering with a real store, as an attacker with file access or admin rights would, and
`koers audit verify` (run as a user runs it) naming each: a bit flipped in a stored event, an
event deleted, two swapped, one inserted, a payload changed, the tail cut off, the whole log
rewritten and signed again (caught by the checkpoints kept outside NATS), the checkpoint
stream deleted, a forged checkpoint.

Every case starts from the same signed history: 12 decisions opened and 4 decided (seqs
1..16), a checkpoint; 8 more opened and 4 decided (seqs 17..28), a second checkpoint; both
copied to the folder outside NATS. Each verify must exit 6 and name the kind and position.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js import api

from ledger.audit import hash_leaf, load_signing_key, sign
from ledger.nats._client import OutMessage
from ledger.nats._signing import EventSigner
from ledger.settings._audit import checkpoint_stream
from tests.audit.test_audit_trail_support import (
    DAMAGED,
    Ledger,
    Message,
    Run,
    damage,
    signed_history,
)


def where(run: Run, kind: str) -> list[str]:
    """Each ``DAMAGE [kind]`` line up to its colon: the kind and where the damage is."""
    return [line.split(":")[0] for line in damage(run, kind)]


def verify_fails(ledger: Ledger, **env: str) -> Run:
    run = ledger.koers("audit", "verify", **env)
    assert run.code == DAMAGED, run.text
    assert "FAILED" in run.out
    print(run.out)  # shown with -s, and with a failure
    return run


def test_a_bit_flipped_in_a_stored_event_is_named(ledger: Ledger) -> None:
    signed_history(ledger, compression=api.StoreCompression.NONE)  # payloads as written

    def flip(block: bytearray, at: int) -> bytearray:
        block[at + len("Question number 00")] ^= 0x01  # '0' -> '1' in the payload
        return block

    ledger.edit_block(b"Question number 0007?", flip)  # decision 7: opened at seq 8
    run = verify_fails(ledger)
    # nats-server checks each message's checksum and drops a damaged one: then the event is
    # gone; had it kept it, the payload would not match its digest. Either is named, at seq 8.
    named = damage(run, "deleted") + damage(run, "changed")
    assert [line.split(":")[0] for line in named] in (
        ["DAMAGE [deleted] seq 8"],
        ["DAMAGE [changed] seq 8"],
    ), run.out
    assert damage(run, "root-mismatch"), run.out


def test_a_deleted_event_is_named(deletable: Ledger) -> None:
    ledger = deletable  # a copy of the signed history on a stream weak enough to delete from
    ledger.admin(lambda js: js.delete_msg(ledger.stream, 10))
    run = verify_fails(ledger)
    assert damage(run, "deleted") == [
        "DAMAGE [deleted] seq 10: gone from the log (the stream skips it)"
    ]
    assert not damage(run, "moved")
    assert not damage(run, "changed")


def test_two_swapped_events_are_named(signed: Ledger) -> None:
    ledger = signed
    messages = ledger.messages()
    messages[2], messages[19] = messages[19], messages[2]  # seqs 3 and 20
    ledger.republish(messages)
    run = verify_fails(ledger)
    assert where(run, "swapped") == ["DAMAGE [swapped] seqs 3 and 20"], run.out
    assert not damage(run, "changed")
    assert not damage(run, "deleted")
    assert not damage(run, "inserted")
    assert "the first difference is in seqs 1..16" in run.out


def test_an_inserted_event_is_named(signed: Ledger) -> None:
    ledger = signed
    messages = ledger.messages()
    forged = messages[8].with_payload(
        messages[8].data.replace(b"Question number", b"Forged question"), fix_digest=True
    )
    forged.headers["Nats-Msg-Id"] = "forged-0"
    ledger.republish([*messages[:9], forged, *messages[9:]])  # at seq 10
    run = verify_fails(ledger)
    assert where(run, "inserted") == ["DAMAGE [inserted] seq 10"], run.out
    assert damage(run, "moved") == [
        "DAMAGE [moved] seqs 10..28: the events signed there are now at seqs 11..29"
    ], run.out
    assert not damage(run, "deleted")
    assert not damage(run, "changed")


def test_a_changed_payload_is_named_with_or_without_its_digest_fixed(signed: Ledger) -> None:
    ledger = signed
    messages = ledger.messages()
    made = next(i for i, m in enumerate(messages) if m.subject.endswith(".made"))
    original = messages[made]

    def buy_instead(*, fix_digest: bool) -> Message:
        changed = original.data.replace(b'"chosen":"build"', b'"chosen":"buy"')
        return original.with_payload(changed, fix_digest=fix_digest)

    messages[made] = buy_instead(fix_digest=False)
    ledger.republish(messages)
    run = verify_fails(ledger)
    assert where(run, "changed") == [f"DAMAGE [changed] seq {made + 1}"], run.out
    assert "Koers-Payload-Sha256" in damage(run, "changed")[0]

    messages[made] = buy_instead(fix_digest=True)  # a careful attacker fixes the digest too
    ledger.republish(messages)
    run = verify_fails(ledger)
    assert where(run, "changed") == [f"DAMAGE [changed] seq {made + 1}"], run.out
    assert not damage(run, "moved")
    assert not damage(run, "inserted")


def test_a_truncated_tail_is_named(signed: Ledger) -> None:
    ledger = signed
    # Cut the stored block in the middle of decision 103 (opened at seq 20), server stopped.
    ledger.edit_block(b"Question number 0103?", lambda block, at: block[:at])
    run = verify_fails(ledger)
    assert where(run, "truncated") == ["DAMAGE [truncated] seqs 20..28"], run.out
    assert not damage(run, "deleted")
    assert not damage(run, "changed")


def resigned_with(message: Message, key: Ed25519PrivateKey) -> Message:
    """``message`` signed again, as the store signs (by someone who holds the key)."""
    out = OutMessage(message.subject, message.data, dict(message.headers))
    EventSigner(key).sign(out)
    return Message(out.subject, out.headers, out.data)


def test_a_log_rewritten_from_scratch_is_caught_by_the_checkpoints_kept_outside(
    signed: Ledger,
) -> None:
    ledger = signed
    messages = ledger.messages()
    made = next(i for i, m in enumerate(messages) if m.subject.endswith(".made"))
    messages[made] = resigned_with(
        messages[made].with_payload(
            messages[made].data.replace(b'"chosen":"build"', b'"chosen":"buy"'), fix_digest=True
        ),
        load_signing_key(ledger.data_dir / "audit" / "signing.key"),
    )
    # An admin who also holds the signing key: a new history, new checkpoints, re-signed.
    ledger.admin(lambda js: js.delete_stream(checkpoint_stream(ledger.stream)))
    ledger.republish(messages)
    resigned = ledger.koers("audit", "checkpoint", KOERS_CHECKPOINT_DIR="")
    assert "signed: checkpoint size 28" in resigned.out, resigned.text
    inside_only = ledger.koers("audit", "verify", KOERS_CHECKPOINT_DIR="")
    assert inside_only.code == 0, inside_only.text  # NATS alone cannot tell
    run = verify_fails(ledger)
    rewritten = damage(run, "rewritten")
    assert len(rewritten) == 2, run.out
    assert made + 1 <= 16  # the changed decision is in the first checkpoint's events
    assert "the first difference is in seqs 1..16" in rewritten[0], run.out
    assert any("size 28" in line and "another root" in line for line in rewritten), run.out


def test_a_deleted_checkpoint_stream_is_named(signed: Ledger) -> None:
    ledger = signed
    ledger.admin(lambda js: js.delete_stream(checkpoint_stream(ledger.stream)))
    run = verify_fails(ledger)
    missing = damage(run, "checkpoints-missing")
    assert len(missing) == 1, run.out
    assert missing[0].startswith(
        f"DAMAGE [checkpoints-missing] kept checkpoint size 28 ({_time_of(ledger, 28)}): "
        f"2 checkpoints kept outside NATS are not in the checkpoint stream"
    ), run.out
    assert "events 1..28 are vouched for" in run.out  # by the checkpoints kept outside


def test_a_forged_checkpoint_is_named(signed: Ledger) -> None:
    ledger = signed
    forged = sign(Ed25519PrivateKey.generate(), ledger.stream, 28, hash_leaf(b"forged"))
    subject = f"{ledger.stream.lower()}_checkpoints.head"
    ledger.admin(lambda js: js.publish(subject, forged.to_json().encode()))
    run = verify_fails(ledger)
    assert len(damage(run, "bad-signature")) == 1, run.out
    assert "size 28" in damage(run, "bad-signature")[0]


def _time_of(ledger: Ledger, size: int) -> str:
    for line in ledger.kept_file.read_text().splitlines():
        data = json.loads(line)
        if data["size"] == size:
            return str(data["time"])
    return datetime.now(UTC).isoformat()
