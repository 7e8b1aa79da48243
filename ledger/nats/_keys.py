"""The Ed25519 key that signs events and checkpoints: created on first use, kept private,
shared as PEM, rotated without breaking old signatures.

The private key lives in ``<data dir>/audit/signing.key`` (PKCS#8 PEM, mode 0600, its folder
0700), or at a path given by the operator. Invariants:

- a key file is only ever created whole: it is written to a temporary file and linked into
  place, so a concurrent first use by two processes ends with both using the same key;
- a key file that the group or others may read is refused, never silently used;
- the key id is the first 8 bytes, in hex, of SHA-256 over the 32 raw public-key bytes;
- a retired key's public half stays in ``keys/<id>.pub`` beside the key file
  (``<data dir>/audit/keys/``): the *trusted keys* are the current key and every retired one,
  so events and checkpoints signed before a rotation still verify.

It lives with the store because the writer signs every event (``ledger.nats._signing``);
``ledger.audit`` uses the same functions for checkpoints. A new key must be announced to
auditors: a signature by a key they do not know is indistinguishable from a forgery.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import KoersError
from ledger.settings import AuditSettings, StoreSettings
from ledger.settings._audit import KEY_FILE

__all__ = [
    "KEY_FILE",
    "RETIRED_DIR",
    "SigningKeyError",
    "TrustedKeys",
    "key_id",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "public_key_pem",
    "retired_keys",
    "rotate_signing_key",
    "signing_key",
    "trusted_keys",
    "trusted_keys_of",
]

#: The folder beside the key file that keeps the public halves of retired keys.
RETIRED_DIR = "keys"
#: Public keys by key id: whose signatures are accepted.
TrustedKeys = Mapping[str, Ed25519PublicKey]


class SigningKeyError(KoersError):
    """The signing key (or a public key) cannot be created, read or used."""

    def __init__(self, path: Path | None, problem: str) -> None:
        self.path = path
        self.problem = problem
        where = f"the audit key {path}" if path is not None else "the audit public key"
        super().__init__(f"{where}: {problem}")


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The key's short id: hex of the first 8 bytes of SHA-256 of its raw public bytes."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def public_key_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), to give to auditors."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """Read an Ed25519 public key from PEM; :class:`SigningKeyError` if it is not one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as e:
        raise SigningKeyError(None, f"not a PEM public key ({e})") from e
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(None, f"an Ed25519 key is needed, not {type(key).__name__}")
    return key


def load_signing_key(path: Path | str, password: bytes | None = None) -> Ed25519PrivateKey:
    """Read the private key at ``path`` (PKCS#8 PEM, optionally encrypted with ``password``).

    Refuses a missing or unreadable file, one that others may read, and any other key type.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        pem = path.read_bytes()
    except FileNotFoundError as e:
        raise SigningKeyError(path, "no such file: create it on first use, or fix the path") from e
    except OSError as e:
        raise SigningKeyError(path, f"cannot be read ({e.strerror})") from e
    if os.name == "posix" and mode & 0o077:
        raise SigningKeyError(
            path, f"others may read it (mode {mode & 0o777:o}): run 'chmod 600 {path}'"
        )
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise SigningKeyError(path, f"not a readable PEM private key ({e})") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(path, f"an Ed25519 key is needed, not {type(key).__name__}")
    return key


def load_or_create_signing_key(data_dir: Path | str) -> Ed25519PrivateKey:
    """The key at ``<data_dir>/audit/signing.key``, created (mode 0600) if there is none."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        _create(path)
    return load_signing_key(path)


def signing_key(settings: StoreSettings, audit: AuditSettings) -> Ed25519PrivateKey:
    """The signing key: ``KOERS_SIGNING_KEY`` if given, else the data directory's (created
    on first use)."""
    if audit.key_file is not None:
        return load_signing_key(audit.key_file)
    return load_or_create_signing_key(settings.data_dir)


def trusted_keys_of(settings: StoreSettings, audit: AuditSettings) -> dict[str, Ed25519PublicKey]:
    """The keys whose event signatures count for this data directory: the signing key's
    public half (if there is a key yet) and every key it retired. For the store's readers
    (``ledger.nats._signing.signature_problem``)."""
    path = audit.key_path(settings.data_dir)
    current = load_signing_key(path).public_key() if path.exists() else None
    return trusted_keys(current, path)


def retired_keys(key_path: Path) -> dict[str, Ed25519PublicKey]:
    """The public halves of the keys retired before the one at ``key_path``, by key id."""
    folder = key_path.parent / RETIRED_DIR
    out: dict[str, Ed25519PublicKey] = {}
    for path in sorted(folder.glob("*.pub")) if folder.is_dir() else []:
        try:
            key = load_public_key(path.read_bytes())
        except OSError as e:
            raise SigningKeyError(path, f"cannot be read ({e.strerror})") from e
        except SigningKeyError as e:
            raise SigningKeyError(path, f"{e.problem}: remove it or restore it") from e
        out[key_id(key)] = key
    return out


def trusted_keys(
    current: Ed25519PublicKey | None, key_path: Path | None
) -> dict[str, Ed25519PublicKey]:
    """The current public key and every key retired beside ``key_path``, by key id."""
    out = retired_keys(key_path) if key_path is not None else {}
    if current is not None:
        out[key_id(current)] = current
    return out


def rotate_signing_key(key_path: Path) -> tuple[str, str]:
    """Retire the key at ``key_path`` (its public half kept in ``keys/<id>.pub``) and put a
    new one in its place; returns ``(old id, new id)``. The public half is written (and
    synced) before the key is replaced, so a crash in between loses no trust."""
    old = load_signing_key(key_path)
    folder = key_path.parent / RETIRED_DIR
    _write_whole(folder / f"{key_id(old)}.pub", public_key_pem(old), 0o644, replace=True)
    new = Ed25519PrivateKey.generate()
    _write_whole(key_path, _private_pem(new), 0o600, replace=True)
    return key_id(old), key_id(new)


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create(path: Path) -> None:
    """Write a new key to ``path`` whole, unless another process did so first."""
    _write_whole(path, _private_pem(Ed25519PrivateKey.generate()), 0o600, replace=False)


def _write_whole(path: Path, data: bytes, mode: int, *, replace: bool) -> None:
    """Write ``data`` to ``path`` through a synced temporary file: linked into place
    (never over an existing file) or, with ``replace``, renamed over it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as e:
        raise SigningKeyError(path, f"cannot be created ({e.strerror})") from e
    try:
        try:
            os.fchmod(fd, mode)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process created it first
                os.link(tmp, path)  # atomic, and never replaces a key that is already there
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as e:
        raise SigningKeyError(path, f"cannot be created ({e.strerror})") from e
    finally:
        tmp.unlink(missing_ok=True)
