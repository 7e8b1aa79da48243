"""The JSON Schema (draft 2020-12) of one event type, built from its class's type hints.

It describes exactly what :class:`~ledger.transcoder.TypedMapper` writes: the event's state
less ``originator_id`` and ``originator_version`` (they travel in headers), so ``timestamp``,
``actor``, ``command_id``, ``originator_topic`` on created events, every declared field, and
``class_version`` from version 2 on. Each declared type has one plain-JSON form:

=========================  ==========================================================
``str`` / ``bool``          string / boolean
``int`` / ``float``         integer (bounded by ``INTEGER_RANGES``) / number
``UUID``                    string, ``format: uuid``
``datetime`` / ``date``     string, ``format: date-time`` (with offset) / ``format: date``
``Decimal``                 string matching :data:`DECIMAL_PATTERN` (every digit kept)
``Enum``                    ``enum`` of its values, each explained in the description
``tuple[X, ...]``, lists    array of X (sets: ``uniqueItems``)
``dict[K, V]``              object of V (names constrained as K)
``X | None``                X or null
dataclass                   ``$ref`` to ``$defs/<Class>``: an object of all its fields
=========================  ==========================================================

A field whose type has no plain form (TypedMapper would tag it), or that the glossary does
not describe, is a :class:`~ledger.schemas.SchemaError`: nothing vague is published.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Union
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.domain import AGGREGATES
from ledger.schemas import _glossary as g
from ledger.schemas._catalogue import EventType, SchemaError
from ledger.transcoder._plan import typed_fields

__all__ = ["BASE_URI", "DECIMAL_PATTERN", "DIALECT", "build_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://koers.invalid/schemas/"
#: ``str(Decimal)`` of a finite decimal: ``12.50``, ``-0``, ``1E+3``, ``1.5E-7``.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$"
_IN_HEADERS = frozenset({"originator_id", "originator_version", "class_version"})
_SIMPLE: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
    UUID: {"type": "string", "format": "uuid"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    Decimal: {"type": "string", "pattern": DECIMAL_PATTERN},
}

JSON = dict[str, Any]


class _Builder:
    """Builds one event's schema, collecting every missing description before failing."""

    def __init__(self, event: EventType) -> None:
        self.event = event
        self.defs: dict[str, JSON] = {}
        self.def_classes: dict[str, type] = {}
        self.missing: list[str] = []

    # -- fields ---------------------------------------------------------------------------

    def fields(self, owner: str, hints: dict[str, Any], names: list[str]) -> JSON:
        """``properties`` for ``names`` of a class (``owner``: event type or class name)."""
        properties: JSON = {}
        for name in names:
            enums: list[type[enum.Enum]] = []
            schema = self.type_schema(hints[name], f"{owner}.{name}", enums)
            schema = self.bounded(schema, owner, name)
            text = self.describe(owner, name, enums)
            properties[name] = {"description": text, **schema} if text else schema
        return properties

    def describe(self, owner: str, name: str, enums: list[type[enum.Enum]]) -> str:
        text = g.OVERRIDES.get(f"{owner}.{name}")
        if text is None and owner == self.event.name:
            text = g.ENVELOPE.get(name)
        text = text or g.FIELDS.get(name)
        if not text:
            self.missing.append(f"{owner}.{name}")
            return ""
        for cls in enums:
            meanings = g.ENUM_VALUES.get(cls.__name__, {})
            parts = []
            for member in cls:
                meaning = meanings.get(str(member.value))
                if not meaning:
                    self.missing.append(f"{cls.__name__}.{member.value} (ENUM_VALUES)")
                parts.append(f"{member.value!s} ({meaning})")
            text += " Values: " + "; ".join(parts) + "."
        return text

    def bounded(self, schema: JSON, owner: str, name: str) -> JSON:
        bounds = g.INTEGER_RANGES.get(f"{owner}.{name}") or g.INTEGER_RANGES.get(name)
        if bounds is None:
            return schema
        if schema.get("type") not in ("integer", ["integer", "null"]):
            msg = f"INTEGER_RANGES bounds {owner}.{name}, which is not a whole number"
            raise SchemaError(msg)
        low, high = bounds
        return {**schema, "minimum": low} | ({} if high is None else {"maximum": high})

    # -- types ----------------------------------------------------------------------------

    def type_schema(self, tp: Any, where: str, enums: list[type[enum.Enum]]) -> JSON:
        simple = _SIMPLE.get(tp) if _hashable(tp) else None
        if simple is not None:
            return dict(simple)
        if hasattr(tp, "__supertype__"):  # typing.NewType
            return self.type_schema(tp.__supertype__, where, enums)
        origin = typing.get_origin(tp)
        if origin is not None:
            return self.generic(origin, typing.get_args(tp), where, enums)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            enums.append(tp)
            values = [m.value for m in tp]
            kind = "string" if all(type(v) is str for v in values) else "integer"
            return {"type": kind, "enum": values}
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return {"$ref": f"#/$defs/{self.define(tp)}"}
        raise _tagged(where, tp)

    def generic(
        self, origin: Any, args: tuple[Any, ...], where: str, enums: list[type[enum.Enum]]
    ) -> JSON:
        if origin is Union or origin is types.UnionType:
            return self.optional(args, where, enums)
        if origin is Literal:
            return {"enum": list(args)}
        if origin in (tuple, list, set, frozenset):
            return self.array(origin, args, where, enums)
        if origin is dict:
            names = self.type_schema(args[0], where, enums)
            names.pop("type", None)
            values = self.type_schema(args[1], where, enums)
            return {"type": "object", "propertyNames": names, "additionalProperties": values}
        raise _tagged(where, origin)

    def optional(self, args: tuple[Any, ...], where: str, enums: list[type[enum.Enum]]) -> JSON:
        others = [a for a in args if a is not type(None)]
        if len(others) != 1 or len(args) != 2:
            raise SchemaError(f"{where}: only 'X | None' unions have a plain JSON form")
        inner = self.type_schema(others[0], where, enums)
        if isinstance(inner.get("type"), str):
            nullable = {**inner, "type": [inner["type"], "null"]}
            if "enum" in nullable:
                nullable["enum"] = [*nullable["enum"], None]
            return nullable
        return {"anyOf": [inner, {"type": "null"}]}

    def array(
        self, origin: Any, args: tuple[Any, ...], where: str, enums: list[type[enum.Enum]]
    ) -> JSON:
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            items = [self.type_schema(a, where, enums) for a in args]
            n = len(items)
            return {"type": "array", "prefixItems": items, "items": False} | {
                "minItems": n,
                "maxItems": n,
            }
        schema: JSON = {"type": "array", "items": self.type_schema(args[0], where, enums)}
        if origin in (set, frozenset):
            schema["uniqueItems"] = True
        return schema

    def define(self, cls: type) -> str:
        """The ``$defs`` entry of a dataclass (every field required: all are written)."""
        name = cls.__name__
        known = self.def_classes.get(name)
        if known is cls:
            return name
        if known is not None:
            raise SchemaError(f"two value objects named {name} in {self.event.name}")
        self.def_classes[name] = cls
        self.defs[name] = {}  # reserved: a dataclass may refer to itself
        names = [f.name for f in dataclasses.fields(cls)]
        description = g.DATACLASSES.get(name)
        if not description:
            self.missing.append(f"{name} (DATACLASSES)")
        self.defs[name] = {
            "description": description or "",
            "type": "object",
            "properties": self.fields(name, typing.get_type_hints(cls), names),
            "required": names,
            "additionalProperties": False,
        }
        return name


