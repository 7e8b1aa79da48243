"""Typed codecs for single values (layer 2 of the package): the :class:`Codec` base and the
codecs for ``str``, ``bool``, ``None``, ``int``, ``float``, ``UUID``, ``datetime``, ``date``,
``Decimal``, enums and ``Literal[...]``.

``encode``: Python value -> JSON-native tree, checked against the declaration (raises
``Unwritable``). ``decode``: JSON-native (or already-typed) -> declared type (raises
``Unreadable``). ``decode(encode(v)) == v``, with ``v``'s type, for values that encode.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from ledger.transcoder._errors import SHORT, Unreadable, Unwritable, non_finite
from ledger.transcoder._transcodings import INT_MAX, INT_MIN

__all__ = [
    "Codec",
    "DateCodec",
    "DatetimeCodec",
    "DecimalCodec",
    "EnumCodec",
    "ExactCodec",
    "FloatCodec",
    "IntCodec",
    "LiteralCodec",
    "ParsedCodec",
]


class Codec:
    label: str = "?"

    def encode(self, value: Any) -> Any:
        raise NotImplementedError

    def decode(self, data: Any) -> Any:
        raise NotImplementedError

    def mismatch(self, value: Any) -> NoReturn:
        raise Unwritable(
            f"is declared {self.label} but holds {type(value).__qualname__} {SHORT.repr(value)}",
            f"Pass a {self.label} there, or correct the field's type annotation.",
        )

    def unreadable(self, data: Any, why: str = "") -> NoReturn:
        raise Unreadable(
            f"is declared {self.label} but the stored value is {SHORT.repr(data)}"
            + (f" ({why})" if why else "")
        )


class ExactCodec(Codec):
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


class IntCodec(Codec):
    label = "int"

    def encode(self, value: Any) -> Any:
        if type(value) is int or type(value) is bool:
            return value if INT_MIN <= value <= INT_MAX else str(value)
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if type(data) is int or type(data) is bool:
            return data
        if type(data) is str and data.lstrip("-").isdigit() and data.isascii():
            return int(data)
        self.unreadable(data)


class FloatCodec(Codec):
    label = "float"

    def encode(self, value: Any) -> Any:
        if type(value) is float:
            if value - value == 0.0:
                return value
            raise non_finite(value)
        if type(value) is int and INT_MIN <= value <= INT_MAX:
            return value
        self.mismatch(value)

    def decode(self, data: Any) -> Any:
        if type(data) is float or type(data) is int:
            return data
        self.unreadable(data)


class ParsedCodec(Codec):
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


class DatetimeCodec(ParsedCodec):
    def __init__(self) -> None:
        super().__init__(datetime, datetime.fromisoformat)

    def encode(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            self.mismatch(value)
        if value.utcoffset() is None:
            raise Unwritable(
                f"is a naive datetime ({value.isoformat()}), which names no instant",
                "Make it timezone-aware, e.g. datetime.now(timezone.utc).",
            )
        return value.isoformat()

    def decode(self, data: Any) -> Any:
        value = super().decode(data)
        if value.utcoffset() is None:
            self.unreadable(data, "no UTC offset")
        return value


class DateCodec(ParsedCodec):
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


class DecimalCodec(ParsedCodec):
    def __init__(self) -> None:
        super().__init__(Decimal, Decimal)

    def encode(self, value: Any) -> Any:
        if isinstance(value, Decimal) and not value.is_finite():
            raise non_finite(value)
        return super().encode(value)

    def decode(self, data: Any) -> Any:
        value = super().decode(data)
        if not value.is_finite():
            self.unreadable(data, "not a finite number")
        return value


class EnumCodec(Codec):
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


class LiteralCodec(Codec):
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
