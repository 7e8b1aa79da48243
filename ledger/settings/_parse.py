"""Reading one setting from a mapping of environment variables, with a named default.

Every section of :class:`ledger.settings.Settings` reads its keys through these, so a bad
value is refused the same way everywhere: a :class:`ConfigurationError` naming the variable,
its value and what to write instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any, TypeVar

from ledger.errors import ConfigurationError

__all__ = ["clock", "cron", "flag", "number", "numbers"]

N = TypeVar("N", int, float)
_TRUE = ("y", "yes", "t", "true", "on", "1")
_FALSE = ("n", "no", "f", "false", "off", "0")


def number(env: Mapping[str, str], key: str, default: N, kind: type[N]) -> N:
    """A number above 0, or ``default`` when unset or empty."""
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(f"{key} is {raw!r}: set it to a number above 0") from None
    if not value > 0:
        raise ConfigurationError(f"{key} is {raw!r}: set it to a number above 0")
    return value


def numbers(
    env: Mapping[str, str], defaults: object, prefix: str, names: Iterable[str]
) -> dict[str, Any]:
    """Numbers of a section by name, each from the variable ``prefix`` + its name in capitals
    (``KOERS_WEBHOOK_`` + ``retry_delay``: ``KOERS_WEBHOOK_RETRY_DELAY``), read as
    :func:`number` reads it: of the type of its default in ``defaults``, the section's
    default instance."""
    return {
        name: number(env, prefix + name.upper(), default, type(default))
        for name in names
        for default in (getattr(defaults, name),)
    }


def flag(env: Mapping[str, str], key: str, default: bool) -> bool:
    """A yes/no setting (``yes``, ``true``, ``on``, ``1`` and their opposites)."""
    raw = (env.get(key) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigurationError(f"{key} is {raw!r}: set it to 'yes' or 'no'")


def clock(env: Mapping[str, str], key: str, default: time) -> time:
    """A time of day such as ``09:00``."""
    raw = env.get(key)
    if not raw:
        return default
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ConfigurationError(f"{key} is {raw!r}: write a time of day such as 09:00") from None


def cron(env: Mapping[str, str], key: str, default: str | None) -> str | None:
    """A cron expression, ``None`` for ``off``."""
    raw = (env.get(key) or "").strip()
    if not raw:
        return default
    return None if raw.lower() == "off" else raw
