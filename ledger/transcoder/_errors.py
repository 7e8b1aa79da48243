"""Encoding and decoding errors, and how they name the place of a bad value.

The walks raise the internal :class:`Unwritable` / :class:`Unreadable`; each level appends its
key or index to ``path`` (leaf first) as the exception unwinds, and the public entry point turns
it into the public error with :func:`format_path`.
"""

from __future__ import annotations

import json
import reprlib

from eventsourcing.persistence import TranscodingNotRegisteredError

from ledger.errors import EncodingError

__all__ = [
    "SHORT",
    "Unreadable",
    "Unregistered",
    "UnregisteredTypeError",
    "Unwritable",
    "ValuePath",
    "format_path",
    "non_finite",
]

SHORT = reprlib.Repr()  # short reprs of offending values in messages
SHORT.maxstring = SHORT.maxother = 60

ValuePath = list[str | int]


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


class Unwritable(Exception):
    """Raised while walking a value to encode; ``path`` grows (leaf first) as it unwinds."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.path: ValuePath = []

    def error(self, subject: str) -> EncodingError:
        """The public error, naming ``subject`` (e.g. ``event x:Goal.Set``) and the path."""
        return EncodingError(
            f"cannot encode {subject} as JSON: {format_path(self.path)} {self.problem}. {self.fix}"
        )


class Unregistered(Unwritable):
    def __init__(self, cls: type) -> None:
        super().__init__("has an unregistered type", "")
        self.cls = cls

    def error(self, subject: str) -> EncodingError:
        where = f"{format_path(self.path)} in {subject}" if self.path else subject
        return UnregisteredTypeError(self.cls, where)


class Unreadable(Exception):
    """Raised while converting stored JSON to a declared type; ``path`` as in Unwritable."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: ValuePath = []


def format_path(path: ValuePath) -> str:
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


def non_finite(value: object) -> Unwritable:
    return Unwritable(
        f"is {SHORT.repr(value)}, and JSON has no NaN or Infinity",
        "Check the calculation that produced it; store None (null) for a missing number.",
    )
