"""Who is in the story: two teams of six, each with its lead."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEADS", "PEOPLE", "TEAMS", "Person"]


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    team: str
    role: str


PEOPLE: tuple[Person, ...] = (
    Person("ann", "Ann de Vries", "platform", "engineering lead"),
    Person("bram", "Bram Jansen", "platform", "site reliability engineer"),
    Person("chen", "Chen Wei", "platform", "database engineer"),
    Person("dewi", "Dewi Sastrowardoyo", "platform", "on-call coordinator"),
    Person("emre", "Emre Yilmaz", "platform", "product engineer, onboarding"),
    Person("fleur", "Fleur Bakker", "platform", "security engineer"),
    Person("gijs", "Gijs Visser", "sales", "head of sales"),
    Person("hanna", "Hanna Mulder", "sales", "mid-market account executive"),
    Person("ines", "Inês Costa", "sales", "sales development lead"),
    Person("joost", "Joost de Boer", "sales", "account manager"),
    Person("kim", "Kim Nguyen", "sales", "customer support lead"),
    Person("lotte", "Lotte Smit", "sales", "customer success manager"),
)

TEAMS: tuple[str, ...] = ("platform", "sales")
#: Each team's lead.
LEADS: dict[str, str] = {"platform": "ann", "sales": "gijs"}
