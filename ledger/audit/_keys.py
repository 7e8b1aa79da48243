"""The audit's signing key: the store's (``ledger.nats._keys``), which signs every event too.

Re-exported here so the audit's modules and its users keep one place to import it from.
"""

from ledger.nats._keys import (
    KEY_FILE,
    SigningKeyError,
    TrustedKeys,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    public_key_pem,
    retired_keys,
    rotate_signing_key,
    signing_key,
    trusted_keys,
)

__all__ = [
    "KEY_FILE",
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
]
