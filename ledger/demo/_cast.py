"""Who is in the story: two teams of six (in ``cast.toml``), each with its lead."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.demo._story import read

__all__ = ["LEADS", "PEOPLE", "TEAMS", "Person"]


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    team: str
    role: str


PEOPLE: tuple[Person, ...] = read("cast.toml", "person", Person)
TEAMS: tuple[str, ...] = ("platform", "sales")
#: Each team's lead.
LEADS: dict[str, str] = {"platform": "ann", "sales": "gijs"}
