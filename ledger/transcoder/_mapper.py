""":class:`TypedMapper`: the ``eventsourcing`` mapper writing declared event fields as plain JSON
(layer 2 of the package), everything else through :class:`~ledger.transcoder.OrjsonTranscoder`.
"""

from __future__ import annotations

from eventsourcing.domain import DomainEventProtocol, TAggregateID
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from ledger.errors import ConfigurationError
from ledger.transcoder._errors import Unreadable, Unwritable, format_path
from ledger.transcoder._plan import typed_fields
from ledger.transcoder._tagged import OrjsonTranscoder

__all__ = ["TypedMapper"]


def _as_orjson(transcoder: Transcoder) -> OrjsonTranscoder:
    """``transcoder`` itself, or an OrjsonTranscoder holding a JSONTranscoder's transcodings."""
    if isinstance(transcoder, OrjsonTranscoder):
        return transcoder
    if isinstance(transcoder, JSONTranscoder):
        adopted = OrjsonTranscoder()
        for transcoding in transcoder.types.values():
            if type(transcoding) not in (UUIDAsHex, DecimalAsStr, DatetimeAsISO):
                adopted.register(transcoding)  # the library defaults are built in already
        return adopted
    msg = (
        f"TypedMapper writes JSON with ledger.transcoder:OrjsonTranscoder, but was given a "
        f"{type(transcoder).__qualname__}. Unset TRANSCODER_TOPIC or set it to "
        f"ledger.transcoder:OrjsonTranscoder."
    )
    raise ConfigurationError(msg)


class TypedMapper(Mapper[TAggregateID]):
    """Mapper writing declared event fields as plain JSON and reading them back by declaration.

    Invariants: the stored state is canonical JSON (same event, same bytes); for every event that
    encodes, ``to_domain_event(to_stored_event(e))`` equals ``e`` field by field, with the
    declared types; typed conversion on read happens after upcasting, against the current class.
    """

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        self.orjson_transcoder = _as_orjson(transcoder)
        super().__init__(self.orjson_transcoder, compressor=compressor, cipher=cipher)

    def to_stored_event(self, domain_event: DomainEventProtocol[TAggregateID]) -> StoredEvent:
        """As ``Mapper.to_stored_event``, with typed fields as plain JSON; ``EncodingError`` if
        a value cannot be written (NaN, a naive datetime, a value not of its declared type)."""
        cls = type(domain_event)
        topic = get_topic(cls)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        for name, codec in typed_fields(cls):
            if name in state:
                try:
                    state[name] = codec.encode(state[name])
                except Unwritable as e:
                    e.path.append(name)
                    raise e.error(f"event {topic}") from None
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        stored_state = self.orjson_transcoder.encode_as(state, f"event {topic}")
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[TAggregateID]:
        """As ``Mapper.to_domain_event`` (decode, upcast), then typed fields by declaration;
        ``MapperDeserialisationError`` naming the field if a stored value does not fit it."""
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        for name, codec in typed_fields(type(domain_event)):
            if name in state:
                try:
                    state[name] = codec.decode(state[name])
                except Unreadable as e:
                    e.path.append(name)
                    msg = (
                        f"Failed to deserialise state of stored event with topic "
                        f"'{stored_event.topic}', originator_id '{stored_event.originator_id}' "
                        f"and originator_version {stored_event.originator_version}: "
                        f"{format_path(e.path)} {e.problem}"
                    )
                    raise MapperDeserialisationError(msg) from None
        return domain_event
