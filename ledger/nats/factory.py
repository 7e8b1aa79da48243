"""``NATSFactory``: the ``eventsourcing`` infrastructure factory for NATS JetStream.

Select it with ``PERSISTENCE_MODULE=ledger.nats``; the settings are listed in
:mod:`ledger.settings._store`.
The factory opens one connection (and, without ``NATS_URL``, starts or reuses the embedded
nats-server of ``KOERS_DATA_DIR``), checks the stream against the audited configuration
(creating it only when ``NATS_CREATE_STREAM`` allows: ``koers init`` and ``koers serve`` set
it; anything else stops on a missing stream with ``StreamMissing``), and hands the same
connection to every recorder it creates. Every message it writes is signed with the data
directory's signing key (``ledger.nats._signing``; created on first use, ``KOERS_SIGNING_KEY``
to use another; ``KOERS_SIGN_EVENTS=no`` for benchmarks only). ``close()``
closes the connection and stops an embedded server this factory started.
"""

from __future__ import annotations

import functools
from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, resolve_topic

from ledger.nats._access import StreamAccess
from ledger.nats._connection import NatsConnection
from ledger.nats._keys import signing_key, trusted_keys_of
from ledger.nats._signing import EventSigner, SignatureCheck
from ledger.nats._stream import audited_config, ensure_stream, snapshot_config
from ledger.nats._subjects import SubjectScheme
from ledger.nats.recorders import (
    NATSAggregateRecorder,
    NATSApplicationRecorder,
    NATSProcessRecorder,
    NATSTrackingRecorder,
)
from ledger.settings import AuditSettings, StoreSettings

__all__ = ["NATSFactory"]


class NATSFactory(InfrastructureFactory[TrackingRecorder]):
    """Creates NATS recorders for one application (or projection) environment."""

    aggregate_recorder_class = NATSAggregateRecorder
    application_recorder_class = NATSApplicationRecorder
    tracking_recorder_class = NATSTrackingRecorder
    process_recorder_class = NATSProcessRecorder

    def __init__(self, env: Environment | Any) -> None:
        super().__init__(env)
        self.settings = StoreSettings.from_env(self.env)
        self.connection = NatsConnection(self.settings)
        self._accesses: dict[str, StreamAccess] = {}
        self._signer: EventSigner | None = None

    def signer(self) -> EventSigner | None:
        """The signer of every message written (the key is read on first use)."""
        if self._signer is None and self.settings.sign_events:
            key = signing_key(self.settings, AuditSettings.from_env(self.env))
            self._signer = EventSigner(key)
        return self._signer

    @functools.cached_property
    def signatures(self) -> SignatureCheck | None:
        """The readers' check of the events' signatures (none when writing unsigned)."""
        if not self.settings.sign_events:
            return None
        audit = AuditSettings.from_env(self.env)
        return SignatureCheck(lambda: trusted_keys_of(self.settings, audit))

    def _access(self, purpose: str = "events") -> StreamAccess:
        """The stream for ``purpose``: the ledger itself, or its snapshot stream."""
        if purpose not in self._accesses:
            settings = self.settings
            name, prefix = settings.stream, settings.subject_prefix
            if purpose == "snapshots":
                name, prefix = f"{name}_SNAPSHOTS", f"{prefix}_snapshots"
            scheme = SubjectScheme(prefix)
            make = snapshot_config if purpose == "snapshots" else audited_config
            wanted = make(name, scheme.stream_subjects, settings.replicas)
            info = self.connection.call(
                ensure_stream(
                    self.connection.js,
                    wanted,
                    create=settings.create_stream,
                    accept_weak=settings.accept_weak_stream,
                    audited=purpose != "snapshots",
                    url=self.connection.url,
                    admin=self.connection.admin,
                )
            )
            self._accesses[purpose] = StreamAccess(
                self.connection,
                name,
                scheme,
                with_schema=purpose != "snapshots",
                signer=self.signer,
                signatures=self.signatures if purpose != "snapshots" else None,
                replicas=info.config.num_replicas or 1,
            )
        return self._accesses[purpose]

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        return self.aggregate_recorder_class(self._access(purpose))

    def application_recorder(self) -> ApplicationRecorder:
        recorder = self._configured("APPLICATION_RECORDER_TOPIC", self.application_recorder_class)
        assert isinstance(recorder, ApplicationRecorder)
        return recorder

    def tracking_recorder(
        self, tracking_recorder_class: type[TrackingRecorder] | None = None
    ) -> TrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get("TRACKING_RECORDER_TOPIC")
            tracking_recorder_class = (
                resolve_topic(topic) if topic else self.tracking_recorder_class
            )
        assert tracking_recorder_class is not None
        return tracking_recorder_class(self._access())  # type: ignore[call-arg]

    def process_recorder(self) -> ProcessRecorder:
        recorder = self._configured("PROCESS_RECORDER_TOPIC", self.process_recorder_class)
        assert isinstance(recorder, ProcessRecorder)
        return recorder

    def _configured(self, setting: str, default: type[Any]) -> object:
        """A recorder on the events stream, of the class whose topic ``setting`` names, else
        of ``default`` (the caller checks its kind)."""
        topic = self.env.get(setting)
        cls = resolve_topic(topic) if topic else default
        return cls(self._access())

    def close(self) -> None:
        self.connection.close()
        super().close()
