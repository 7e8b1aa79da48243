"""The standalone verifier: it accepts an honest bundle, names every kind of tampering with
its position, and runs from a copy of its one file with nothing else from Koers.

Bundles are written here with ``ledger.audit`` (entries, tree, signed checkpoints, proofs),
as the exporter does; the verifier runs as a subprocess, as an auditor would run it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import (
    ENTRY_HEADERS,
    MerkleTree,
    ProofError,
    entry_bytes,
    leaf_for,
    public_key_pem,
    sign,
    verifier,
    verify_consistency,
    verify_inclusion,
)
from ledger.nats._client import OutMessage
from ledger.nats._signing import EventSigner

VERIFIER = Path(verifier.__file__)
EVENTS = 30
CHECKPOINTS = (0, 5, 12, 20, EVENTS)


def synthetic_events(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Messages as they sit on the stream: subject, the covered headers, exact payload."""
    rng = random.Random(seed)
    messages = []
    for seq in range(1, count + 1):
        oid = str(uuid.UUID(int=rng.getrandbits(128)))
        if seq % 13 == 0:  # something written by another client: not even JSON
            subject, payload, headers = "ledger.other", b"\xff\x00 binary", {}
        elif seq % 10 == 0:  # a process application's tracking record
            subject, payload = "ledger._tracking.views", b'{"notification_id":%d}' % (seq - 1)
            headers = {"Koers-Tracking-Application": "views"}
        else:
            payload = json.dumps({"id": oid, "title": f"décision {seq}", "n": seq}).encode()
            subject = f"ledger.decision.{oid}.made"
            headers = {
                "Koers-Originator-Id": oid,
                "Koers-Version": "1",
                "Koers-Topic": "ledger.domain:Decision.Made",
                "Koers-Type": "decision.made",
                "Koers-Schema": "1",
            }
        headers["Nats-Msg-Id"] = f"{uuid.UUID(int=rng.getrandbits(128)).hex}-0"
        headers["Koers-Payload-Sha256"] = hashlib.sha256(payload).hexdigest()
        messages.append({"seq": seq, "subject": subject, "headers": headers, "payload": payload})
    return messages


