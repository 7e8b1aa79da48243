"""Forms made from the command table: one declaration gives the API's body, the CLI's options
and a page's form.

:func:`form_of` turns a command's fields into inputs (a text line, a text area, a number with
its bounds, a date, a choice, one line per entry for lists, a group of inputs for a record, a
few rows for a list of records). :func:`values_of` reads the posted form back into the values
the domain checks, so what the form refuses is exactly what the API and the CLI refuse, named
by the same field (``options[1].weight``): the page shows it next to that input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from ledger.domain import Command
from ledger.domain._fields import (
    Boolean,
    Choice,
    Day,
    Field,
    Handles,
    Moment,
    Number,
    Record,
    Records,
    Text,
    Texts,
    Whole,
)

__all__ = ["Form", "Group", "Input", "error_name", "form_of", "label_of", "values_of"]

#: Empty rows a list of records (options, criteria) offers besides the ones filled in.
SPARE_ROWS = 2


@dataclass
class Input:
    """One input of a form: its name in the form (and in an error), how it is shown."""

    name: str
    label: str
    help: str
    widget: str  # text, textarea, number, date, datetime-local, select, lines
    required: bool
    value: str = ""
    error: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    attrs: dict[str, str] = field(default_factory=dict)
    #: What makes the id unique on a page with several forms (the form's command and target).
    prefix: str = "f"

    @property
    def id(self) -> str:
        return f"{self.prefix}-" + "".join(c if c.isalnum() else "-" for c in self.name)


@dataclass
class Group:
    """The inputs of one record (a risk, an option), shown as a fieldset."""

    legend: str
    inputs: list[Input]


@dataclass
class Form:
    """A command's form: where it posts, what it acts on, its inputs and idempotency key."""

    command: Command
    target: str
    next: str
    items: list[Input | Group]
    hidden: dict[str, str]
    key: str = field(default_factory=lambda: uuid4().hex)
    error: str = ""

    @property
    def action(self) -> str:
        return f"/do/{self.command.handler}"

    @property
    def title(self) -> str:
        """The command's summary up to its first aside: ``Answer a prompt``."""
        summary = self.command.summary.rstrip(".")
        for mark in (" (", ";", ":", ","):
            summary = summary.split(mark, 1)[0]
        return summary

    @property
    def id(self) -> str:
        return f"form-{_prefix(self.command, self.target, self.hidden)}"


def label_of(name: str) -> str:
    """``expected_outcome`` → ``Expected outcome``; ``objective_id`` → ``Objective``."""
    words = name.removesuffix("_id").replace("_", " ")
    return words[:1].upper() + words[1:]


def _input(f: Field, name: str, value: str, error: str) -> Input:
    one = Input(name=name, label=label_of(f.name), help=f.help, widget="text",
                required=f.required, value=value, error=error)  # fmt: skip
    if isinstance(f, Text):
        one.widget = "text" if f.line else "textarea"
        one.attrs["maxlength"] = str(f.most)
    elif isinstance(f, Whole):
        one.widget = "number"
        one.attrs.update(min=str(f.low), max=str(f.high), step="1")
    elif isinstance(f, Number):
        one.widget = "number"
        one.attrs["step"] = "any"
        low = f.low if f.low is not None else f.above
        if low is not None:
            one.attrs["min"] = str(low)
        if f.high is not None:
            one.attrs["max"] = str(f.high)
    elif isinstance(f, Day):
        one.widget = "date"
    elif isinstance(f, Moment):
        one.widget = "datetime-local"
    elif isinstance(f, Choice):
        one.widget = "select"
        one.choices = tuple((str(m.value), str(m.value).replace("_", " ")) for m in f.of)
    elif isinstance(f, Boolean):
        one.widget = "select"
        one.choices = (("yes", "yes"), ("no", "no"))
    elif isinstance(f, Texts | Handles):
        one.widget = "lines"
    if f.example is not None and one.widget in ("text", "textarea", "lines"):
        one.attrs["placeholder"] = f"e.g. {f.example}"
    if one.widget == "select" and not f.required:
        one.choices = (("", "–"), *one.choices)
    return one


