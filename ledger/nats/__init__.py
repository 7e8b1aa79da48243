"""The NATS JetStream persistence module for ``eventsourcing``: ``PERSISTENCE_MODULE=ledger.nats``.

This namespace holds exactly one concrete ``InfrastructureFactory`` subclass
(:class:`NATSFactory`), as the library's module selection requires.
"""

from ledger.nats.factory import NATSFactory
from ledger.nats.recorders import (
    NATSAggregateRecorder,
    NATSApplicationRecorder,
    NATSProcessRecorder,
    NATSTrackingRecorder,
)
from ledger.nats.subscription import NATSSubscription

Factory = NATSFactory

__all__ = [
    "Factory",
    "NATSAggregateRecorder",
    "NATSApplicationRecorder",
    "NATSFactory",
    "NATSProcessRecorder",
    "NATSSubscription",
    "NATSTrackingRecorder",
]
