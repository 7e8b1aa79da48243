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

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import reprlib
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, NoReturn, Union
from uuid import UUID

import orjson
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
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from ledger.errors import ConfigurationError, EncodingError

__all__ = [
    "EnumAsValue",
    "OrjsonTranscoder",
    "TypedMapper",
    "UnregisteredTypeError",
]

_INT_MIN = -(2**63)  # orjson writes and reads integers in [-2**63, 2**64 - 1] exactly
_INT_MAX = 2**64 - 1
_ESCAPED_DICT = "dict"  # envelope name for a plain dict that looks like an envelope
_BIG_INT = "int_str"  # envelope name for an integer outside orjson's range
_RESERVED_NAMES = frozenset({_ESCAPED_DICT, _BIG_INT})
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60

_Path = list[str | int]


# ---------------------------------------------------------------------------------------------
# Errors: internal exceptions carry the path (leaf first) up to the public entry point.


class UnregisteredTypeError(TranscodingNotRegisteredError, EncodingError):
    """No transcoding is registered for a value's type (a ``TypeError`` and an ``EncodingError``).

    ``str(e)`` is the library's sentence (code matching it keeps working); ``where`` says where
    the value was, e.g. ``'budget.lines[2]' in event x:Goal.Set`` (also an exception note).
    """

    def __init__(self, cls: type, where: str) -> None:
        self.cls = cls
        self.where = where
        super().__init__(
            f"Object of type {cls} is not serializable. Please define and register "
            "a custom transcoding for this type."
        )
        self.add_note(f"Found at {where}.")


class _Unwritable(Exception):
    """Raised while walking a value to encode; ``path`` grows (leaf first) as it unwinds."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.path: _Path = []

    def error(self, subject: str) -> EncodingError:
        """The public error, naming ``subject`` (e.g. ``event x:Goal.Set``) and the path."""
        return EncodingError(
            f"cannot encode {subject} as JSON: {_where(self.path)} {self.problem}. {self.fix}"
        )


class _Unregistered(_Unwritable):
    def __init__(self, cls: type) -> None:
        super().__init__("has an unregistered type", "")
        self.cls = cls

    def error(self, subject: str) -> EncodingError:
        where = f"{_where(self.path)} in {subject}" if self.path else subject
        return UnregisteredTypeError(self.cls, where)


class _Unreadable(Exception):
    """Raised while converting stored JSON to a declared type; ``path`` as in _Unwritable."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: _Path = []


def _where(path: _Path) -> str:
    """``path`` (leaf first) as ``'a.b[2]["x y"]'``, or ``the value`` for the top level."""
    parts: list[str] = []
    for seg in reversed(path):
        if isinstance(seg, int):
            parts.append(f"[{seg}]")
        elif seg.isidentifier():
            parts.append(f".{seg}" if parts else seg)
        else:
            parts.append(f"[{json.dumps(seg, ensure_ascii=False)}]")
    return f"'{''.join(parts)}'" if parts else "the value"


def _non_finite(value: object) -> _Unwritable:
    return _Unwritable(
        f"is {_SHORT.repr(value)}, and JSON has no NaN or Infinity",
        "Check the calculation that produced it; store None (null) for a missing number.",
    )


# ---------------------------------------------------------------------------------------------
# Layer 1: the general-purpose transcoder.


class _FiniteDecimalAsStr(DecimalAsStr):
    """The library's ``decimal_str``, refusing NaN and Infinity."""

    def encode(self, obj: Decimal) -> str:
        if not obj.is_finite():
            raise _non_finite(obj)
        return str(obj)


class _DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _TupleAsList(Transcoding):
    type = tuple
    name = "tuple_as_list"

    def encode(self, obj: tuple[Any, ...]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, ...]:
        return tuple(data)


class _SortedList(Transcoding):
    """Marker: the walk sorts the encoded list by each element's JSON bytes."""


