"""What ``koers status`` shows about the event store: server, stream, counts, health."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ledger.nats._stream import audited_config, weaknesses
from ledger.nats.factory import NATSFactory

__all__ = ["StoreStatus", "store_status"]


@dataclass(frozen=True)
class StoreStatus:
    url: str
    embedded: bool
    server_pid: int | None
    started_here: bool
    data_dir: str
    stream: str
    events: int
    last_sequence: int
    bytes: int
    replicas: int
    audited: bool
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_status(factory: NATSFactory) -> StoreStatus:
    """Check the stream, then describe it (one round trip). Creates nothing unless the
    factory's settings allow it: a missing stream raises ``StreamMissing``."""
    factory.application_recorder()  # checks the stream's configuration
    conn, settings = factory.connection, factory.settings
    info = conn.call(conn.js.stream_info(settings.stream))
    wanted = audited_config(settings.stream, f"{settings.subject_prefix}.>", settings.replicas)
    problems = weaknesses(info.config, wanted)
    server = conn.server
    return StoreStatus(
        url=conn.url,
        embedded=server is not None,
        server_pid=server.pid if server is not None else None,
        started_here=bool(server is not None and server.owned),
        data_dir=str(settings.data_dir),
        stream=settings.stream,
        events=info.state.messages,
        last_sequence=info.state.last_seq,
        bytes=info.state.bytes,
        replicas=info.config.num_replicas or 1,
        audited=not problems,
        problems=problems,
    )
