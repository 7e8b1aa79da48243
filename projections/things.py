"""Lists and shows from the views: a page of things of a kind, or one thing, as JSON text.

What ``GET /{kind}`` and ``GET /{kind}/{id}`` answer (and ``koers <kind> list|show``), read
from the state the projection keeps (:mod:`projections._things`): filters, who may see what
(:class:`~ledger.application.ReadScope`) and paging are ``WHERE`` / ``LIMIT`` / ``OFFSET`` on
indexed tables, so a page costs the same on a log of 400 events as on one of a million. The
states come back as the JSON text they were stored as: an answer is spliced, not re-encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.application import ReadScope
from projections._sql import placeholders
from projections._things import FILTERS
from projections.views import KoersViews

__all__ = ["ThingPage", "thing_page", "thing_state"]


@dataclass(frozen=True)
class ThingPage:
    """One page of a list: the states (JSON text), how many match in all, the views' position."""

    items: list[str]
    total: int
    position: int

    def json(self, limit: int, offset: int) -> bytes:
        """The list's answer: ``{"items": [...], "total", "limit", "offset"}``."""
        items = ",".join(self.items)
        return (
            f'{{"items":[{items}],"total":{self.total},"limit":{limit},"offset":{offset}}}'
        ).encode()


def _where(kind: str, scope: ReadScope, wanted: Mapping[str, str]) -> tuple[str, list[Any]]:
    """The ``WHERE`` of the things of ``kind`` that ``scope`` may see and match ``wanted``."""
    clauses, params = ["kind = ?"], [kind]
    for name, value in wanted.items():
        clauses.append(
            "thing_id IN (SELECT thing_id FROM thing_fields "
            "WHERE kind = ? AND name = ? AND value = ?)"
        )
        params += [kind, name, value]
    if scope.private:
        clauses.append("private_to = ?" if not scope.service else "1 = 0")
        params += [] if scope.service else [scope.handle]
    elif not scope.everything:
        seen = []  # the index's columns first: most rows are decided without the subquery
        for column, values in (("team", scope.teams), ("owner", scope.owners)):
            if values:
                seen.append(f"{column} IN ({placeholders(values)})")
                params += sorted(values)
        seen.append("thing_id IN (SELECT thing_id FROM thing_people WHERE handle = ?)")
        params.append(scope.handle)
        clauses.append(f"({' OR '.join(seen)})")
    return " AND ".join(clauses), params


def thing_page(
    views: KoersViews,
    kind: str,
    scope: ReadScope,
    wanted: Mapping[str, str],
    *,
    limit: int,
    offset: int,
) -> ThingPage:
    """The things of ``kind`` that ``scope`` may see whose filter fields (:data:`FILTERS`)
    equal ``wanted``, oldest first: ``limit`` of them after the first ``offset``."""
    unknown = set(wanted) - set(FILTERS[kind])
    if unknown:
        raise ValueError(f"a {kind} list has no filter {', '.join(sorted(unknown))}")
    where, params = _where(kind, scope, wanted)
    total = views.rows(f"SELECT COUNT(*) AS n FROM things WHERE {where}", *params)[0]["n"]
    rows = views.rows(
        f"SELECT state FROM things WHERE {where} ORDER BY position LIMIT ? OFFSET ?",
        *params, limit, offset,
    )  # fmt: skip
    return ThingPage([r["state"] for r in rows], int(total), views.position)


def thing_state(
    views: KoersViews, kind: str, scope: ReadScope, thing_id: str
) -> tuple[int, str] | None:
    """One thing's version and state (JSON text); ``None`` if there is no such thing of
    ``kind`` or ``scope`` may not see it (existence is not revealed)."""
    where, params = _where(kind, scope, {})
    rows = views.rows(
        f"SELECT version, state FROM things WHERE thing_id = ? AND {where}", thing_id, *params
    )
    return (int(rows[0]["version"]), rows[0]["state"]) if rows else None
