"""The kinds of value a command takes, each checked in exactly one place: :meth:`Field.check`.

A :class:`Field` is declared once in a command (``ledger.domain._commands``) and from that one
declaration come the domain's check, the HTTP API's JSON Schema (:meth:`Field.schema`), and
the command line's option and its help. Every entry point hands its raw input to the same
check, so whatever one accepts the others accept, and the error names the same field:

- the command line gives text (``"7"``, ``"2026-Q4"``, ``"now"``): :meth:`Field.check` reads
  text into the field's type;
- the API gives JSON values: :meth:`Field.from_json` first insists on the JSON type the schema
  documents (an integer field refuses ``"7"``), then calls :meth:`Field.check`;
- the domain gives Python values (``Decimal``, ``date``): :meth:`Field.check` accepts those.

Bounds exist so that nothing recorded can later break a reader: numbers are finite with at
most 30 digits, times have a zone and fit the range of times, dates lie between
:data:`EARLIEST` and :data:`YEARS_AHEAD` years from today (a schedule made from a date can
always be kept), and text is valid Unicode without control characters (a name cannot fake a
second line of history).
"""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from ledger.domain import _clock
from ledger.errors import InvalidField

__all__ = [
    "AS_OF",
    "CADENCE",
    "CONFIDENCE",
    "EARLIEST",
    "LEARNINGS",
    "MEASURED",
    "NOTE",
    "NOW",
    "OWNER",
    "REASON",
    "SCORE",
    "SOLE_OWNER",
    "TEAM",
    "YEARS_AHEAD",
    "Boolean",
    "Choice",
    "Day",
    "Field",
    "Fraction",
    "Handle",
    "Handles",
    "Matching",
    "Moment",
    "Number",
    "Quarter",
    "Record",
    "Records",
    "Ref",
    "Text",
    "Texts",
    "Whole",
]

#: How far ahead a date may lie (a review date, a due date): schedules are made from them.
YEARS_AHEAD = 10
#: The earliest date or time Koers records (a leadership ledger's dates are not older).
EARLIEST = date(2000, 1, 1)
#: Marks a :class:`Moment` whose default is the moment the command runs.
NOW = "now"
_HANDLE = re.compile(r"[\w][\w.@+'-]{0,119}")
_MANY_PEOPLE = re.compile(r",|;|\s&\s|\s(and|en)\s|/")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\n\r\t\u2028\u2029\x85]")
_QUARTER = re.compile(r"(19\d\d|2\d\d\d)-Q([1-4])")
_MISSING: Any = object()


