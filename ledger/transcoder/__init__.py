"""Koers's JSON encoding of domain events: orjson, deterministic, readable from any language.

Two layers, usable apart or together.

**1. :class:`OrjsonTranscoder`** is a general-purpose ``eventsourcing`` transcoder, a drop-in
for the library's ``JSONTranscoder`` with the same ``{"_type_": name, "_data_": ...}`` envelope
for registered :class:`~eventsourcing.persistence.Transcoding` objects. It first walks the value
into a *canonical tree* of plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``
and then hands that tree to ``orjson.dumps`` with no options. The walk is where the guarantees live:

* every type is looked up *exactly* (``type(x) is ...``), so registered transcodings always win
  over orjson's native handling of UUIDs, datetimes, dataclasses, enums and str/int/dict/list
  subclasses (orjson never sees those, so no ``OPT_PASSTHROUGH_*`` flags are needed);
  tuples, sets and frozensets are tagged (``tuple_as_list``, ``set_as_list``,
  ``frozenset_as_list``) and come back as what they were;
* object keys are sorted and set elements are sorted by their encoded bytes, so equal values
  give equal bytes, whatever the dict insertion order or ``PYTHONHASHSEED``. (``OPT_SORT_KEYS``
  is not used: it would reorder the envelope to ``_data_`` first, and the envelope keeps the
  library's ``_type_``-first layout byte for byte);
* ``NaN``, ``Infinity`` and ``-Infinity`` (floats, and non-finite ``Decimal``) raise
  :class:`~ledger.errors.EncodingError` naming the path (``budget.lines[2].amount``); orjson
  would silently write ``null``. Non-string keys are refused the same way;
* integers beyond the 64-bit range orjson handles are written as ``{"_type_": "int_str", ...}``;
* a plain dict whose keys are exactly ``_type_`` and ``_data_`` is wrapped in a ``"dict"``
  envelope, so it cannot be mistaken for an envelope when read back;
* an unregistered type raises :class:`UnregisteredTypeError` (both the library's
  ``TranscodingNotRegisteredError``, a ``TypeError``, and Koers's ``EncodingError``).

``decode`` is ``orjson.loads`` plus, only when the bytes contain ``_type_`` (or a ``\\u``
escape), a bottom-up walk that turns envelopes back into objects. It reads what the library's
``JSONTranscoder`` writes, including its ``NaN``/``Infinity`` tokens (through the standard
library, so old history stays readable), with one limit: a *bare* JSON integer beyond the 64-bit
range (``JSONTranscoder`` writes them so) reads back as a float, as orjson parses it; spotting
them first would cost more than the parse itself (measured: a regex scan 2 µs, ``loads`` 1 µs).
This module never writes one.

By default it knows UUIDs (``uuid_hex``), finite decimals (``decimal_str``), datetimes
(``datetime_iso``; naive ones stay naive, as in the library), dates (``date_iso``), tuples, sets
and frozensets. Enums need :class:`EnumAsValue`; other value objects need a
``Transcoding`` of your own.

**2. :class:`TypedMapper`** is an ``eventsourcing`` ``Mapper`` for domain events whose classes
declare their field types (the library's events are dataclasses). For every field whose declared
type it understands, it writes plain JSON with no tags, and reads it back using the same
declaration:

* ``str``, ``bool``, ``None``, ``Literal[...]`` of those and ints: the value itself;
* ``int``: a number; a decimal-digit string beyond the 64-bit range orjson reads exactly;
* ``float``: a number (an ``int`` value stays an ``int``), never NaN or Infinity;
* ``UUID``: ``"b2723fe2-c01a-40d2-875e-a3aac6a09ff5"``;
* ``datetime``: RFC 3339 with its offset, ``"2025-03-01T09:30:00+01:00"``. A naive datetime is
  refused (it names no instant). Instant and offset survive; a ``ZoneInfo`` reads back as the
  fixed offset it had (equal, same ``utcoffset()``, but not the zone);
* ``date``: ``"2025-03-31"``;
* ``Decimal``: ``"12.50"``, every digit and the exponent kept; finite only;
* ``Enum`` whose values are str or int: its value;
* ``list[X]``, ``tuple[X, ...]``, ``tuple[X, Y]``, ``set[X]``, ``frozenset[X]``: an array (sets
  sorted by their elements' encoded bytes), read back as the declared container;
* ``dict[K, V]``: an object, ``K`` being ``str``, ``UUID``, ``date`` or a str-valued enum;
* ``X | None``: ``null`` or ``X``;
* a dataclass (exactly that class, e.g. a frozen value object): an object of its fields, read
  back without calling ``__init__`` (as the library rebuilds events); a missing field takes its
  default.

Any other declared type (``Any``, ``object``, unions other than ``X | None``, classes it does not
know), and every field of a class whose hints cannot be resolved (``typing.get_type_hints``
raises, e.g. for a name only imported under ``TYPE_CHECKING``), falls back to the tagged encoding
of :class:`OrjsonTranscoder`, so every value still round-trips. A value that does not match its
declaration (a ``str`` in a ``UUID`` field, an enum member in a ``str`` field) raises
``EncodingError``: the declaration is the schema, and writing the value anyway would read back
as something else. ``str``/``int``/``float``/``bool`` fields take exactly those builtin types;
the other types accept subclasses and read back the declared class.

Decoding and upcasting: the library's ``Mapper.to_domain_event`` decodes the stored JSON, runs
``upcast_vN_vN+1`` in turn, and builds the event; :class:`TypedMapper` converts the typed fields
*after* that, against the *current* class's declarations. So an upcaster sees the dict in the
stored (older) shape with typed fields still as plain JSON (a UUID as its string, a Decimal as
its string), and may put back either plain JSON or Python values of the new declared type:
the typed readers accept both.

Enabling it in an application (either one):

* ``MAPPER_TOPIC=ledger.transcoder:TypedMapper`` in the application's environment (or with the
  application-name prefix). The mapper takes over the transcodings registered on the library's
  default ``JSONTranscoder`` by ``Application.register_transcodings``, so overriding that method
  to register e.g. ``EnumAsValue(Status)`` keeps working. ``TRANSCODER_TOPIC`` may also be set
  to ``ledger.transcoder:OrjsonTranscoder``; any other transcoder is a configuration error.
* ``TRANSCODER_TOPIC=ledger.transcoder:OrjsonTranscoder`` alone: tagged JSON, no type-directed
  fields, but deterministic, NaN-safe and lossless for tuples and subclasses.

Snapshots go through the same mapper: their ``state`` is declared ``dict[str, Any]``, so the
aggregate's attributes use the tagged encoding and their types must be registered.
"""

from ledger.transcoder._errors import UnregisteredTypeError
from ledger.transcoder._mapper import TypedMapper
from ledger.transcoder._tagged import OrjsonTranscoder
from ledger.transcoder._transcodings import EnumAsValue

__all__ = [
    "EnumAsValue",
    "OrjsonTranscoder",
    "TypedMapper",
    "UnregisteredTypeError",
]
