"""``koers audit export``: the bundle an auditor checks offline with ``ledger.audit.verifier``.

The format is the verifier's (its module doc defines it): ``events.jsonl`` (every message in
sequence order, the exact payload in base64 and, for people, parsed), ``checkpoints.jsonl``
(every checkpoint of the checkpoint stream, by size), ``public_key.pem`` (the key Koers
trusts: the signing key's public half, or the one given), ``public_keys/<id>.pem`` (that key
and every key it retired: old events and checkpoints name them), ``proofs.jsonl`` and
``README.txt``. Each event carries its signature headers (``Koers-Key-Id``,
``Koers-Signature``), which the verifier checks too. Proofs: an RFC 9162 consistency proof
between each two consecutive checkpoints, and (``proofs="all"``, the default) an inclusion
proof for every event against the last checkpoint, so a changed event is pinned to its
position. About 1.3 KB of proof per event at a million events; ``proofs="checkpoints"``
leaves the per-event ones out.

The events are written as the log is read (one pass, verifying it); a damaged log is
exported as it is, with proofs only where the log still matches what was signed, so the
verifier shows the same damage ``koers audit verify`` does.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ledger.audit._checkpoint import Checkpoint, CheckpointError, format_time
from ledger.audit._frames import Frame, frame_headers
from ledger.audit._merkle import AuditError, MerkleTree
from ledger.audit._store import AuditStore
from ledger.audit._verify import Trust, verify_log
from ledger.audit.report import AuditReport
from ledger.nats._keys import key_id, public_key_pem

__all__ = ["PROOF_CHOICES", "Exported", "export_bundle"]

PROOF_CHOICES = ("all", "checkpoints")


@dataclass(frozen=True)
class Exported:
    """What went into the bundle, and the verification of the log it was read from."""

    path: Path
    events: int
    checkpoints: int
    proofs: int
    report: AuditReport


def _record(frame: Frame) -> dict[str, Any]:
    try:
        readable = json.loads(frame.data)
    except ValueError:
        readable = None
    return {
        "seq": frame.seq,
        "subject": frame.subject.decode("utf-8", "replace"),
        "headers": frame_headers(frame),
        "payload_b64": base64.b64encode(frame.data).decode("ascii"),
        "payload": readable,
    }


def _line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_bundle(
    store: AuditStore,
    trust: Trust,
    out: Path,
    *,
    proofs: str = "all",
    progress: Callable[[int], None] | None = None,
) -> Exported:
    """Write the bundle of the ledger of ``store`` into the new (or empty) folder ``out``."""
    if proofs not in PROOF_CHOICES:
        raise AuditError(f"proofs must be one of {', '.join(PROOF_CHOICES)}, not {proofs!r}")
    if trust.key is None:
        raise AuditError(
            "there is no key to export: no signing key in the data directory yet (run 'koers "
            "audit checkpoint' first), and no --public-key given"
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AuditError(f"{out} exists and is not an empty folder: name a new one")
    out.mkdir(parents=True, exist_ok=True)
    with (out / "events.jsonl").open("w", encoding="utf-8", newline="\n") as events:

        def write(frames: list[Frame]) -> None:
            events.write("".join(_line(_record(f)) for f in frames))

        verification = verify_log(store, trust, progress=progress, watchers=[write])
    checkpoints = _all_checkpoints(store)
    (out / "checkpoints.jsonl").write_text(
        "".join(c.to_json() + "\n" for c in checkpoints), encoding="utf-8"
    )
    (out / "public_key.pem").write_bytes(public_key_pem(trust.key))
    (out / "public_keys").mkdir()
    for kid, key in trust.event_keys.items():
        (out / "public_keys" / f"{kid}.pem").write_bytes(public_key_pem(key))
    matching = [c for c in verification.signed if c.size <= verification.matched]
    with (out / "proofs.jsonl").open("w", encoding="utf-8", newline="\n") as lines:
        count = _write_proofs(lines, verification.scan.tree, matching, every_event=proofs == "all")
    report = verification.report
    (out / "README.txt").write_text(_readme(store, trust, report, len(checkpoints), count))
    return Exported(out, report.events, len(checkpoints), count, report)


def _all_checkpoints(store: AuditStore) -> list[Checkpoint]:
    out = []
    for _, text in store.checkpoint_texts():
        try:
            out.append(Checkpoint.from_json(text))
        except CheckpointError:
            continue  # not a checkpoint: koers audit verify names it
    return sorted(out, key=lambda c: (c.size, c.time))


def _write_proofs(
    lines: IO[str], tree: MerkleTree, matching: list[Checkpoint], every_event: bool
) -> int:
    count = 0
    heads = sorted({(c.size, c.root) for c in matching})
    for (size1, root1), (size2, root2) in itertools.pairwise(heads):
        proof = [h.hex() for h in tree.consistency_proof(size1, size2)]
        ends = {"size1": size1, "size2": size2, "root1": root1.hex(), "root2": root2.hex()}
        lines.write(_line({"type": "consistency", **ends, "proof": proof}))
        count += 1
    if every_event and heads:
        size, root = heads[-1]
        for index in range(size):
            proof = [h.hex() for h in tree.inclusion_proof(index, size)]
            lines.write(_line({"type": "inclusion", "seq": index + 1, "index": index,
                               "size": size, "root": root.hex(), "proof": proof}))  # fmt: skip
        count += size
    return count


def _readme(
    store: AuditStore, trust: Trust, report: AuditReport, checkpoints: int, proofs: int
) -> str:
    assert trust.key is not None
    state = "the log matched every signed checkpoint" if report.ok else (
        f"the log did NOT match its checkpoints ({len(report.problems)} problems)"
    )  # fmt: skip
    return f"""A Koers audit bundle: the ledger stream {store.stream}, exported {
        format_time(datetime.now(UTC))
    }.

events.jsonl       {report.events} messages, in sequence order (exact payloads in base64)
checkpoints.jsonl  {checkpoints} signed checkpoints, by size
public_key.pem     the Ed25519 key Koers signs events and checkpoints with: key id {
        key_id(trust.key)
    }
public_keys/       every key whose signatures count (that one and the retired ones): {
        ", ".join(trust.event_keys)
    }
proofs.jsonl       {proofs} proofs (consistency between checkpoints, inclusion per event)

When it was exported, {state}.

Check it offline with the standalone verifier (one file, Python 3.11+ and the
'cryptography' package; take it from the Koers source, not from whoever gave you this):

    python verifier.py THIS_FOLDER --public-key KEY_YOU_WERE_GIVEN.pem \\
        --checkpoint CHECKPOINTS_YOU_KEPT.jsonl

(--public-key once for each key you were given.) Compare the key ids above with the ones
the operator gave you through another channel.
"""