@dataclass(frozen=True, kw_only=True)
class Field(ABC):
    """One value of a command: its name, what it means, an example, and its default.

    ``default`` absent means the field is required. ``option`` renames the command-line
    option (``--objective`` for ``objective_id``); the API and the domain use ``name``.
    """

    name: str
    help: str
    example: Any = None
    default: Any = _MISSING
    option: str = ""

    #: The JSON types the API accepts for this field (before :meth:`check`).
    json_types: ClassVar[tuple[type, ...]] = (str,)
    #: How the JSON type is named in an error ("a string", "a whole number").
    json_name: ClassVar[str] = "text"
    #: How the command line's help names the value.
    metavar: ClassVar[str] = "TEXT"

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def flag(self) -> str:
        """The command-line option, e.g. ``--as-of``."""
        return "--" + (self.option or self.name).replace("_", "-")

    def fail(self, message: str) -> InvalidField:
        return InvalidField(self.name, message)

    @abstractmethod
    def check(self, value: Any) -> Any:
        """The value in the field's type, or :class:`InvalidField` naming the field."""

    def from_json(self, value: Any) -> Any:
        """An API value: the documented JSON type first, then :meth:`check`."""
        if isinstance(value, bool) or not isinstance(value, self.json_types):
            raise self.fail(f"{value!r} is not {self.json_name}")
        return self.check(value)

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def canonical(self, value: Any) -> Any:
        """The checked value as plain JSON, for fingerprints (same value → same text)."""
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, UUID | Decimal | date):
            return value.isoformat() if isinstance(value, date) else str(value)
        if isinstance(value, tuple | list):
            return [self.canonical(v) for v in value]
        return value

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the field in an API body."""
        schema = {**self._schema(), "description": self.help}
        if self.example is not None:
            schema["examples"] = [self.example]
        if not self.required and not callable(self.default) and self.default != NOW:
            schema["default"] = self.canonical(self.default)
        return schema

    @abstractmethod
    def _schema(self) -> dict[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """Text of up to ``most`` characters, trimmed; one line when ``line`` (a title, a name)."""

    most: int = 10_000
    line: bool = False

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{value!r} is not text")
        text = value.strip()
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail("contains characters that are not valid Unicode text") from None
        bad = _LINE_BREAK if self.line else None
        if _CONTROL.search(text) or (bad is not None and bad.search(text)):
            kind = "line breaks or control characters" if self.line else "control characters"
            raise self.fail(
                f"contains {kind}: write it as {'one line of ' if self.line else ''}text"
            )
        if not text and self.required:
            raise self.fail(f"is empty: {self.help[:1].lower()}{self.help[1:]}")
        if len(text) > self.most:
            raise self.fail(f"is {len(text)} characters; keep it under {self.most}")
        return text

    def _schema(self) -> dict[str, Any]:
        low = 1 if self.required else 0
        schema: dict[str, Any] = {"type": "string", "minLength": low, "maxLength": self.most}
        if self.required:
            schema["pattern"] = r"\S"
        return schema


@dataclass(frozen=True, kw_only=True)
class Matching(Field):
    """Text that ``pattern`` matches whole, spaces around it dropped, of at most ``longest``
    characters (the pattern allows no more); the JSON Schema says the same."""

    pattern: ClassVar[re.Pattern[str]]
    longest: ClassVar[int]

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else value
        if not isinstance(text, str) or not self.pattern.fullmatch(text):
            raise self.fail(self.mismatch(value))
        return text

    @abstractmethod
    def mismatch(self, value: Any) -> str:
        """Why ``value`` is refused, and what to give instead."""

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": f"^{self.pattern.pattern}$", "maxLength": self.longest}


@dataclass(frozen=True, kw_only=True)
class Handle(Matching):
    """One person's handle (``ann``, ``ann@example.org``), never two."""

    metavar: ClassVar[str] = "HANDLE"
    pattern: ClassVar[re.Pattern[str]] = _HANDLE
    longest: ClassVar[int] = 120

    def check(self, value: Any) -> str:
        if isinstance(value, str) and _MANY_PEOPLE.search(value.strip()):
            raise self.fail(
                f"{value.strip()!r} names more than one person; give exactly one (e.g. 'ann')"
            )
        return super().check(value)

    def mismatch(self, value: Any) -> str:
        if not isinstance(value, str):
            return f"{value!r} is not a person's handle"
        return f"{value.strip()!r} is not a person's handle: use letters, digits, '.', '@' or '-'"


@dataclass(frozen=True, kw_only=True)
class Whole(Field):
    """A whole number from ``low`` to ``high``."""

    metavar: ClassVar[str] = "N"

    low: int
    high: int
    json_types: ClassVar[tuple[type, ...]] = (int,)
    json_name: ClassVar[str] = "a whole number"

    def check(self, value: Any) -> int:
        number = value
        if isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                raise self.fail(
                    f"{value!r} is not a whole number ({self.low}–{self.high})"
                ) from None
        if isinstance(number, bool) or not isinstance(number, int):
            raise self.fail(f"{value!r} is not a whole number ({self.low}–{self.high})")
        if not self.low <= number <= self.high:
            raise self.fail(f"{number} is outside {self.low}–{self.high}")
        return number

    def _schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


_YES, _NO = ("true", "yes", "y", "1"), ("false", "no", "n", "0")