def signed(message: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``message`` with the writer's signature headers (kept if it has them already)."""
    if "Koers-Signature" in message["headers"]:
        return message
    out = OutMessage(message["subject"], message["payload"], dict(message["headers"]))
    EventSigner(key).sign(out)
    return {**message, "headers": out.headers}


def record(message: dict[str, Any]) -> dict[str, Any]:
    """One line of events.jsonl."""
    payload = message["payload"]
    try:
        readable = json.loads(payload)
    except ValueError:
        readable = None
    return {
        "seq": message["seq"],
        "subject": message["subject"],
        "headers": message["headers"],
        "payload_b64": base64.b64encode(payload).decode(),
        "payload": readable,
    }


def write_bundle(
    bundle: Path,
    messages: list[dict[str, Any]],
    key: Ed25519PrivateKey,
    sizes: tuple[int, ...] = CHECKPOINTS,
) -> Path:
    """A complete bundle: events, a checkpoint at each size, every inclusion proof (against
    the last checkpoint) and a consistency proof between each two consecutive checkpoints.
    Each message is signed with ``key`` as Koers's writer signs it (unless it is already)."""
    bundle.mkdir(parents=True)
    messages = [signed(m, key) for m in messages]
    tree = MerkleTree(
        leaf_for(m["seq"], m["subject"], m["headers"], m["payload"]) for m in messages
    )
    start = datetime(2025, 6, 1, tzinfo=UTC)
    checkpoints = [
        sign(key, "LEDGER", size, tree.root(size), start + timedelta(minutes=i))
        for i, size in enumerate(sizes)
    ]
    write_lines(bundle / "events.jsonl", [record(m) for m in messages])
    write_lines(bundle / "checkpoints.jsonl", [json.loads(c.to_json()) for c in checkpoints])
    (bundle / "public_key.pem").write_bytes(public_key_pem(key))
    last = sizes[-1]
    proofs: list[dict[str, Any]] = [
        {
            "type": "inclusion",
            "seq": i + 1,
            "index": i,
            "size": last,
            "root": tree.root(last).hex(),
            "proof": [h.hex() for h in tree.inclusion_proof(i, last)],
        }
        for i in range(last)
    ]
    proofs += [
        {
            "type": "consistency",
            "size1": a,
            "size2": b,
            "root1": tree.root(a).hex(),
            "root2": tree.root(b).hex(),
            "proof": [h.hex() for h in tree.consistency_proof(a, b)],
        }
        for a, b in itertools.pairwise(sizes)
    ]
    write_lines(bundle / "proofs.jsonl", proofs)
    (bundle / "README.txt").write_text("A Koers audit bundle: run verifier.py on this folder.\n")
    return bundle


def write_lines(path: Path, objects: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects))


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(
    bundle: Path, *args: str, script: Path = VERIFIER, cwd: Path | None = None
) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(script), str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def problems(output: str, kind: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"PROBLEM [{kind}]")]


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def bundle(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    return write_bundle(tmp_path / "bundle", synthetic_events(EVENTS), key)


# The honest bundle, wherever the verifier runs from.


def test_an_honest_bundle_verifies(bundle: Path, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    code, output = run(bundle)
    assert code == 0, output
    assert "OK: every message, checkpoint and proof verifies" in output
    assert "messages:    30" in output
    assert "NOTE: no --public-key" in output
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(public_key_pem(key))
    kept = tmp_path / "kept.jsonl"
    kept.write_text((bundle / "checkpoints.jsonl").read_text().splitlines()[2] + "\n")
    code, output = run(bundle, "--public-key", str(trusted), "--checkpoint", str(kept))
    assert code == 0, output
    assert "NOTE" not in output
    report = verifier.verify_bundle(bundle, [trusted], [kept])  # the same, in process
    assert report.ok
    assert not report.notes


def test_the_verifier_runs_as_a_module(bundle: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ledger.audit.verifier", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


BLOCK_KOERS = """
import importlib.abc, runpy, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"ledger", "projections", "workers", "nats", "eventsourcing",
                                   "orjson", "faststream"}:
            raise ImportError(f"the verifier must not import {name}")
sys.meta_path.insert(0, Block())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_copy_of_the_file_alone_verifies_with_nothing_else_from_koers(
    bundle: Path, tmp_path: Path
) -> None:
    alone = tmp_path / "auditor"
    alone.mkdir()
    copy = Path(shutil.copy(VERIFIER, alone / "verifier.py"))
    code, output = run(bundle, script=copy, cwd=alone)
    assert code == 0, output
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", BLOCK_KOERS, str(copy), str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=alone,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK:" in done.stdout
    imports = [line for line in VERIFIER.read_text().splitlines() if "import " in line[:20]]
    assert not [line for line in imports if "ledger" in line or "nats" in line]


def test_its_encoding_and_proofs_agree_with_the_package() -> None:
    messages = synthetic_events(12)
    for m in messages:
        args = (m["seq"], m["subject"], m["headers"], m["payload"])
        assert verifier.entry(*args) == entry_bytes(*args)
    assert verifier.ENTRY_HEADERS == ENTRY_HEADERS
    rng = random.Random(3)
    leaves = [rng.randbytes(32) for _ in range(300)]
    tree = MerkleTree(leaves)
    sizes = set(range(0, 301, 7)) | {1, 2, 300}
    assert verifier.prefix_roots(leaves, sizes) == {n: tree.root(n) for n in sizes}
    for _ in range(300):  # valid proofs and random damage: both verifiers always agree
        size = rng.randrange(1, 301)
        index, size1 = rng.randrange(size), rng.randrange(size + 1)
        inclusion = _damage(rng, tree.inclusion_proof(index, size))
        consistency = _damage(rng, tree.consistency_proof(size1, size))
        problem = verifier.inclusion_problem(leaves[index], index, size, inclusion, tree.root(size))
        assert (problem is None) == _holds(
            verify_inclusion, leaves[index], index, size, inclusion, tree.root(size)
        )
        roots = (tree.root(size1), tree.root(size))
        problem = verifier.consistency_problem(size1, size, *roots, consistency)
        assert (problem is None) == _holds(verify_consistency, size1, size, *roots, consistency)


def test_the_covered_headers_are_the_stores() -> None:
    from ledger.nats import _subjects

    assert set(ENTRY_HEADERS) == {*_subjects.EVENT_HEADERS, _subjects.H_SCHEMA,
                                  _subjects.H_TRACKING_APP}  # fmt: skip


# Tampering: each kind is named, with its position, and the exit status is 1.


def tamper_events(bundle: Path, change: Any) -> None:
    lines = read_lines(bundle / "events.jsonl")
    changed = change(lines)  # a new list of lines, or anything else after changing them in place
    write_lines(bundle / "events.jsonl", changed if isinstance(changed, list) else lines)


def verify_tampered(bundle: Path, change: Any) -> str:
    """Apply ``change`` to the bundle's events and run the verifier: it must find the damage
    (exit 1). Its output."""
    tamper_events(bundle, change)
    code, output = run(bundle)
    assert code == 1, output
    return output


def test_a_flipped_bit_in_a_payload(bundle: Path) -> None:
    def flip(lines: list[dict[str, Any]]) -> None:
        payload = bytearray(base64.b64decode(lines[4]["payload_b64"]))
        payload[3] ^= 0x01
        lines[4]["payload_b64"] = base64.b64encode(payload).decode()

    output = verify_tampered(bundle, flip)
    [digest] = problems(output, "digest-mismatch")
    assert "events.jsonl:5 seq 5" in digest
    assert "events.jsonl:5 seq 5" in problems(output, "changed-payload")[0]
    assert "proofs.jsonl:5 seq 5" in problems(output, "bad-proof")[0]
    assert "seqs 1..5" in problems(output, "root-mismatch")[0]


def test_a_payload_changed_with_its_digest(bundle: Path) -> None:
    def rewrite(lines: list[dict[str, Any]]) -> None:
        payload = json.dumps({"id": "x", "title": "another decision"}).encode()
        lines[8]["payload_b64"] = base64.b64encode(payload).decode()
        lines[8]["payload"] = json.loads(payload)
        lines[8]["headers"]["Koers-Payload-Sha256"] = hashlib.sha256(payload).hexdigest()

    output = verify_tampered(bundle, rewrite)
    assert not problems(output, "digest-mismatch")
    [proof] = problems(output, "bad-proof")
    assert "seq 9:" in proof
    assert "seqs 6..12" in problems(output, "root-mismatch")[0]


def test_a_changed_header(bundle: Path) -> None:
    output = verify_tampered(
        bundle, lambda lines: lines[6]["headers"].update({"Koers-Type": "decision.x"})
    )
    [proof] = problems(output, "bad-proof")
    assert "proofs.jsonl:7 seq 7:" in proof
    assert len(problems(output, "root-mismatch")) == 3  # the checkpoints of 12, 20 and 30


def test_an_edited_readable_payload(bundle: Path) -> None:
    output = verify_tampered(bundle, lambda lines: lines[1]["payload"].update({"title": "nicer"}))
    [changed] = problems(output, "changed-payload")
    assert "events.jsonl:2 seq 2" in changed
    assert len(output.splitlines()) < 12  # nothing else is wrong


def test_a_deleted_event(bundle: Path) -> None:
    output = verify_tampered(bundle, lambda lines: lines[:3] + lines[4:])
    assert "before events.jsonl:4: seq 4 missing" in problems(output, "missing-sequence")[0]
    assert "seq 30 missing at the end" in problems(output, "truncated")[0]
    assert "seqs 1..5" in problems(output, "root-mismatch")[0]


def test_two_swapped_events(bundle: Path) -> None:
    output = verify_tampered(bundle, lambda lines: [*lines[:5], lines[6], lines[5], *lines[7:]])
    [reordered] = problems(output, "reordered-sequence")
    assert "events.jsonl:7: seq 6 comes after seq 7" in reordered
    assert "seqs 6..12" in problems(output, "root-mismatch")[0]


def test_the_content_of_two_events_swapped_under_their_sequences(bundle: Path) -> None:
    def swap(lines: list[dict[str, Any]]) -> None:
        for field in ("subject", "headers", "payload_b64", "payload"):
            lines[13][field], lines[14][field] = lines[14][field], lines[13][field]

    output = verify_tampered(bundle, swap)
    assert not problems(output, "reordered-sequence")  # the sequences look right, but
    assert [p.split(":")[1][:9] for p in problems(output, "bad-proof")] == [
        "14 seq 14",
        "15 seq 15",
    ]


def test_an_inserted_event(bundle: Path) -> None:
    def insert(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        forged = record(synthetic_events(3, seed=99)[2])
        return [*lines[:3], forged, *lines[3:]]

    output = verify_tampered(bundle, insert)
    assert "events.jsonl:4: seq 3 again" in problems(output, "inserted-sequence")[0]
    assert "seqs 1..5" in problems(output, "root-mismatch")[0]


def test_an_inserted_event_with_the_rest_renumbered(bundle: Path) -> None:
    def insert(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        forged = record(synthetic_events(3, seed=99)[2])
        lines = [*lines[:10], forged, *lines[10:]]
        for seq, line in enumerate(lines, start=1):
            line["seq"] = seq
        return lines

    output = verify_tampered(bundle, insert)
    assert not problems(output, "inserted-sequence")
    assert "proofs.jsonl:11 seq 11:" in problems(output, "bad-proof")[0]
    assert len(problems(output, "bad-proof")) == 20  # 11..30: every one after it moved
    assert "seqs 6..12" in problems(output, "root-mismatch")[0]


def test_a_truncated_tail(bundle: Path) -> None:
    output = verify_tampered(bundle, lambda lines: lines[:25])
    [truncated] = problems(output, "truncated")
    assert "size 30" in truncated
    assert "seqs 26..30 missing at the end" in truncated


def test_a_truncated_tail_with_its_checkpoints_caught_by_a_kept_checkpoint(
    bundle: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept.jsonl"
    kept.write_text((bundle / "checkpoints.jsonl").read_text().splitlines()[-1] + "\n")
    tamper_events(bundle, lambda lines: lines[:20])
    checkpoints = (bundle / "checkpoints.jsonl").read_text().splitlines()[:-1]
    (bundle / "checkpoints.jsonl").write_text("\n".join(checkpoints) + "\n")
    (bundle / "proofs.jsonl").unlink()
    assert run(bundle)[0] == 0  # consistent in itself: only what the auditor kept shows it
    code, output = run(bundle, "--checkpoint", str(kept))
    assert code == 1
    [truncated] = problems(output, "truncated")
    assert "kept checkpoint kept.jsonl:1 (size 30" in truncated
    assert "rolled back" in truncated


def test_a_history_rewritten_and_signed_with_another_key(
    bundle: Path, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(public_key_pem(key))
    kept = tmp_path / "kept.jsonl"
    kept.write_text((bundle / "checkpoints.jsonl").read_text().splitlines()[2] + "\n")
    forged = write_bundle(
        tmp_path / "forged", synthetic_events(40, seed=8), Ed25519PrivateKey.generate(), (10, 40)
    )
    assert run(forged)[0] == 0  # signed, whole, and consistent in itself
    code, output = run(forged, "--public-key", str(trusted))
    assert code == 1
    assert "public_key.pem" in problems(output, "untrusted-key")[0]
    assert len(problems(output, "bad-signature")) == 2
    assert "checkpoint checkpoints.jsonl:1 (size 10" in problems(output, "bad-signature")[0]
    code, output = run(forged, "--checkpoint", str(kept))
    assert code == 1
    assert "kept.jsonl:1 (size 12" in problems(output, "bad-signature")[0]


def test_a_history_rewritten_with_the_same_key_caught_by_a_kept_checkpoint(
    bundle: Path, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    kept = tmp_path / "kept.jsonl"
    kept.write_text((bundle / "checkpoints.jsonl").read_text().splitlines()[2] + "\n")
    messages = synthetic_events(EVENTS)
    messages[3]["payload"] = b'{"rewritten": true}'
    messages[3]["headers"]["Koers-Payload-Sha256"] = hashlib.sha256(
        b'{"rewritten": true}'
    ).hexdigest()
    rewritten = write_bundle(tmp_path / "rewritten", messages, key)
    assert run(rewritten)[0] == 0
    code, output = run(rewritten, "--checkpoint", str(kept))
    assert code == 1
    [inconsistent] = problems(output, "inconsistent-checkpoints")
    assert "kept checkpoint kept.jsonl:1 (size 12" in inconsistent
    assert "history was rewritten" in inconsistent


def test_a_changed_checkpoint(bundle: Path) -> None:
    lines = read_lines(bundle / "checkpoints.jsonl")
    lines[2]["size"] = 13
    lines[3]["key_id"] = "0123456789abcdef"  # not signed, but named: must match the key
    write_lines(bundle / "checkpoints.jsonl", lines)
    code, output = run(bundle)
    assert code == 1
    [changed, renamed] = problems(output, "bad-signature")
    assert "checkpoint checkpoints.jsonl:3 (size 13" in changed
    assert "checkpoint checkpoints.jsonl:4 (size 20" in renamed
    assert "names key 0123456789abcdef" in renamed


def test_a_message_without_a_digest(bundle: Path) -> None:
    output = verify_tampered(bundle, lambda lines: lines[12]["headers"].pop("Koers-Payload-Sha256"))
    [digest] = problems(output, "digest-mismatch")
    assert "events.jsonl:13 seq 13: no Koers-Payload-Sha256 header" in digest


def test_a_fork_and_a_rollback_among_signed_checkpoints(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    messages = synthetic_events(EVENTS)
    bundle = write_bundle(tmp_path / "b", messages, key)
    other = synthetic_events(EVENTS, seed=1)
    tree = MerkleTree(leaf_for(m["seq"], m["subject"], m["headers"], m["payload"]) for m in other)
    lines = read_lines(bundle / "checkpoints.jsonl")
    time = datetime(2025, 7, 1, tzinfo=UTC)
    fork = sign(key, "LEDGER", EVENTS, tree.root(EVENTS), time)
    rollback = sign(key, "LEDGER", 20, tree.root(20), time + timedelta(minutes=1))
    lines += [json.loads(fork.to_json()), json.loads(rollback.to_json())]
    write_lines(bundle / "checkpoints.jsonl", lines)
    code, output = run(bundle)
    assert code == 1
    inconsistent = problems(output, "inconsistent-checkpoints")
    assert "checkpoints.jsonl:6 (size 30" in inconsistent[0]
    assert "a fork" in inconsistent[0]
    assert "checkpoints.jsonl:7 (size 20" in inconsistent[1]
    assert "rollback" in inconsistent[1]
    assert len(problems(output, "root-mismatch")) == 2


def test_damaged_proofs(bundle: Path) -> None:
    lines = read_lines(bundle / "proofs.jsonl")
    lines[2]["proof"][0] = "00" * 32
    lines[3]["index"] = 4
    lines[4]["root"] = "11" * 32
    lines[5]["proof"].append("22" * 32)
    lines[-1]["proof"].pop()  # a consistency proof, truncated
    write_lines(bundle / "proofs.jsonl", lines)
    code, output = run(bundle)
    assert code == 1
    bad = problems(output, "bad-proof")
    assert [p.split(" seq ")[1][:2] for p in bad] == ["3:", "4:", "5:", "6:"]
    assert "index 4 is not seq 4 - 1" in bad[1]
    assert "not those of a signed checkpoint" in bad[2]
    [inconsistent] = problems(output, "inconsistent-checkpoints")
    assert "sizes 20 and 30" in inconsistent


def test_headers_and_fields_no_signature_covers(bundle: Path) -> None:
    def add(lines: list[dict[str, Any]]) -> None:
        lines[0]["headers"]["X-Approved-By"] = "the board"
        lines[1]["note"] = "trust me"

    output = verify_tampered(bundle, add)
    uncovered = problems(output, "uncovered")
    assert "events.jsonl:1 seq 1: 'X-Approved-By'" in uncovered[0]
    assert "events.jsonl:2 seq 2: 'note'" in uncovered[1]


def test_messages_after_the_last_checkpoint_are_named(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    bundle = write_bundle(tmp_path / "b", synthetic_events(EVENTS), key, (0, 10, 20))
    code, output = run(bundle)
    assert code == 0, output
    assert "NOTE: messages 21..30 are not covered by a checkpoint yet" in output


def test_many_problems_are_summed_up(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    bundle = write_bundle(tmp_path / "b", synthetic_events(60), key, (60,))

    def blank(lines: list[dict[str, Any]]) -> None:
        for line in lines:
            line["payload"] = {"edited": True}

    output = verify_tampered(bundle, blank)
    assert len(problems(output, "changed-payload")) == verifier.SHOWN_PER_KIND
    assert "... and 40 more [changed-payload]" in output
    assert "FAILED: 60 problems (changed-payload 60)" in output


@pytest.mark.parametrize(
    "damage",
    [
        "no events",
        "not a directory",
        "not json",
        "no seq",
        "bad base64",
        "bad checkpoint",
        "bad key",
        "bad proof type",
    ],
)
def test_unreadable_input_exits_2(bundle: Path, damage: str) -> None:
    target = bundle
    if damage == "no events":
        (bundle / "events.jsonl").unlink()
    elif damage == "not a directory":
        target = bundle / "README.txt"
    elif damage == "not json":
        with (bundle / "events.jsonl").open("a") as f:
            f.write("{oops\n")
    elif damage == "no seq":
        tamper_events(bundle, lambda lines: lines[0].pop("seq"))
    elif damage == "bad base64":
        tamper_events(bundle, lambda lines: lines[0].update({"payload_b64": "***"}))
    elif damage == "bad checkpoint":
        (bundle / "checkpoints.jsonl").write_text('{"size": 1}\n')
    elif damage == "bad key":
        (bundle / "public_key.pem").write_text("not a key")
    elif damage == "bad proof type":
        (bundle / "proofs.jsonl").write_text('{"type": "audit", "proof": []}\n')
    code, output = run(target)
    assert code == 2, output
    assert output.startswith("UNREADABLE:")


def test_an_empty_log_with_an_empty_checkpoint(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    bundle = write_bundle(tmp_path / "b", [], key, (0,))
    assert run(bundle)[0] == 0
    (bundle / "checkpoints.jsonl").write_text("")
    code, output = run(bundle)
    assert code == 1
    assert "no checkpoint" in output


def _damage(rng: random.Random, proof: list[bytes]) -> list[bytes]:
    choice = rng.randrange(5)
    if choice == 0 or not proof:
        return proof if choice == 0 else [*proof, rng.randbytes(32)]
    i = rng.randrange(len(proof))
    return [
        proof,
        [*proof[:i], proof[i][:-1] + bytes([proof[i][-1] ^ 1]), *proof[i + 1 :]],
        proof[:i] + proof[i + 1 :],
        [*proof[:i], rng.randbytes(32), *proof[i:]],
        proof[::-1],
    ][choice]


def _holds(check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except ProofError:
        return False
    return True