class _FrozensetAsList(_SortedList):
    type = frozenset
    name = "frozenset_as_list"

    def encode(self, obj: frozenset[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> frozenset[Any]:
        return frozenset(data)


class _SetAsList(_SortedList):
    type = set
    name = "set_as_list"

    def encode(self, obj: set[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


class _BigIntAsStr(Transcoding):
    type = int
    name = _BIG_INT

    def encode(self, obj: int) -> str:
        return str(obj)

    def decode(self, data: str) -> int:
        return int(data)


class EnumAsValue(Transcoding):
    """Tagged transcoding for one ``Enum`` class: ``{"_type_": name, "_data_": member.value}``.

    ``name`` defaults to the class's topic (``module:Qualname``); pass a fixed name if the class
    may move. Only needed for enums in fields the :class:`TypedMapper` cannot type (and snapshots).
    """

    def __init__(self, enum_class: type[enum.Enum], name: str | None = None) -> None:
        self.type = enum_class
        self.name = name or get_topic(enum_class)

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        member: enum.Enum = self.type(data)
        return member


class OrjsonTranscoder(Transcoder):
    """Tagged JSON via orjson: canonical (same value, same bytes), NaN-safe, lossless.

    Invariants: ``decode(encode(x)) == x`` (same types too) for every value built from
    str/int/float/bool/None, dict with str keys, list, and registered types (tuples, sets,
    frozensets, UUID, Decimal, datetime and date are registered by default); ``encode`` either
    returns bytes or raises ``EncodingError`` (``UnregisteredTypeError`` for unknown types).
    """

    def __init__(self) -> None:
        self.types: dict[type, Transcoding] = {}
        self.names: dict[str, Transcoding] = {_BIG_INT: _BigIntAsStr()}
        for transcoding in (
            UUIDAsHex(),
            _FiniteDecimalAsStr(),
            DatetimeAsISO(),
            _DateAsISO(),
            _TupleAsList(),
            _FrozensetAsList(),
            _SetAsList(),
        ):
            self.register(transcoding)

    def register(self, transcoding: Transcoding) -> None:
        """Registers ``transcoding`` for exactly ``transcoding.type`` (not its subclasses)."""
        if transcoding.name in _RESERVED_NAMES:
            msg = f"the transcoding name {transcoding.name!r} is reserved; choose another"
            raise ValueError(msg)
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding

    def encode(self, obj: Any) -> bytes:
        """Canonical UTF-8 JSON for ``obj``; raises ``EncodingError`` naming the bad path."""
        return self.encode_as(obj, "the value")

    def encode_as(self, obj: Any, subject: str) -> bytes:
        """As :meth:`encode`; error messages call the value ``subject`` (``event x:Goal.Set``)."""
        try:
            tree = self._walk(obj)
        except _Unwritable as e:
            raise e.error(subject) from None
        except RecursionError:
            msg = (
                f"cannot encode {subject} as JSON: it is nested too deeply or contains itself. "
                "Break the cycle, or flatten the structure."
            )
            raise EncodingError(msg) from None
        try:
            return orjson.dumps(tree)
        except orjson.JSONEncodeError as e:  # lone surrogates, or nesting beyond orjson's 254
            where = _where(_find_bad_str(tree) or [])
            msg = f"cannot encode {subject} as JSON: {where} cannot be written ({e})."
            raise EncodingError(msg) from e

    def decode(self, data: bytes) -> Any:
        """The value :meth:`encode` was given (or what ``JSONTranscoder`` wrote)."""
        raw = data if isinstance(data, bytes) else bytes(data)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            try:  # the library's JSONTranscoder writes NaN and Infinity as bare tokens
                obj = json.loads(raw)
            except ValueError:
                raise e from None
        if b"_type_" in raw or b"\\u" in raw:
            return self._revive(obj)
        return obj

    # -- encoding walk --------------------------------------------------------------------

    def _walk(self, obj: Any) -> Any:
        """Canonical JSON-native tree for ``obj`` (sorted keys, envelopes for other types)."""
        t = type(obj)
        if t is str or t is bool or obj is None:
            return obj
        if t is dict:
            return self._walk_dict(obj)
        if t is list:
            return self._walk_list(obj)
        if t is int or t is float:
            return _walk_number(obj)
        transcoding = self.types.get(t)
        if transcoding is None:
            raise _Unregistered(t)
        data = self._walk(transcoding.encode(obj))
        if isinstance(transcoding, _SortedList):
            data.sort(key=orjson.dumps)
        return {"_type_": transcoding.name, "_data_": data}

    def _walk_dict(self, obj: dict[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _sorted_keys(obj):
            try:
                out[key] = self._walk(obj[key])
            except _Unwritable as e:
                e.path.append(key)
                raise
        if len(out) == 2 and "_type_" in out and "_data_" in out:
            return {"_type_": _ESCAPED_DICT, "_data_": out}
        return out

    def _walk_list(self, obj: list[Any]) -> list[Any]:
        out = []
        for i, item in enumerate(obj):
            try:
                out.append(self._walk(item))
            except _Unwritable as e:
                e.path.append(i)
                raise
        return out

    # -- decoding walk --------------------------------------------------------------------

    def _revive(self, obj: Any) -> Any:
        """Replaces envelopes, bottom-up, in the freshly parsed ``obj`` (mutated in place)."""
        if type(obj) is dict:
            if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
                return self._revive_envelope(obj["_type_"], obj["_data_"])
            for key, value in obj.items():
                if type(value) is dict or type(value) is list:
                    obj[key] = self._revive(value)
        elif type(obj) is list:
            for i, value in enumerate(obj):
                if type(value) is dict or type(value) is list:
                    obj[i] = self._revive(value)
        return obj

    def _revive_envelope(self, name: Any, data: Any) -> Any:
        if name == _ESCAPED_DICT and type(data) is dict:
            for key, value in data.items():
                data[key] = self._revive(value)
            return data
        transcoding = self.names.get(name) if type(name) is str else None
        if transcoding is None:
            msg = (
                f"Data serialized with name '{name}' is not deserializable. "
                "Please register a custom transcoding for this type."
            )
            raise TranscodingNotRegisteredError(msg)
        return transcoding.decode(self._revive(data))


def _walk_number(obj: float) -> Any:
    """``obj`` (an exact int or float) as JSON: non-finite floats refused, big ints tagged."""
    if type(obj) is float:
        if obj - obj == 0.0:  # false exactly for NaN, inf and -inf
            return obj
        raise _non_finite(obj)
    if _INT_MIN <= obj <= _INT_MAX:
        return obj
    return {"_type_": _BIG_INT, "_data_": str(obj)}


def _sorted_keys(obj: dict[Any, Any]) -> Iterable[str]:
    """``obj``'s keys in order, all ``str``; else ``_Unwritable`` for the dict itself."""
    for key in obj:
        if type(key) is not str:
            raise _Unwritable(
                f"has the key {_SHORT.repr(key)} of type {type(key).__qualname__}, "
                "and JSON object keys are strings",
                "Convert the keys to str, or store a list of pairs.",
            )
    return sorted(obj)


def _find_bad_str(tree: Any) -> _Path | None:
    """Path (leaf first) to the first str in ``tree`` that is not valid UTF-8, if any."""
    if type(tree) is str:
        try:
            tree.encode("utf-8")
        except UnicodeEncodeError:
            return []
        return None
    items: Iterable[tuple[str | int, Any]] = ()
    if type(tree) is dict:
        items = tree.items()
    elif type(tree) is list:
        items = enumerate(tree)
    for seg, value in items:
        found = _find_bad_str(seg) if isinstance(seg, str) else None
        found = found if found is not None else _find_bad_str(value)
        if found is not None:
            return [*found, seg]
    return None


# ---------------------------------------------------------------------------------------------
# Layer 2: typed codecs. encode: Python value -> JSON-native tree, checked against the
# declaration (raises _Unwritable). decode: JSON-native (or already-typed) -> declared type
# (raises _Unreadable). decode(encode(v)) == v, with v's type, for values that encode.


class _Codec:
    label: str = "?"

    def encode(self, value: Any) -> Any:
        raise NotImplementedError

    def decode(self, data: Any) -> Any:
        raise NotImplementedError

    def mismatch(self, value: Any) -> NoReturn:
        raise _Unwritable(
            f"is declared {self.label} but holds {type(value).__qualname__} {_SHORT.repr(value)}",
            f"Pass a {self.label} there, or correct the field's type annotation.",
        )

    def unreadable(self, data: Any, why: str = "") -> NoReturn:
        raise _Unreadable(
            f"is declared {self.label} but the stored value is {_SHORT.repr(data)}"
            + (f" ({why})" if why else "")
        )


class _Exact(_Codec):
    """``str``, ``bool`` or ``None``: the value itself, of exactly that type."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.label = "None" if cls is type(None) else cls.__name__

    def encode(self, value: Any) -> Any:
        if type(value) is self.cls:
            return value
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if type(data) is self.cls:
            return data
        self.unreadable(data)


class _Int(_Codec):
    label = "int"

    def encode(self, value: Any) -> Any:
        if type(value) is int or type(value) is bool:
            return value if _INT_MIN <= value <= _INT_MAX else str(value)
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if type(data) is int or type(data) is bool:
            return data
        if type(data) is str and data.lstrip("-").isdigit() and data.isascii():
            return int(data)
        self.unreadable(data)


class _Float(_Codec):
    label = "float"

    def encode(self, value: Any) -> Any:
        if type(value) is float:
            if value - value == 0.0:
                return value
            raise _non_finite(value)
        if type(value) is int and _INT_MIN <= value <= _INT_MAX:
            return value
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if type(data) is float or type(data) is int:
            return data
        self.unreadable(data)


class _Parsed(_Codec):
    """UUID, datetime, date, Decimal: written as a string, parsed back with ``parse``."""

    def __init__(self, cls: type, parse: Callable[[str], Any]) -> None:
        self.cls = cls
        self.parse = parse
        self.label = cls.__name__

    def encode(self, value: Any) -> Any:
        if isinstance(value, self.cls):
            return str(value)
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if isinstance(data, self.cls):
            return data
        if type(data) is str:
            try:
                return self.parse(data)
            except (ValueError, InvalidOperation) as e:
                self.unreadable(data, str(e) or type(e).__name__)
        self.unreadable(data)


class _Datetime(_Parsed):
    def __init__(self) -> None:
        super().__init__(datetime, datetime.fromisoformat)

    def encode(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            self.mismatch(value)
        if value.utcoffset() is None:
            raise _Unwritable(
                f"is a naive datetime ({value.isoformat()}), which names no instant",
                "Make it timezone-aware, e.g. datetime.now(timezone.utc).",
            )
        return value.isoformat()

    def decode(self, data: Any) -> Any:
        value = super().decode(data)
        if value.utcoffset() is None:
            self.unreadable(data, "no UTC offset")
        return value


class _Date(_Parsed):
    def __init__(self) -> None:
        super().__init__(date, date.fromisoformat)

    def encode(self, value: Any) -> Any:
        if isinstance(value, datetime):  # a datetime is a date, but would not read back as one
            self.mismatch(value)
        return super().encode(value)

    def decode(self, data: Any) -> Any:
        if isinstance(data, datetime):
            self.unreadable(data)
        return super().decode(data)


class _Decimal(_Parsed):
    def __init__(self) -> None:
        super().__init__(Decimal, Decimal)

    def encode(self, value: Any) -> Any:
        if isinstance(value, Decimal) and not value.is_finite():
            raise _non_finite(value)
        return super().encode(value)

    def decode(self, data: Any) -> Any:
        value = super().decode(data)
        if not value.is_finite():
            self.unreadable(data, "not a finite number")
        return value


class _Enum(_Codec):
    def __init__(self, cls: type[enum.Enum]) -> None:
        self.cls = cls
        self.label = cls.__qualname__

    def encode(self, value: Any) -> Any:
        if isinstance(value, self.cls):
            return value.value
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        try:
            return self.cls(data)
        except (ValueError, TypeError):
            self.unreadable(data)


class _Literal(_Codec):
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.label = f"Literal{list(values)}"

    def _check(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def encode(self, value: Any) -> Any:
        if self._check(value):
            return value
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if self._check(data):
            return data
        self.unreadable(data)


class _Optional(_Codec):
    def __init__(self, inner: _Codec) -> None:
        self.inner = inner
        self.label = f"{inner.label} | None"

    def encode(self, value: Any) -> Any:
        return None if value is None else self.inner.encode(value)

    def decode(self, data: Any) -> Any:
        return None if data is None else self.inner.decode(data)


def _each(codec: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """``[codec(x) for x in items]``, adding the index to the path of any error."""
    out = []
    for i, item in enumerate(items):
        try:
            out.append(codec(item))
        except (_Unwritable, _Unreadable) as e:
            e.path.append(i)
            raise
    return out


class _Array(_Codec):
    """``list[X]``, ``tuple[X, ...]``, ``set[X]``, ``frozenset[X]``: a JSON array."""

    def __init__(self, cls: type[Any], inner: _Codec) -> None:
        self.cls = cls
        self.inner = inner
        self.label = f"{cls.__name__}[{inner.label}{', ...' if cls is tuple else ''}]"
        self.is_set = cls is set or cls is frozenset

    def encode(self, value: Any) -> Any:
        if type(value) is not self.cls:
            self.mismatch(value)
        out = _each(self.inner.encode, value)
        if self.is_set:
            out.sort(key=orjson.dumps)
        return out

    def decode(self, data: Any) -> Any:
        if type(data) is self.cls:
            data = list(data)  # already typed (e.g. put there by an upcaster): check elements
        elif type(data) is not list:
            self.unreadable(data)
        return self.cls(_each(self.inner.decode, data))


class _FixedTuple(_Codec):
    def __init__(self, inners: tuple[_Codec, ...]) -> None:
        self.inners = inners
        self.label = f"tuple[{', '.join(c.label for c in inners)}]"

    def encode(self, value: Any) -> Any:
        if type(value) is not tuple or len(value) != len(self.inners):
            self.mismatch(value)
        return _each(lambda pair: pair[0].encode(pair[1]), zip(self.inners, value, strict=True))

    def decode(self, data: Any) -> Any:
        if type(data) not in (list, tuple) or len(data) != len(self.inners):
            self.unreadable(data)
        pairs = zip(self.inners, data, strict=True)
        return tuple(_each(lambda pair: pair[0].decode(pair[1]), pairs))


class _Object(_Codec):
    """``dict[K, V]`` with keys written as strings (K: str, UUID, date or a str enum)."""

    def __init__(self, key: _Codec, value: _Codec) -> None:
        self.key = key
        self.value = value
        self.label = f"dict[{key.label}, {value.label}]"

    def encode(self, value: Any) -> Any:
        if type(value) is not dict:
            self.mismatch(value)
        out = {}
        for k, v in value.items():
            try:
                out[self.key.encode(k)] = self.value.encode(v)
            except _Unwritable as e:
                e.path.append(str(k))
                raise
        return out

    def decode(self, data: Any) -> Any:
        if type(data) is not dict:
            self.unreadable(data)
        out = {}
        for k, v in data.items():
            try:
                out[self.key.decode(k)] = self.value.decode(v)
            except _Unreadable as e:
                e.path.append(str(k))
                raise
        return out


class _Dataclass(_Codec):
    """A dataclass of exactly ``cls``: an object of its fields. ``fields`` is filled after
    construction so that a dataclass may refer to itself."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.label = cls.__qualname__
        self.fields: list[tuple[str, _Codec]] = []
        self.names: set[str] = set()
        self.defaults: dict[str, Callable[[], Any]] = {}

    def encode(self, value: Any) -> Any:
        if type(value) is not self.cls:
            self.mismatch(value)
        out = {}
        for name, codec in self.fields:
            try:
                out[name] = codec.encode(getattr(value, name))
            except _Unwritable as e:
                e.path.append(name)
                raise
        return out

    def decode(self, data: Any) -> Any:
        if type(data) is self.cls:
            return data
        if type(data) is not dict or not self.names.issuperset(data):
            self.unreadable(data, "not an object of its fields")
        obj: Any = object.__new__(self.cls)
        for name, codec in self.fields:
            try:
                value = codec.decode(data[name]) if name in data else self.defaults[name]()
            except _Unreadable as e:
                e.path.append(name)
                raise
            except KeyError:
                self.unreadable(data, f"no {name!r}")
            object.__setattr__(obj, name, value)
        return obj


_STR, _BOOL, _NONE = _Exact(str), _Exact(bool), _Exact(type(None))
_SCALARS: dict[Any, _Codec] = {
    str: _STR,
    bool: _BOOL,
    type(None): _NONE,
    None: _NONE,
    int: _Int(),
    float: _Float(),
    UUID: _Parsed(UUID, UUID),
    datetime: _Datetime(),
    date: _Date(),
    Decimal: _Decimal(),
}
_STRING_KEYS = (str, UUID, date)


def _codec(tp: Any, building: dict[type, _Dataclass]) -> _Codec | None:
    """The codec for declared type ``tp``, or ``None`` if it must use the tagged fallback."""
    try:
        scalar = _SCALARS.get(tp)
    except TypeError:  # unhashable annotation
        return None
    if scalar is not None:
        return scalar
    if hasattr(tp, "__supertype__"):  # typing.NewType
        return _codec(tp.__supertype__, building)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is not None:
        return _generic_codec(origin, args, building)
    return _class_codec(tp, building) if isinstance(tp, type) else None


def _class_codec(cls: type, building: dict[type, _Dataclass]) -> _Codec | None:
    if issubclass(cls, enum.Enum):
        plain = all(type(m.value) in (str, int) for m in cls)
        return _Enum(cls) if plain and len(cls) else None
    if dataclasses.is_dataclass(cls):
        return _dataclass_codec(cls, building)
    return None


def _generic_codec(
    origin: Any, args: tuple[Any, ...], building: dict[type, _Dataclass]
) -> _Codec | None:
    """Codec for ``origin[args]``; one part the fallback makes the whole type the fallback (so
    a half-built dataclass codec left in ``building`` after a failure is never used)."""
    if origin is Union or origin is types.UnionType:
        others = [a for a in args if a is not type(None)]
        inner = _codec(others[0], building) if len(others) == 1 < len(args) else None
        return _Optional(inner) if inner else None
    if origin is Literal:
        ok = all(type(a) in (str, int, bool) for a in args)
        return _Literal(args) if ok else None
    parts = [_codec(a, building) for a in args if a is not Ellipsis]
    if not parts or None in parts:
        return None
    return _container_codec(origin, args, typing.cast(list[_Codec], parts))


def _container_codec(origin: Any, args: tuple[Any, ...], codecs: list[_Codec]) -> _Codec | None:
    if origin is tuple:
        return _Array(tuple, codecs[0]) if args[-1] is Ellipsis else _FixedTuple(tuple(codecs))
    if origin in (list, set, frozenset) and len(codecs) == 1:
        return _Array(origin, codecs[0])
    if origin is dict and len(codecs) == 2:
        key_type = args[0]
        str_enum = isinstance(codecs[0], _Enum) and all(type(m.value) is str for m in key_type)
        return _Object(codecs[0], codecs[1]) if key_type in _STRING_KEYS or str_enum else None
    return None


def _dataclass_codec(cls: type, building: dict[type, _Dataclass]) -> _Codec | None:
    if cls in building:
        return building[cls]
    codec = building[cls] = _Dataclass(cls)
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        inner = _codec(hints.get(field.name, Any), building)
        if inner is None:
            return None
        codec.fields.append((field.name, inner))
        codec.names.add(field.name)
        if field.default is not dataclasses.MISSING:
            codec.defaults[field.name] = functools.partial(_same, field.default)
        elif field.default_factory is not dataclasses.MISSING:
            codec.defaults[field.name] = field.default_factory
    return codec


def _same(value: Any) -> Any:
    return value


def _hints(cls: type) -> dict[str, Any]:
    """``cls``'s resolved type hints, or ``{}`` if any cannot be resolved."""
    try:
        return typing.get_type_hints(cls)
    except Exception:  # NameError for a forward reference, and friends: fall back to tags
        return {}


_NOT_STATE = frozenset({"originator_id", "originator_version", "class_version"})


@functools.cache
def _plan(event_class: type) -> tuple[tuple[str, _Codec], ...]:
    """The typed fields of ``event_class``: (name, codec) for each declared, understood field."""
    plan = []
    for name, tp in _hints(event_class).items():
        if name in _NOT_STATE or typing.get_origin(tp) is ClassVar:
            continue
        codec = _codec(tp, {})
        if codec is not None:
            plan.append((name, codec))
    return tuple(plan)


# ---------------------------------------------------------------------------------------------
# The mapper.


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
        for name, codec in _plan(cls):
            if name in state:
                try:
                    state[name] = codec.encode(state[name])
                except _Unwritable as e:
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
        for name, codec in _plan(type(domain_event)):
            if name in state:
                try:
                    state[name] = codec.decode(state[name])
                except _Unreadable as e:
                    e.path.append(name)
                    msg = (
                        f"Failed to deserialise state of stored event with topic "
                        f"'{stored_event.topic}', originator_id '{stored_event.originator_id}' "
                        f"and originator_version {stored_event.originator_version}: "
                        f"{_where(e.path)} {e.problem}"
                    )
                    raise MapperDeserialisationError(msg) from None
        return domain_event
