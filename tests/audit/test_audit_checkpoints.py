"""Signed checkpoints and the signing key: round trips, forgeries, and the key on disk."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit import (
    KEY_FILE,
    Checkpoint,
    CheckpointError,
    SigningKeyError,
    format_time,
    hash_leaf,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    public_key_pem,
    sign,
    verify,
)
from ledger.errors import KoersError

ROOT = hash_leaf(b"some history")
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_checkpoint_signs_and_verifies_and_round_trips(key: Ed25519PrivateKey) -> None:
    checkpoint = sign(key, "LEDGER", 42, ROOT, WHEN)
    verify(checkpoint, key.public_key())
    assert checkpoint.key_id == key_id(key) == key_id(key.public_key())
    assert checkpoint.signed_text() == (
        f"koers-checkpoint/v1\nLEDGER\n42\n{ROOT.hex()}\n2025-03-04T05:06:07.890123Z\n".encode()
    )
    text = checkpoint.to_json()
    assert "\n" not in text
    assert json.loads(text) == {
        "origin": "LEDGER",
        "size": 42,
        "root": ROOT.hex(),
        "time": "2025-03-04T05:06:07.890123Z",
        "key_id": key_id(key),
        "signature": json.loads(text)["signature"],
    }
    again = Checkpoint.from_json(text)
    assert again == checkpoint
    assert again.to_json() == text
    verify(again, key.public_key())


def test_the_time_defaults_to_now_and_has_one_spelling(key: Ed25519PrivateKey) -> None:
    before = datetime.now(UTC)
    checkpoint = sign(key, "LEDGER", 0, hash_leaf(b""))
    assert before <= checkpoint.time <= datetime.now(UTC)
    assert format_time(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05.000000Z"
    utc_alias = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(0)))
    verify(sign(key, "LEDGER", 1, ROOT, utc_alias), key.public_key())
    with pytest.raises(CheckpointError, match="UTC"):
        sign(key, "LEDGER", 1, ROOT, datetime(2025, 1, 2, 3, 4, 5))
    with pytest.raises(CheckpointError, match="UTC"):
        sign(key, "LEDGER", 1, ROOT, datetime(2025, 1, 2, tzinfo=timezone(timedelta(hours=1))))


def test_a_change_to_any_field_is_refused(key: Ed25519PrivateKey) -> None:
    good = sign(key, "LEDGER", 42, ROOT, WHEN)
    changes: dict[str, dict[str, Any]] = {
        "origin": {"origin": "LEDGES"},
        "size + 1": {"size": 43},
        "size ^ 1": {"size": 42 ^ 1},
        "size 0": {"size": 0},
        "time + 1 µs": {"time": WHEN + timedelta(microseconds=1)},
        "time - 1 day": {"time": WHEN - timedelta(days=1)},
        "key id": {"key_id": "0" * 16},
        **{f"root bit {i}": {"root": _flip(ROOT, i)} for i in range(0, 256, 7)},
        **{f"signature bit {i}": {"signature": _flip(good.signature, i)} for i in range(512)},
    }
    for what, change in changes.items():
        forged = Checkpoint(**{**good.__dict__, **change})
        try:
            verify(forged, key.public_key())
        except CheckpointError:
            continue
        pytest.fail(f"a checkpoint with a changed {what} verified")


def test_a_flipped_bit_anywhere_in_the_json_is_refused(key: Ed25519PrivateKey) -> None:
    data = sign(key, "LEDGER", 1234, ROOT, WHEN).to_json().encode()
    refused = 0
    for i in range(len(data)):
        for bit in range(8):
            forged = bytearray(data)
            forged[i] ^= 1 << bit
            with pytest.raises(CheckpointError):
                verify(Checkpoint.from_json(bytes(forged)), key.public_key())
            refused += 1
    assert refused == 8 * len(data)


def test_another_key_is_refused(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    checkpoint = sign(key, "LEDGER", 42, ROOT, WHEN)
    with pytest.raises(CheckpointError, match="another key"):
        verify(checkpoint, other.public_key())
    posing = Checkpoint(**{**checkpoint.__dict__, "key_id": key_id(other)})
    with pytest.raises(CheckpointError, match="does not verify"):
        verify(posing, other.public_key())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"time": "2025-03-04T05:06:07Z"}, "RFC 3339"),
        ({"time": "2025-03-04T05:06:07.890123+00:00"}, "RFC 3339"),
        ({"time": "2025-02-30T05:06:07.890123Z"}, "valid date"),
        ({"root": ROOT.hex().upper()}, "lowercase hex"),
        ({"root": ROOT.hex()[:-2]}, "lowercase hex"),
        ({"size": -1}, "non-negative"),
        ({"size": True}, "non-negative"),
        ({"size": 42.0}, "non-negative"),
        ({"size": "42"}, "non-negative"),
        ({"origin": "LED GER"}, "printable"),
        ({"origin": "LEDGER\n7"}, "printable"),
        ({"origin": ""}, "printable"),
        ({"origin": 7}, "string"),
        ({"key_id": "ABCDEF0123456789"}, "16 lowercase"),
        ({"signature": "not base64!"}, "base64"),
        ({"extra": 1}, "exactly"),
    ],
)
def test_malformed_json_is_refused(
    key: Ed25519PrivateKey, change: dict[str, object], reason: str
) -> None:
    data = json.loads(sign(key, "LEDGER", 42, ROOT, WHEN).to_json())
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_json(json.dumps({**data, **change}))


def test_json_that_is_not_one_checkpoint_is_refused(key: Ed25519PrivateKey) -> None:
    data = json.loads(sign(key, "LEDGER", 42, ROOT, WHEN).to_json())
    for text in ("", "[]", "{}", "not json", json.dumps({k: data[k] for k in list(data)[:-1]})):
        with pytest.raises(CheckpointError):
            Checkpoint.from_json(text)
    assert isinstance(CheckpointError("x"), KoersError)


def test_a_second_spelling_of_the_same_signature_is_refused(key: Ed25519PrivateKey) -> None:
    """64 bytes take 86 base64 digits and 4 spare bits: setting one gives the same bytes."""
    data = json.loads(sign(key, "LEDGER", 42, ROOT, WHEN).to_json())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    signature = data["signature"]
    assert signature.endswith("==")
    last = alphabet[alphabet.index(signature[-3]) ^ 1]
    respelled = signature[:-3] + last + "=="
    assert base64.b64decode(respelled) == base64.b64decode(signature)
    with pytest.raises(CheckpointError, match="canonical"):
        Checkpoint.from_json(json.dumps({**data, "signature": respelled}))


# The signing key.


def test_the_key_is_created_on_first_use_private_and_reused(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    path = tmp_path / KEY_FILE
    assert path == tmp_path / "audit" / "signing.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert [p.name for p in path.parent.iterdir()] == ["signing.key"]  # no temporary left
    again = load_or_create_signing_key(tmp_path)
    assert key_id(again) == key_id(key)
    assert key_id(load_signing_key(path)) == key_id(key)


def test_concurrent_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    for attempt in range(5):
        directory = tmp_path / str(attempt)
        barrier = threading.Barrier(4)
        ids: list[str] = []

        def first_use(
            directory: Path = directory, barrier: threading.Barrier = barrier, ids: list[str] = ids
        ) -> None:
            barrier.wait()
            ids.append(key_id(load_or_create_signing_key(directory)))

        threads = [threading.Thread(target=first_use) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(ids) == 4
        assert len(set(ids)) == 1


def test_the_public_key_is_exported_as_pem(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    pem = public_key_pem(key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public_key_pem(key.public_key()) == pem
    public = load_public_key(pem)
    assert key_id(public) == key_id(key)
    verify(sign(key, "LEDGER", 3, ROOT, WHEN), public)


def test_unusable_keys_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="no such file"):
        load_signing_key(tmp_path / "missing.key")
    load_or_create_signing_key(tmp_path)
    path = tmp_path / KEY_FILE
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_or_create_signing_key(tmp_path)
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"not a key")
    garbage.chmod(0o600)
    with pytest.raises(SigningKeyError, match="not a readable PEM"):
        load_signing_key(garbage)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    other = tmp_path / "ec.key"
    other.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    other.chmod(0o600)
    with pytest.raises(SigningKeyError, match="Ed25519"):
        load_signing_key(other)
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SigningKeyError, match="Ed25519"):
        load_public_key(ec_public)
    with pytest.raises(SigningKeyError, match="not a PEM"):
        load_public_key(b"garbage")
    blocked = tmp_path / "file"
    blocked.write_text("a file where the data directory should be")
    with pytest.raises(SigningKeyError, match="cannot be created"):
        load_or_create_signing_key(blocked)


def test_an_encrypted_key_needs_its_password(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "encrypted.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    path.chmod(0o600)
    assert key_id(load_signing_key(path, b"secret")) == key_id(key)
    with pytest.raises(SigningKeyError):
        load_signing_key(path)
    with pytest.raises(SigningKeyError):
        load_signing_key(path, b"wrong")


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)