def _tagged(where: str, tp: Any) -> SchemaError:
    return SchemaError(
        f"{where} is declared {tp!r}, which TypedMapper writes with type tags, not as plain "
        f"JSON: declare it with a plain type (see ledger.transcoder)"
    )


def _hashable(tp: Any) -> bool:
    try:
        hash(tp)
    except TypeError:
        return False
    return True


def payload_fields(event: EventType) -> tuple[dict[str, Any], list[str]]:
    """The event's resolved type hints and the names of the fields its payload holds."""
    hints = typing.get_type_hints(event.cls)
    names = [
        n
        for n, tp in hints.items()
        if n not in _IN_HEADERS and typing.get_origin(tp) is not ClassVar
    ]
    plain = {n for n, _ in typed_fields(event.cls)}
    tagged = [n for n in names if n not in plain]
    if tagged:
        msg = (
            f"{event.topic}: TypedMapper writes {tagged} with type tags, not as plain JSON; "
            f"declare {'them' if len(tagged) > 1 else 'it'} with a plain type"
        )
        raise SchemaError(msg)
    return hints, names


def build_schema(event: EventType) -> JSON:
    """The schema of the current version of ``event`` (see the module docstring)."""
    builder = _Builder(event)
    hints, names = payload_fields(event)
    properties = builder.fields(event.name, hints, names)
    if "originator_topic" in properties:
        aggregate = AGGREGATES[event.name.partition(".")[0]]
        properties["originator_topic"]["examples"] = [get_topic(aggregate)]
    required = list(names)
    if event.version > 1:
        properties["class_version"] = {
            "description": g.ENVELOPE["class_version"],
            "const": event.version,
        }
        required.append("class_version")
    summary = g.EVENTS.get(event.name)
    if not summary:
        builder.missing.append(f"{event.name} (EVENTS)")
    if builder.missing:
        msg = (
            f"{event.topic}: no description for {', '.join(builder.missing)}; "
            f"explain {'them' if len(builder.missing) > 1 else 'it'} in "
            f"ledger/schemas/_glossary.py"
        )
        raise SchemaError(msg)
    schema: JSON = {
        "$schema": DIALECT,
        "$id": BASE_URI + event.file_name,
        "title": f"{event.name}, version {event.version}",
        "description": (
            f"{summary} Payload of the messages with headers Koers-Type: {event.name} and "
            f"Koers-Schema: {event.version}; the aggregate's id and version are in the "
            f"Koers-Originator-Id and Koers-Version headers."
        ),
        "$comment": (
            f"Generated from {event.topic} by 'python -m ledger.schemas write'. "
            f"A published version never changes: a new shape is a new version."
        ),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema
