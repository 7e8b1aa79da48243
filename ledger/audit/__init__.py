"""The audit trail: a Merkle tree over the ledger, signed checkpoints, proofs, offline checks.

Leaf ``i`` of the tree is the entry of the stream message with sequence ``i + 1``
(:func:`entry_bytes`: its exact payload bytes and the headers that carry meaning). Koers
signs checkpoints ``(origin, size, root, time)`` with an Ed25519 key and publishes them
outside NATS; anyone holding the public key can then check, offline, that

- an event is in the ledger at its position (an inclusion proof against a checkpoint);
- the ledger only grew between two checkpoints (a consistency proof);
- an exported bundle is exactly the history that was signed (``ledger.audit.verifier``).

The core here is pure (no NATS, no I/O but key files). :mod:`ledger.audit.verifier` is the
standalone verifier handed to auditors; it imports nothing from Koers and re-implements the
encoding and the checks on purpose, so it can be read, and trusted, on its own.

Errors::

    AuditError (KoersError)
    ├── ProofError             a Merkle proof does not verify, or is malformed
    ├── TreeRangeError         a size or leaf index outside the tree was asked for
    ├── EntryError             a message cannot be encoded as an entry
    ├── PayloadDigestMismatch  a payload differs from its Koers-Payload-Sha256 header
    └── CheckpointError        a checkpoint is malformed, or its signature does not verify

    SigningKeyError (KoersError, from ledger.nats._keys: the store signs every event with the
    same key)                  the signing key cannot be created, read or used
"""

from ledger.audit._checkpoint import (
    CHECKPOINT_TAG,
    Checkpoint,
    CheckpointError,
    checkpoint_text,
    format_time,
    sign,
    verify,
)
from ledger.audit._entry import (
    DIGEST_HEADER,
    ENTRY_HEADERS,
    ENTRY_TAG,
    EntryError,
    PayloadDigestMismatch,
    check_payload_digest,
    entry_bytes,
    leaf_for,
    payload_digest_ok,
)
from ledger.audit._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    AuditError,
    MerkleTree,
    ProofError,
    TreeRangeError,
    hash_children,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)
from ledger.nats._keys import (
    KEY_FILE,
    SigningKeyError,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    public_key_pem,
)

__all__ = [
    "CHECKPOINT_TAG",
    "DIGEST_HEADER",
    "EMPTY_ROOT",
    "ENTRY_HEADERS",
    "ENTRY_TAG",
    "HASH_SIZE",
    "KEY_FILE",
    "AuditError",
    "Checkpoint",
    "CheckpointError",
    "EntryError",
    "MerkleTree",
    "PayloadDigestMismatch",
    "ProofError",
    "SigningKeyError",
    "TreeRangeError",
    "check_payload_digest",
    "checkpoint_text",
    "entry_bytes",
    "format_time",
    "hash_children",
    "hash_leaf",
    "key_id",
    "leaf_for",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "payload_digest_ok",
    "public_key_pem",
    "sign",
    "verify",
    "verify_consistency",
    "verify_inclusion",
]
