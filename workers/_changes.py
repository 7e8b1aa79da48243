"""What changed on a person's teams (or on one team) since their last digest: the key results
and decisions of those teams that were changed in the digest's period, as items with links.

Read from the application (every key result, objective and decision: a digest is made once a
day or a week per person, and one digest run reads them once for all its people).
"""

from __future__ import annotations

from datetime import datetime

from ledger.application import Koers
from ledger.domain import Decision, KeyResult, Objective
from ledger.domain.pages import page_path
from workers._notices import Item

__all__ = ["changes_of", "team_changes"]


def team_changes(app: Koers, handle: str, since: datetime, base: str) -> list[Item]:
    """The changes since ``since`` to the key results and decisions of ``handle``'s teams."""
    return changes_of(app, app.directory().teams_of(handle), since, base)


def changes_of(app: Koers, teams: set[str], since: datetime, base: str) -> list[Item]:
    """The changes since ``since`` to the key results and decisions of ``teams`` (their
    own: a team's digest tells its channel what every member may read)."""
    if not teams:
        return []
    team_of = {o.id: o.team for o in app.all_of(Objective)}
    items = [
        _key_result(kr, base)
        for kr in app.all_of(KeyResult)
        if team_of.get(kr.objective_id) in teams and kr.modified_on >= since
    ]
    items += [
        Item(f"Decision: {d.question}", f"{d.team}: {d.status.value.replace('_', ' ')}",
             (("Open the decision", base + page_path("decision", d.id)),))
        for d in app.all_of(Decision)
        if d.team in teams and d.modified_on >= since
    ]  # fmt: skip
    return items


def _key_result(kr: KeyResult, base: str) -> Item:
    latest = kr.latest
    if latest is None:
        now = f"no check-in yet; target {kr.target} {kr.unit}"
    else:
        now = (f"now {latest['value']} {kr.unit} of {kr.target}, confidence "
               f"{latest['confidence']}/10")  # fmt: skip
    return Item(
        f"Key result: {kr.title}", now, (("Open it", base + page_path("key_result", kr.id)),)
    )