@dataclass(frozen=True, kw_only=True)
class Boolean(Field):
    """Yes or no; the command line spells it ``--<name>/--not-<name>``."""

    metavar: ClassVar[str] = ""
    json_types: ClassVar[tuple[type, ...]] = (bool,)
    json_name: ClassVar[str] = "true or false"

    def check(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = value.strip().lower() if isinstance(value, str) else None
        if text in _YES or text in _NO:
            return text in _YES
        raise self.fail(f"{value!r} is not true or false")

    def from_json(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{value!r} is not {self.json_name}")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


#: A decimal number as text: what the API accepts as a string.
_NUMBER_TEXT = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"


#: Koers's decimals (:class:`Number`, and the views' and exports' decimal columns): at most
#: this many digits before the point, and after it.
DIGITS_BEFORE, DIGITS_AFTER = 18, 12


def fits_digits(number: Decimal) -> bool:
    """Whether a finite decimal has at most :data:`DIGITS_BEFORE` digits before the point and
    :data:`DIGITS_AFTER` after it."""
    _, digits, exponent = number.as_tuple()
    return -int(exponent) <= DIGITS_AFTER and len(digits) + int(exponent) <= DIGITS_BEFORE


@dataclass(frozen=True, kw_only=True)
class Number(Field):
    """A finite decimal with at most 30 digits, 12 of them after the point.

    ``low`` and ``high`` are inclusive bounds; ``above`` an exclusive one (a weight above 0).
    """

    metavar: ClassVar[str] = "NUMBER"

    low: Decimal | None = None
    high: Decimal | None = None
    above: Decimal | None = None
    json_types: ClassVar[tuple[type, ...]] = (int, float, str)
    json_name: ClassVar[str] = "a number"

    def check(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
            raise self.fail(f"{value!r} is not a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(f"{value!r} is not a finite number")
        if not fits_digits(number):
            raise self.fail(
                f"{value} has too many digits: Koers keeps up to {DIGITS_BEFORE} before the "
                f"point and {DIGITS_AFTER} after"
            )
        return self._bounded(number, value)

    def _bounded(self, number: Decimal, value: Any) -> Decimal:
        if self.above is not None and number <= self.above:
            raise self.fail(f"{value} is not above {self.above}")
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise self.fail(f"{value} is outside {self.low}–{self.high}")
        return number

    def _schema(self) -> dict[str, Any]:
        bounds: dict[str, Any] = {}
        if self.low is not None:
            bounds["minimum"] = float(self.low)
        if self.high is not None:
            bounds["maximum"] = float(self.high)
        if self.above is not None:
            bounds["exclusiveMinimum"] = float(self.above)
        return {
            "anyOf": [{"type": "number", **bounds}, {"type": "string", "pattern": _NUMBER_TEXT}]
        }


def Fraction(**kwargs: Any) -> Number:
    """A number from 0 to 1: a probability, a score."""
    return Number(low=Decimal("0.0"), high=Decimal("1.0"), **kwargs)


@dataclass(frozen=True, kw_only=True)
class Quarter(Field):
    """A quarter such as ``2026-Q4``."""

    metavar: ClassVar[str] = "QUARTER"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not _QUARTER.fullmatch(value.strip()):
            raise self.fail(f"{value!r} is not a quarter: write it as 2026-Q4")
        return value.strip()

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^\s*(19[0-9]{2}|2[0-9]{3})-Q[1-4]\s*$"}


@dataclass(frozen=True, kw_only=True)
class Day(Field):
    """A calendar date from :data:`EARLIEST` (2000) up to :data:`YEARS_AHEAD` years after
    today: the workers make schedules from dates, and a schedule must be one the server can
    keep (a far date once made a schedule fire four times a second for ever, issue 11)."""

    metavar: ClassVar[str] = "DATE"

    def check(self, value: Any) -> date:
        day = value
        if isinstance(value, str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(f"{value!r} is not a date: write it as 2026-12-31") from None
        if isinstance(day, datetime) or not isinstance(day, date):
            raise self.fail(f"{value!r} is not a date: write it as 2026-12-31")
        latest = _latest_day()
        if not EARLIEST <= day <= latest:
            raise self.fail(
                f"{day.isoformat()} is outside {EARLIEST.isoformat()}–{latest.isoformat()}: "
                f"give a date within {YEARS_AHEAD} years"
            )
        return day

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


def _latest_day() -> date:
    today = _clock.now().date()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


@dataclass(frozen=True, kw_only=True)
class Moment(Field):
    """An aware moment, stored in UTC; ``now`` means now, a date its start (UTC).

    ``past`` moments describe what is already true (a check-in's ``as_of``): never in the
    future. Others lie up to :data:`YEARS_AHEAD` years ahead (a snooze).
    """

    metavar: ClassVar[str] = "TIME"

    past: bool = True

    def check(self, value: Any) -> datetime:
        moment = self._read(value)
        if moment.tzinfo is None:
            raise self.fail("needs a time zone (e.g. 2026-11-02T09:00+01:00)")
        try:
            moment = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.fail("is outside the range of times Koers can record") from None
        now = _clock.now()
        if moment.date() < EARLIEST:
            raise self.fail(f"{moment.isoformat()} is before {EARLIEST.isoformat()}")
        if self.past and moment > now:
            raise self.fail(
                f"{moment.isoformat()} is in the future: it describes what is already true"
            )
        if moment.date() > _latest_day():
            raise self.fail(f"{moment.isoformat()} is more than {YEARS_AHEAD} years ahead")
        return moment

    def _read(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        if not isinstance(value, str):
            raise self.fail(f"{value!r} is not a time")
        text = value.strip()
        if text.lower() == NOW:
            return _clock.now()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(
                f"{value!r} is not a time: write it as 2026-11-02T09:00+01:00 or 2026-11-02"
            ) from None
        if moment.tzinfo is None and len(text) == 10:  # a date alone: its start, in UTC
            return moment.replace(tzinfo=UTC)
        return moment

    def default_value(self) -> Any:
        return _clock.now() if self.default == NOW else super().default_value()

    def canonical(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """One of an enum's values."""

    metavar: ClassVar[str] = "CHOICE"

    of: type[Enum]

    def check(self, value: Any) -> Enum:
        if isinstance(value, self.of):
            return value
        try:
            return self.of(value.strip() if isinstance(value, str) else value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in self.of)
            raise self.fail(f"{value!r} is not one of: {choices}") from None

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [m.value for m in self.of]}


@dataclass(frozen=True, kw_only=True)
class Ref(Field):
    """The id of another thing (``kind`` names what it must be)."""

    metavar: ClassVar[str] = "ID"

    kind: str

    def check(self, value: Any) -> UUID:
        if isinstance(value, UUID):
            return value
        try:
            return UUID(str(value).strip())
        except ValueError:
            raise self.fail(f"{value!r} is not the id of a {self.kind.replace('_', ' ')}") from None

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "uuid"}


@dataclass(frozen=True, kw_only=True)
class Texts(Field):
    """Up to ``most`` lines of text (blockers, items), each up to ``each`` characters."""

    most: int = 20
    each: int = 500
    json_types: ClassVar[tuple[type, ...]] = (list,)
    json_name: ClassVar[str] = "a list of texts"

    def check(self, value: Any) -> tuple[str, ...]:
        items = _as_list(self, value)
        line = Text(name=self.name, help=self.help, most=self.each, default="", line=True)
        texts = tuple(t for t in (line.check(v) for v in items) if t)
        if len(texts) > self.most:
            raise self.fail(f"has {len(texts)} entries; keep it to {self.most}")
        return texts

    def _schema(self) -> dict[str, Any]:
        item = {"type": "string", "maxLength": self.each}
        return {"type": "array", "items": item, "maxItems": self.most}


@dataclass(frozen=True, kw_only=True)
class Handles(Field):
    """Several people's handles (consulted, informed)."""

    metavar: ClassVar[str] = "HANDLE"

    most: int = 50
    json_types: ClassVar[tuple[type, ...]] = (list,)
    json_name: ClassVar[str] = "a list of handles"

    def check(self, value: Any) -> tuple[str, ...]:
        one = Handle(name=self.name, help=self.help)
        people = tuple(one.check(v) for v in _as_list(self, value))
        if len(people) > self.most:
            raise self.fail(f"names {len(people)} people; keep it to {self.most}")
        return people

    def _schema(self) -> dict[str, Any]:
        return {"type": "array", "items": Handle(name="", help="")._schema(), "maxItems": self.most}


@dataclass(frozen=True, kw_only=True)
class Record(Field):
    """A small object of named ``parts`` (a risk: likelihood and impact), built as ``build``.

    An error names the part as ``<field>.<part>`` (``risk.impact``).
    """

    parts: tuple[Field, ...]
    build: type
    json_types: ClassVar[tuple[type, ...]] = (dict,)
    json_name: ClassVar[str] = "an object"

    def check(self, value: Any) -> Any:
        return self._checked(value, as_json=False)

    def from_json(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise self.fail(f"{value!r} is not an object")
        return self._checked(value, as_json=True)

    def _checked(self, value: Any, *, as_json: bool) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)  # a value object is checked like any other
        if not isinstance(value, dict):
            raise self.fail(f"{value!r} is not an object")
        names = {p.name for p in self.parts}
        for unknown in sorted(set(value) - names):
            raise InvalidField(f"{self.name}.{unknown}", f"is not a part of {self.name}")
        checked: dict[str, Any] = {}
        for part in self.parts:
            raw = value.get(part.name)
            try:
                if raw is None:
                    if part.required:
                        raise part.fail("is required")
                    checked[part.name] = part.default_value()
                else:
                    checked[part.name] = part.from_json(raw) if as_json else part.check(raw)
            except InvalidField as e:
                detail = str(e).removeprefix(f"{e.field}: ")
                raise InvalidField(f"{self.name}.{e.field}", detail) from None
        return self.build(**checked)

    def canonical(self, value: Any) -> Any:
        return {p.name: p.canonical(getattr(value, p.name)) for p in self.parts}

    def _schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.parts},
            "required": [p.name for p in self.parts if p.required],
            "additionalProperties": False,
        }


@dataclass(frozen=True, kw_only=True)
class Records(Field):
    """A list of :class:`Record` (options, criteria), from ``least`` to ``most`` of them."""

    item: Record
    least: int = 0
    most: int = 50
    json_types: ClassVar[tuple[type, ...]] = (list,)
    json_name: ClassVar[str] = "a list of objects"

    def check(self, value: Any) -> tuple[Any, ...]:
        return self._checked(value, as_json=False)

    def from_json(self, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise self.fail(f"{value!r} is not a list")
        return self._checked(value, as_json=True)

    def _checked(self, value: Any, *, as_json: bool) -> tuple[Any, ...]:
        items = _as_list(self, value)
        if not self.least <= len(items) <= self.most:
            raise self.fail(f"has {len(items)} entries; give {self.least} to {self.most}")
        out = []
        for i, raw in enumerate(items):
            one = dataclasses.replace(self.item, name=f"{self.name}[{i}]")
            out.append(one.from_json(raw) if as_json else one.check(raw))
        return tuple(out)

    def canonical(self, value: Any) -> Any:
        return [self.item.canonical(v) for v in value]

    def _schema(self) -> dict[str, Any]:
        item = self.item._schema()
        return {"type": "array", "items": item, "minItems": self.least, "maxItems": self.most}


def _as_list(field: Field, value: Any) -> Sequence[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise field.fail(f"{value!r} is not a list")
    return value


# -- fields many commands share -----------------------------------------------------------------

TEAM = Text(name="team", help="The team it belongs to.", most=80, line=True, example="platform")
OWNER = Handle(name="owner", help="One person accountable.", example="ann")
#: The one person a key result or an action item is on.
SOLE_OWNER = Handle(name="owner", help="Exactly one owner.", example="bram")
#: What a check-in or a measurement records.
MEASURED = Number(name="value", help="The measured value.", example="7")
REASON = Text(
    name="reason", help="Why (required: the history keeps it).", example="The market moved"
)
LEARNINGS = Text(name="learnings", help="What you learned.", example="Scope was too wide")
NOTE = Text(name="note", help="A note.", most=2000, default="", example="CI is faster")
SCORE = Fraction(name="score", help="A score from 0.0 to 1.0.", example="0.7")
CONFIDENCE = Whole(
    name="confidence", help="0–10: how sure you are to make the target.", low=0, high=10, example=6
)
CADENCE = Whole(
    name="cadence_days",
    option="cadence",
    help="Days between check-ins.",
    low=1,
    high=92,
    default=7,
    example=7,
)
#: What a change cites (``koers lineage`` walks it): the id of a retro item, a retro action
#: item, a decision or a key result; the application checks that it exists.
CITES = Ref(
    name="cites",
    option="cites",
    kind="cited_thing",
    default=None,
    help="What led to it: the id of a retro item, an action item, a decision or a key "
    "result (koers lineage <id> shows what came of it).",
)
AS_OF = Moment(
    name="as_of",
    help="When the value was true (default: now; never in the future).",
    default=NOW,
    example="2026-11-02T09:00:00+01:00",
)
