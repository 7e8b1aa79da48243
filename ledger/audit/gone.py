"""A ledger that is gone is not started over silently: what shows there was one.

Two things outside NATS remember a ledger after its streams are deleted or emptied: the
checkpoints kept in the data directory (or ``KOERS_CHECKPOINT_DIR``), and the views'
position (``views.sqlite3``: how many events they reflect). When either goes beyond the
stream's last sequence, :func:`refuse_if_gone` raises :class:`LedgerGone` (exit 6) before
``koers serve``, ``koers status`` or ``koers init`` could create an empty stream in its
place. ``koers init --new-ledger`` starts over on purpose: :func:`set_aside` moves the old
files aside (renamed, never deleted) so that nothing remembers the old ledger any more.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from ledger.audit._checkpoint import Checkpoint, format_time
from ledger.audit._merkle import AuditError
from ledger.audit._outside import read_kept
from ledger.audit._store import AuditStore
from ledger.errors import StoreError
from ledger.settings import AuditSettings, StoreSettings

__all__ = ["LedgerGone", "last_kept", "refuse_if_gone", "set_aside"]


class LedgerGone(AuditError, StoreError):
    """The stream holds fewer events than the kept checkpoints or the views show it had."""

    def __init__(self, stream: str, last_seq: int | None, evidence: list[str]) -> None:
        self.stream = stream
        self.evidence = evidence
        now = "does not exist" if last_seq is None else f"ends at seq {last_seq}"
        super().__init__(
            f"the ledger {stream} {now}, but {' and '.join(evidence)}: it was deleted or "
            f"emptied, so it is not started over empty. Nothing was changed. Restore the "
            f"streams from a backup of the NATS store (or rebuild them from the last 'koers "
            f"export' bundle), then run this again; 'koers audit verify' names what is "
            f"missing. To start a new ledger on purpose: 'koers init --new-ledger' (it moves "
            f"the old checkpoints and views aside). See docs/audit.md ('When the ledger is "
            f"gone')"
        )


def last_kept(settings: StoreSettings, audit: AuditSettings) -> Checkpoint | None:
    """The largest checkpoint kept outside NATS for this stream (its signature is not
    checked here: a forged line can only make a start refuse, never accept)."""
    kept = read_kept(audit.outside_file(settings.stream, settings.data_dir))
    found = [k.checkpoint for k in kept if k.checkpoint is not None]
    return max(found, key=lambda c: (c.size, c.time), default=None)


def refuse_if_gone(
    settings: StoreSettings, audit: AuditSettings, views_position: int, views_file: str
) -> None:
    """Raise :class:`LedgerGone` when the kept checkpoints or the views (at
    ``views_position``, stored in ``views_file``) show more events than the stream has."""
    kept = last_kept(settings, audit)
    if kept is None and views_position == 0:
        return  # nothing remembers a ledger: a new one may be made
    store = AuditStore.open(settings)
    try:
        state = store.state()
    finally:
        store.close()
    last_seq = state.last_seq if state is not None and state.messages else 0
    evidence = []
    if kept is not None and kept.size > last_seq:
        where = audit.outside_file(settings.stream, settings.data_dir)
        evidence.append(
            f"the last checkpoint kept in {where} signed {kept.size} events (root "
            f"{kept.root.hex()}, {format_time(kept.time)})"
        )
    if views_position > last_seq:
        evidence.append(f"the views in {views_file} reflect {views_position} events")
    if evidence:
        raise LedgerGone(settings.stream, state.last_seq if state else None, evidence)


def set_aside(paths: list[Path]) -> list[Path]:
    """Rename each existing file of ``paths`` to ``<name>.replaced-<UTC time>``; the new
    names. Nothing is deleted: the old ledger's checkpoints and views stay for an audit."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for path in paths:
        target = path.with_name(f"{path.name}.replaced-{stamp}")
        with contextlib.suppress(FileNotFoundError):
            path.rename(target)
            moved.append(target)
    return moved
