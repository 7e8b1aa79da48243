"""The command line's names for the kinds of things: the one kind → ``koers`` group map, and
where a user finds the ids of each kind (the CLI's own words for a ``NotFound``)."""

from __future__ import annotations

__all__ = ["group_of", "list_hint"]

#: A kind's ``koers`` command group, where it is not the kind itself.
_GROUPS = {"key_result": "kr", "person": "people", "team": "teams", "webhook": "webhooks"}
#: Things that live inside another and are listed by showing that one.
_INSIDE = {"action item": "`koers retro show` lists them"}


def group_of(kind: str) -> str:
    """The ``koers`` command group of a kind (``key_result`` → ``kr``)."""
    return _GROUPS.get(kind, kind.replace("_", "-"))


def list_hint(kind: str) -> str:
    """Where a user finds the ids of a kind (``key result`` or ``key_result``); empty if
    no command lists them."""
    if kind in _INSIDE:
        return _INSIDE[kind]
    from ledger.domain import AGGREGATES

    key = kind.replace(" ", "_")
    return f"`koers {group_of(key)} list` shows them" if key in AGGREGATES else ""
