"""Where and when a person is told of their prompts and due items: their notification channels.

A person's channels are e-mail (to the address of the directory), a Slack and a Microsoft
Teams incoming webhook; a team's are the two webhooks (kept for notices to the whole team;
the workers do not post to them yet). Preferences:

- ``digest``: ``off`` sends each prompt at once; ``daily`` or ``weekly`` gathers them into
  one message ("your day", "your week");
- ``quiet``: hours in the person's time zone (``19:00-08:00``, across midnight or not) in
  which nothing is sent: what falls in them waits for their end;
- ``kinds``: which kinds of prompts are sent (empty: every kind).

Webhook URLs are secrets (whoever holds one may post to the channel): :func:`masked` is how
anyone but the owner and admins sees them.

This module is pure: the values, their checks (fields of the command table) and the rule of
quiet hours. The commands are declared with the directory's (``person.notify``,
``team.notify``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ledger.domain._fields import Field

__all__ = [
    "SECRET_FIELDS",
    "Channels",
    "Digest",
    "QuietHours",
    "Switch",
    "WebhookUrl",
    "masked",
    "quiet_until",
]

#: The fields of the ``*.notify`` events that hold secrets (masked in every history read).
SECRET_FIELDS = frozenset({"slack_url", "teams_url"})
_OFF = frozenset({"off", "none", ""})
_QUIET = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


class Switch(Enum):
    """A channel on or off."""

    ON = "on"
    OFF = "off"


class Digest(Enum):
    """Each prompt at once (``off``), or gathered once a day or once a week."""

    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, kw_only=True)
class WebhookUrl(Field):
    """An incoming-webhook URL (``https://``), or ``off`` to remove it."""

    metavar: ClassVar[str] = "URL|off"
    #: Plain http is allowed for these hosts only (a local receiver, tests).
    local_hosts: ClassVar[frozenset[str]] = frozenset({"127.0.0.1", "localhost", "::1"})

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else None
        if text is None:
            raise self.fail(f"{value!r} is not a URL")
        if text.lower() in _OFF:
            return ""
        parts = urlsplit(text)
        local = parts.scheme == "http" and parts.hostname in self.local_hosts
        if (parts.scheme != "https" and not local) or not parts.hostname or len(text) > 2000:
            raise self.fail(
                "is not an incoming-webhook URL: give the https:// URL the chat service made "
                "for the channel, or 'off' to remove it"
            )
        return text

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 2000, "pattern": r"^(https?://\S+|off)$"}


@dataclass(frozen=True, kw_only=True)
class QuietHours(Field):
    """Hours in which nothing is sent, ``HH:MM-HH:MM`` in the person's time zone, or ``off``."""

    metavar: ClassVar[str] = "HH:MM-HH:MM|off"

    def check(self, value: Any) -> str:
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.lower() in _OFF:
            return ""
        if text is None or not _QUIET.fullmatch(text) or text[:5] == text[6:]:
            raise self.fail(
                f"{value!r} is not quiet hours: write start-end in 24-hour time, "
                f"e.g. 19:00-08:00, or 'off'"
            )
        return text

    def _schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": f"^({_QUIET.pattern}|off)$"}


@dataclass(frozen=True)
class Channels:
    """A person's (or team's) channels and preferences, as the last ``*.notify`` left them."""

    email: bool = True
    slack_url: str = ""
    teams_url: str = ""
    digest: Digest = Digest.OFF
    quiet: str = ""
    kinds: tuple[str, ...] = ()

    def but(self, values: dict[str, Any]) -> Channels:
        """These channels with the values given (``None``: unchanged)."""
        changes = {k: v for k, v in values.items() if v is not None}
        if "email" in changes:
            changes["email"] = changes["email"] is Switch.ON
        if "kinds" in changes:
            changes["kinds"] = () if changes["kinds"] in ((), ("all",)) else changes["kinds"]
        return replace(self, **changes)

    def wants(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    def shown(self, secrets: bool) -> dict[str, Any]:
        """As plain JSON; the webhook URLs masked unless ``secrets``."""
        show = (lambda url: url) if secrets else masked
        return {
            "email": "on" if self.email else "off",
            "slack": show(self.slack_url) or "off",
            "teams": show(self.teams_url) or "off",
            "digest": self.digest.value,
            "quiet": self.quiet or "off",
            "kinds": list(self.kinds) or ["all"],
        }


def masked(url: str) -> str:
    """A webhook URL as people other than its owner see it: its host, the rest hidden."""
    if not url:
        return ""
    return f"{urlsplit(url).scheme}://{urlsplit(url).hostname}/…(hidden)"


def quiet_until(quiet: str, zone: str, at: datetime) -> datetime | None:
    """When the quiet hours that ``at`` falls in end (an aware moment), or ``None`` if it
    falls in none. ``19:00-08:00`` runs across midnight; ``12:00-13:00`` does not."""
    if not quiet:
        return None
    local = at.astimezone(ZoneInfo(zone))
    start, end = (time(int(p[:2]), int(p[3:])) for p in quiet.split("-"))
    now = local.time().replace(tzinfo=None)
    across = start > end
    inside = (now >= start or now < end) if across else start <= now < end
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if across and now >= start else local.date()
    ends = datetime.combine(day, end, tzinfo=local.tzinfo)
    return ends.replace(fold=0)
