"""Stream positions of an aggregate's events (for replayed receipts and histories)."""

from __future__ import annotations

from uuid import UUID

from ledger.application import Koers
from ledger.nats._subjects import H_VERSION
from ledger.nats.recorders import NATSApplicationRecorder

__all__ = ["position_of", "positions_by_version"]


def positions_by_version(koers: Koers, aggregate_id: UUID) -> dict[int, int]:
    """Version -> stream position of every event of one aggregate (empty off NATS)."""
    recorder = koers.recorder
    if not isinstance(recorder, NATSApplicationRecorder):
        return {}
    access = recorder.access
    messages = access.call(access.read(recorder.scheme.aggregate_filter(aggregate_id)))
    return {int(m.headers[H_VERSION]): m.seq for m in messages if H_VERSION in m.headers}


def position_of(koers: Koers, aggregate_id: UUID, version: int) -> int | None:
    """The stream position of one version of an aggregate, if it can be found."""
    recorder = koers.recorder
    if isinstance(recorder, NATSApplicationRecorder):
        subject = recorder.scheme.aggregate_filter(aggregate_id)
        known = recorder.access.positions.seq_of(subject, version)
        if known is not None:
            return known
    return positions_by_version(koers, aggregate_id).get(version)
