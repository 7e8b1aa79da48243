"""The tagged encoding's vocabulary: reserved envelope names, orjson's exact integer range, and
the ``Transcoding`` objects :class:`~ledger.transcoder.OrjsonTranscoder` registers by default
(plus :class:`EnumAsValue`, registered by the application)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import DecimalAsStr, Transcoding
from eventsourcing.utils import get_topic

from ledger.transcoder._errors import non_finite

__all__ = [
    "BIG_INT",
    "ESCAPED_DICT",
    "INT_MAX",
    "INT_MIN",
    "KEYED_DICT",
    "RESERVED_NAMES",
    "BigIntAsStr",
    "DateAsISO",
    "EnumAsValue",
    "FiniteDecimalAsStr",
    "FrozensetAsList",
    "SetAsList",
    "SortedList",
    "TupleAsList",
]

INT_MIN = -(2**63)  # orjson writes and reads integers in [-2**63, 2**64 - 1] exactly
INT_MAX = 2**64 - 1
ESCAPED_DICT = "dict"  # envelope name for a plain dict that looks like an envelope
BIG_INT = "int_str"  # envelope name for an integer outside orjson's range
KEYED_DICT = "dict_items"  # envelope name for a dict with non-str keys: a list of [key, value]
RESERVED_NAMES = frozenset({ESCAPED_DICT, BIG_INT, KEYED_DICT})


class FiniteDecimalAsStr(DecimalAsStr):
    """The library's ``decimal_str``, refusing NaN and Infinity."""

    def encode(self, obj: Decimal) -> str:
        if not obj.is_finite():
            raise non_finite(obj)
        return str(obj)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _AsList(Transcoding):
    """A collection written as a JSON list, read back as its own ``type``."""

    def encode(self, obj: Any) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> Any:
        return self.type(data)


class TupleAsList(_AsList):
    type = tuple
    name = "tuple_as_list"


class SortedList(Transcoding):
    """Marker: the walk sorts the encoded list by each element's JSON bytes."""


class FrozensetAsList(_AsList, SortedList):
    type = frozenset
    name = "frozenset_as_list"


class SetAsList(_AsList, SortedList):
    type = set
    name = "set_as_list"


class BigIntAsStr(Transcoding):
    type = int
    name = BIG_INT

    def encode(self, obj: int) -> str:
        return str(obj)

    def decode(self, data: str) -> int:
        return int(data)


class EnumAsValue(Transcoding):
    """Tagged transcoding for one ``Enum`` class: ``{"_type_": name, "_data_": member.value}``.

    ``name`` defaults to the class's topic (``module:Qualname``); pass a fixed name if the class
    may move. Only needed for enums in fields the :class:`~ledger.transcoder.TypedMapper` cannot
    type (and snapshots).
    """

    def __init__(self, enum_class: type[enum.Enum], name: str | None = None) -> None:
        self.type = enum_class
        self.name = name or get_topic(enum_class)

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        member: enum.Enum = self.type(data)
        return member
