"""Typed codecs for values made of other values: ``X | None``, arrays (``list``, ``tuple``,
``set``, ``frozenset``), ``dict[K, V]`` and dataclasses. Each adds its index, key or field name
to the path of an error raised by an inner codec."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from ledger.transcoder._codecs import Codec
from ledger.transcoder._errors import Unreadable, Unwritable

__all__ = [
    "ArrayCodec",
    "DataclassCodec",
    "FixedTupleCodec",
    "ObjectCodec",
    "OptionalCodec",
]


class OptionalCodec(Codec):
    def __init__(self, inner: Codec) -> None:
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
        except (Unwritable, Unreadable) as e:
            e.path.append(i)
            raise
    return out


def _each_entry(
    key: Callable[[Any], Any], value: Callable[[Any], Any], entries: dict[Any, Any]
) -> dict[Any, Any]:
    """``{key(k): value(v) for k, v in entries.items()}``, adding the key to the path of any
    error."""
    out = {}
    for k, v in entries.items():
        try:
            out[key(k)] = value(v)
        except (Unwritable, Unreadable) as e:
            e.path.append(str(k))
            raise
    return out


class ArrayCodec(Codec):
    """``list[X]``, ``tuple[X, ...]``, ``set[X]``, ``frozenset[X]``: a JSON array."""

    def __init__(self, cls: type[Any], inner: Codec) -> None:
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


class FixedTupleCodec(Codec):
    def __init__(self, inners: tuple[Codec, ...]) -> None:
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


class ObjectCodec(Codec):
    """``dict[K, V]`` with keys written as strings (K: str, UUID, date or a str enum)."""

    def __init__(self, key: Codec, value: Codec) -> None:
        self.key = key
        self.value = value
        self.label = f"dict[{key.label}, {value.label}]"

    def encode(self, value: Any) -> Any:
        if type(value) is not dict:
            self.mismatch(value)
        return _each_entry(self.key.encode, self.value.encode, value)

    def decode(self, data: Any) -> Any:
        if type(data) is not dict:
            self.unreadable(data)
        return _each_entry(self.key.decode, self.value.decode, data)


class DataclassCodec(Codec):
    """A dataclass of exactly ``cls``: an object of its fields. ``fields`` is filled after
    construction so that a dataclass may refer to itself."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.label = cls.__qualname__
        self.fields: list[tuple[str, Codec]] = []
        self.names: set[str] = set()
        self.defaults: dict[str, Callable[[], Any]] = {}

    def encode(self, value: Any) -> Any:
        if type(value) is not self.cls:
            self.mismatch(value)
        out = {}
        for name, codec in self.fields:
            try:
                out[name] = codec.encode(getattr(value, name))
            except Unwritable as e:
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
            except Unreadable as e:
                e.path.append(name)
                raise
            except KeyError:
                self.unreadable(data, f"no {name!r}")
            object.__setattr__(obj, name, value)
        return obj
