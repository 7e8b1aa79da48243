"""The API's names for the kinds of things: the collection path of each kind with its list
filters, and where a client finds the ids of each kind (the API's own words for a
``NotFound``, as the CLI has its own)."""

from __future__ import annotations

from ledger.domain import collection

__all__ = ["KINDS", "list_hint"]

#: kind -> its list filters: query name -> description
_FILTERS: dict[str, dict[str, str]] = {
    "objective": {"team": "Only this team's.", "owner": "Only this owner's.",
                  "period": "e.g. 2026-Q4.", "status": "open, dropped or closed."},
    "key_result": {"objective_id": "Only this objective's.", "owner": "Only this owner's.",
                   "status": "open, dropped or closed."},
    "kpi": {"team": "Only this team's.", "owner": "Only this owner's."},
    "decision": {"team": "Only this team's.", "decider": "Only this decider's.",
                 "status": "open, decided, reviewed, reversed or superseded."},
    "delegation": {"owner": "Only this owner's.", "delegator": "Only this delegator's.",
                   "status": "active, completed or revoked."},
    "retro": {"team": "Only this team's.", "period": "Only this period's."},
    "prompt": {"to": "Only this person's.", "state": "open, snoozed, answered, …"},
}  # fmt: skip

#: kind -> (its collection's path, its list filters)
KINDS = {kind: (collection(kind), filters) for kind, filters in _FILTERS.items()}

#: Things that live inside another and are listed by reading that one.
_INSIDE = {"action item": "GET the retro to see its action items"}


def list_hint(kind: str) -> str:
    """Where a client finds the ids of a kind (``key result`` or ``key_result``); empty if
    no GET lists them."""
    if kind in _INSIDE:
        return _INSIDE[kind]
    known = KINDS.get(kind.replace(" ", "_"))
    return f"GET {known[0]} lists them" if known else ""
