"""Read the story's data: the TOML files beside this module, into the dataclasses of
:mod:`ledger.demo._specs` (and :class:`~ledger.demo._cast.Person`).

One reader for every kind, led by the types the dataclass declares:

- a dataclass is a table (by field name; a field left out takes its default) or an array
  (its fields in order, trailing defaults left out): ``Week`` as ``[week, day, hour]``,
  ``Option`` as ``[key, title]``, ``Risk`` as ``[likelihood, impact]``;
- ``X | Y`` takes the first alternative the value fits (TOML has no null: a field that may
  be ``None`` is left out);
- ``tuple[X, ...]`` is an array; ``tuple[X, Y]`` an array of exactly those;
- ``dict[int, X]`` is a table keyed by numbers (TOML keys are text);
- ``Decimal`` comes from an integer or text; text, integers and booleans stay as they are.

A value that fits none of these is a ``TypeError`` naming the file and the table, so a typo in
the story fails at import, not half-way through a load.
"""

from __future__ import annotations

import tomllib
import types
from dataclasses import fields, is_dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

__all__ = ["read"]

T = TypeVar("T")


def read(file: str, table: str, kind: type[T]) -> tuple[T, ...]:
    """Every ``[[table]]`` of ``file`` (in ``ledger/demo/``) as a ``kind``, in file order."""
    try:
        return tuple(_dataclass(kind, raw) for raw in _parsed(file)[table])
    except (TypeError, ValueError) as e:
        raise TypeError(f"ledger/demo/{file}, [[{table}]]: {e}") from e


@cache
def _parsed(file: str) -> dict[str, Any]:
    return tomllib.loads(files("ledger.demo").joinpath(file).read_text(encoding="utf-8"))


def _dataclass(kind: type[T], raw: Any) -> T:
    if not is_dataclass(kind):
        raise TypeError(f"{kind!r} is not a dataclass")
    names = [f.name for f in fields(kind) if f.init]
    if isinstance(raw, list):
        if len(raw) > len(names):
            raise TypeError(f"{kind.__name__} has {len(names)} fields, not {len(raw)}: {raw!r}")
        raw = dict(zip(names, raw, strict=False))
    if not isinstance(raw, dict):
        raise TypeError(f"a {kind.__name__} is a table or an array, not {raw!r}")
    if unknown := raw.keys() - set(names):
        raise TypeError(f"{kind.__name__} has no {', '.join(sorted(unknown))}")
    hints = get_type_hints(kind)
    return kind(**{name: _value(hints[name], value) for name, value in raw.items()})


def _value(kind: Any, raw: Any) -> Any:
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        return _first_fit([a for a in args if a is not types.NoneType], raw)
    if origin is tuple:
        return _tuple(args, raw)
    if origin is dict:
        key_kind, value_kind = args
        return {key_kind(k): _value(value_kind, v) for k, v in raw.items()}
    if isinstance(kind, type) and is_dataclass(kind):
        return _dataclass(kind, raw)
    return _scalar(kind, raw)


def _tuple(kinds: tuple[Any, ...], raw: Any) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise TypeError(f"expected an array, not {raw!r}")
    if len(kinds) == 2 and kinds[1] is Ellipsis:
        return tuple(_value(kinds[0], item) for item in raw)
    if len(raw) != len(kinds):
        raise TypeError(f"expected an array of {len(kinds)}, not {raw!r}")
    return tuple(_value(kind, item) for kind, item in zip(kinds, raw, strict=True))


def _scalar(kind: type, raw: Any) -> Any:
    if kind is Decimal and isinstance(raw, int | str) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, kind) and isinstance(raw, bool) == (kind is bool):
        return raw
    raise TypeError(f"expected {kind.__name__}, not {raw!r}")


def _first_fit(alternatives: list[Any], raw: Any) -> Any:
    errors = []
    for kind in alternatives:
        try:
            return _value(kind, raw)
        except (TypeError, ValueError) as e:
            errors.append(str(e))
    raise TypeError("; ".join(errors))
