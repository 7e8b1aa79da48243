"""Which codec a declared type gets (:func:`codec_for`), and the typed fields of an event class
(:func:`typed_fields`). ``None`` means the type is not understood: the value is left to the
tagged fallback of :class:`~ledger.transcoder.OrjsonTranscoder`."""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Union
from uuid import UUID

from ledger.transcoder._codecs import (
    Codec,
    DateCodec,
    DatetimeCodec,
    DecimalCodec,
    EnumCodec,
    ExactCodec,
    FloatCodec,
    IntCodec,
    LiteralCodec,
    ParsedCodec,
)
from ledger.transcoder._compound import (
    ArrayCodec,
    DataclassCodec,
    FixedTupleCodec,
    ObjectCodec,
    OptionalCodec,
)

__all__ = ["codec_for", "typed_fields"]

_STR, _BOOL, _NONE = ExactCodec(str), ExactCodec(bool), ExactCodec(type(None))
_SCALARS: dict[Any, Codec] = {
    str: _STR,
    bool: _BOOL,
    type(None): _NONE,
    None: _NONE,
    int: IntCodec(),
    float: FloatCodec(),
    UUID: ParsedCodec(UUID, UUID),
    datetime: DatetimeCodec(),
    date: DateCodec(),
    Decimal: DecimalCodec(),
}
_STRING_KEYS = (str, UUID, date)
_NOT_STATE = frozenset({"originator_id", "originator_version", "class_version"})


def codec_for(tp: Any, building: dict[type, DataclassCodec]) -> Codec | None:
    """The codec for declared type ``tp``, or ``None`` if it must use the tagged fallback."""
    try:
        scalar = _SCALARS.get(tp)
    except TypeError:  # unhashable annotation
        return None
    if scalar is not None:
        return scalar
    if hasattr(tp, "__supertype__"):  # typing.NewType
        return codec_for(tp.__supertype__, building)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is not None:
        return _generic_codec(origin, args, building)
    return _class_codec(tp, building) if isinstance(tp, type) else None


def _class_codec(cls: type, building: dict[type, DataclassCodec]) -> Codec | None:
    if issubclass(cls, enum.Enum):
        plain = all(type(m.value) in (str, int) for m in cls)
        return EnumCodec(cls) if plain and len(cls) else None
    if dataclasses.is_dataclass(cls):
        return _dataclass_codec(cls, building)
    return None


def _generic_codec(
    origin: Any, args: tuple[Any, ...], building: dict[type, DataclassCodec]
) -> Codec | None:
    """Codec for ``origin[args]``; one part the fallback makes the whole type the fallback (so
    a half-built dataclass codec left in ``building`` after a failure is never used)."""
    if origin is Union or origin is types.UnionType:
        others = [a for a in args if a is not type(None)]
        inner = codec_for(others[0], building) if len(others) == 1 < len(args) else None
        return OptionalCodec(inner) if inner else None
    if origin is Literal:
        ok = all(type(a) in (str, int, bool) for a in args)
        return LiteralCodec(args) if ok else None
    parts = [codec_for(a, building) for a in args if a is not Ellipsis]
    if not parts or None in parts:
        return None
    return _container_codec(origin, args, typing.cast(list[Codec], parts))


def _container_codec(origin: Any, args: tuple[Any, ...], codecs: list[Codec]) -> Codec | None:
    if origin is tuple:
        if args[-1] is Ellipsis:
            return ArrayCodec(tuple, codecs[0])
        return FixedTupleCodec(tuple(codecs))
    if origin in (list, set, frozenset) and len(codecs) == 1:
        return ArrayCodec(origin, codecs[0])
    if origin is dict and len(codecs) == 2:
        key_type = args[0]
        str_enum = isinstance(codecs[0], EnumCodec) and all(type(m.value) is str for m in key_type)
        return ObjectCodec(codecs[0], codecs[1]) if key_type in _STRING_KEYS or str_enum else None
    return None


def _dataclass_codec(cls: type, building: dict[type, DataclassCodec]) -> Codec | None:
    if cls in building:
        return building[cls]
    codec = building[cls] = DataclassCodec(cls)
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        inner = codec_for(hints.get(field.name, Any), building)
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


@functools.cache
def typed_fields(event_class: type) -> tuple[tuple[str, Codec], ...]:
    """The typed fields of ``event_class``: (name, codec) for each declared, understood field."""
    plan = []
    for name, tp in _hints(event_class).items():
        if name in _NOT_STATE or typing.get_origin(tp) is ClassVar:
            continue
        codec = codec_for(tp, {})
        if codec is not None:
            plan.append((name, codec))
    return tuple(plan)