def form_of(
    command: Command,
    *,
    target: str = "",
    next: str = "/",
    fixed: Mapping[str, str] | None = None,
    posted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    error: str = "",
    key: str = "",
) -> Form:
    """The form of ``command``: ``fixed`` values go as hidden inputs (the page knows them),
    ``posted`` fills the inputs again after a refusal, ``errors`` (input name → what is
    wrong) are shown next to their inputs."""
    fixed, posted, errors = dict(fixed or {}), posted or {}, errors or {}
    items: list[Input | Group] = []
    for f in command.fields:
        if f.name in fixed:
            continue
        if isinstance(f, Record):
            parts = [_input(p, f"{f.name}.{p.name}", posted.get(f"{f.name}.{p.name}", ""),
                            errors.get(f"{f.name}.{p.name}", "")) for p in f.parts]  # fmt: skip
            items.append(Group(label_of(f.name), parts))
        elif isinstance(f, Records):
            filled = 1 + max((_row_of(n, f.name) for n in posted), default=-1)
            for row in range(max(filled + SPARE_ROWS, f.least)):
                names = [f"{f.name}[{row}].{p.name}" for p in f.item.parts]
                parts = [_input(p, n, posted.get(n, ""), errors.get(n, ""))
                         for p, n in zip(f.item.parts, names, strict=True)]  # fmt: skip
                if row >= f.least:
                    for part in parts:
                        part.required = False
                items.append(Group(f"{label_of(f.name)} {row + 1}", parts))
        else:
            items.append(_input(f, f.name, posted.get(f.name, ""), errors.get(f.name, "")))
    prefix = _prefix(command, target, fixed)
    for one in _inputs(items):
        one.prefix = prefix
    shown = {i.name for i in _inputs(items)}
    error += "".join(f" {n}: {e}" for n, e in errors.items() if n not in shown and n != "form")
    form = Form(command, target, next, items, fixed, error=error.strip())
    if key:
        form.key = key
    return form


def _prefix(command: Command, target: str, fixed: Mapping[str, str]) -> str:
    """What makes a form's ids unique on a page: its command, its target and the part of
    the target it acts on (a fixed ``item_id``: two action items of one retro)."""
    part = "".join(v[:8] for k, v in fixed.items() if k.endswith("_id"))
    return "-".join(p for p in (command.handler, target[:8], part) if p).replace("_", "-")


def _inputs(items: list[Input | Group]) -> list[Input]:
    return [i for item in items for i in (item.inputs if isinstance(item, Group) else [item])]


def _row_of(name: str, field_name: str) -> int:
    """The row of ``options[2].key`` (2), or -1 when the name is not a row of the field."""
    prefix = f"{field_name}["
    if not name.startswith(prefix):
        return -1
    number = name[len(prefix) :].split("]", 1)[0]
    return int(number) if number.isdigit() else -1


def _moment(text: str, zone: ZoneInfo) -> str:
    """A browser's ``datetime-local`` (no zone) is the person's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the domain says what is wrong with it
    if moment.tzinfo is None and len(text) > 10:
        moment = moment.replace(tzinfo=zone)
        return moment.isoformat()
    return text


def _value(f: Field, text: str, zone: ZoneInfo) -> Any:
    if isinstance(f, Texts):
        return [line for line in text.splitlines() if line.strip()]
    if isinstance(f, Handles):
        return [h for h in text.replace(",", " ").split() if h]
    if isinstance(f, Moment):
        return _moment(text, zone)
    return text


def values_of(
    command: Command, form: Mapping[str, str], zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, str]]:
    """The command's values from a posted form (empty inputs left out: their defaults
    apply, or the domain says they are required), and how to name an error of a list of
    records by its row in the form (``options[0]`` → ``options[1]`` when row 0 was empty)."""
    values: dict[str, Any] = {}
    rows_of: dict[str, str] = {}
    for f in command.fields:
        if isinstance(f, Record):
            parts = {p.name: form.get(f"{f.name}.{p.name}", "").strip() for p in f.parts}
            if any(parts.values()):
                values[f.name] = {n: v for n, v in parts.items() if v}
        elif isinstance(f, Records):
            rows = sorted({r for n in form if (r := _row_of(n, f.name)) >= 0})
            records: list[dict[str, str]] = []
            for row in rows:
                parts = {p.name: form.get(f"{f.name}[{row}].{p.name}", "").strip()
                         for p in f.item.parts}  # fmt: skip
                if any(parts.values()):
                    rows_of[f"{f.name}[{len(records)}]"] = f"{f.name}[{row}]"
                    records.append({n: v for n, v in parts.items() if v})
            if records or f.least:
                values[f.name] = records
        else:
            text = form.get(f.name, "").strip()
            if text:
                values[f.name] = _value(f, text, zone)
    return values, rows_of


def error_name(field: str, rows_of: Mapping[str, str]) -> str:
    """The input an error names: ``options[0].weight`` as the form's row."""
    head, bracket, rest = field.partition("]")
    return rows_of.get(head + bracket, head + bracket) + rest if bracket else field
