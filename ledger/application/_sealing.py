"""Sealing the secrets the ledger must hold but not show: webhooks' signing secrets.

The ledger is immutable and every auditor reads it, so a secret Koers needs again (to sign a
webhook's deliveries) is recorded sealed: AES-256-GCM under a key that is never in the
ledger, with the webhook's id as associated data (a sealed secret copied onto another webhook
does not open). The key is ``webhook-secrets.key`` in the data directory (32 random bytes,
base64, mode 0600, made on first use); the API and the workers of one data directory share
it. Workers on another machine need a copy of that file: without it they cannot sign, and
say so. Deleting the key makes every recorded secret unreadable (re-add the webhooks): the
ledger keeps no secret anyone could recover from it alone.

An application on the in-memory store (tests) seals with a key of its own process.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import ConfigurationError
from ledger.settings import private_dir

__all__ = ["KEY_FILE", "SecretBox", "secret_box"]

KEY_FILE = "webhook-secrets.key"
_VERSION = "v1"
_NONCE = 12


class SecretBox:
    """Seals and opens short secrets (see the module docstring)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str, context: str) -> str:
        """``v1:<base64 nonce + ciphertext>``, bound to ``context`` (the webhook's id)."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, secret.encode(), context.encode())
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, context: str) -> str:
        version, _, text = sealed.partition(":")
        if version != _VERSION:
            raise ValueError(f"unknown sealing {version!r}")
        raw = base64.b64decode(text)
        return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode()).decode()


def secret_box(data_dir: Path | None) -> SecretBox:
    """The box of ``data_dir``'s key (made on first use); ``None``: a key of this process."""
    if data_dir is None:
        return SecretBox(AESGCM.generate_key(bit_length=256))
    return SecretBox(_load_or_create(private_dir(data_dir.expanduser()) / KEY_FILE))


def _load_or_create(path: Path) -> bytes:
    """The key in ``path``; made atomically (link, never overwrite) when missing, so two
    processes starting at once end up with the same key."""
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink(missing_ok=True)
    for _ in range(50):
        text = path.read_text("ascii").strip()
        if text:
            break
        time.sleep(0.01)
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigurationError(
            f"{path} is not a webhook secrets key (32 bytes, base64): restore it from a "
            f"backup, or remove it and add the webhooks again"
        )
    return key
