"""How many things of a kind a reader may see, kept by the projection: a list's ``total``
without counting the reader's rows.

Who may see a thing (:class:`~ledger.application.ReadScope`, the ``WHERE`` of
:mod:`projections.things`) depends on four facts of it only: its team, its owner, for a
prompt its recipient (``private_to``), and who is named on it (``thing_people``). The things
of a kind fall into *cells* by the first three; ``thing_counts`` keeps how many are in each
cell (``handle`` empty), and again per person named on them (``handle`` = that person);
each for all of the kind (``name``, ``value`` empty) and per value of each list filter
(``name``, ``value`` as ``thing_fields`` has them). Then, for a reader who sees the teams
``T``, the delegation owners ``O`` and what names them (``h``)::

    total = Σ n over the cells  (handle = '')  with team ∈ T or owner ∈ O
          + Σ n over h's cells  (handle = h)   with team ∉ T and owner ∉ O

(each visible thing counted once: by its team or owner, else by the person named on it).
The sums read a number of rows bounded by the directory (teams × owners × recipients),
not by the ledger. Invariant, held by ``tests/views/test_views_things.py`` at several
sizes: :func:`visible_total` equals ``COUNT(*)`` of the list's ``WHERE`` for every reader
and filter.

:func:`recount` runs in the transaction that writes the thing's rows
(``projections._things``) and changes only the counts whose key changed: none when an
event changes neither the thing's cell nor a filter's value (a check-in's value), two per
person named on it when its status changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.application import ReadScope
from projections._sql import Tx, placeholders
from projections.views import KoersViews

__all__ = ["Cell", "cell_of", "recount", "visible_total"]

_ADD = (
    "INSERT INTO thing_counts (kind, name, value, handle, team, owner, private_to, n) "
    "VALUES {rows} ON CONFLICT (kind, name, value, handle, team, owner, private_to) "
    "DO UPDATE SET n = thing_counts.n + excluded.n"
)

#: At most this many counts change in one statement.
_ROWS = 500


@dataclass(frozen=True)
class Cell:
    """What decides who may see a thing (``''`` for none), and its filters' values."""

    team: str
    owner: str
    private_to: str
    people: frozenset[str]
    filters: frozenset[tuple[str, str]]

    def keys(self) -> set[tuple[str, str, str]]:
        """The (name, value, handle) of every count this thing is in."""
        return {
            (name, value, handle)
            for name, value in (("", ""), *self.filters)
            for handle in ("", *self.people)
        }


def cell_of(tx: Tx, thing_id: str) -> Cell | None:
    """The thing's cell as its rows hold it now (``None``: no row yet)."""
    row = tx.one("SELECT team, owner, private_to FROM things WHERE thing_id = ?", thing_id)
    if row is None:
        return None
    people = tx.all("SELECT handle FROM thing_people WHERE thing_id = ?", thing_id)
    fields = tx.all("SELECT name, value FROM thing_fields WHERE thing_id = ?", thing_id)
    return Cell(
        row["team"] or "", row["owner"] or "", row["private_to"] or "",
        frozenset(r["handle"] for r in people),
        frozenset((r["name"], r["value"]) for r in fields),
    )  # fmt: skip


def recount(tx: Tx, kind: str, before: Cell | None, after: Cell) -> None:
    """Move one thing of ``kind`` from the cell ``before`` (``None``: new) to ``after``."""
    if before == after:
        return
    same_cell = before is not None and (before.team, before.owner, before.private_to) == (
        after.team, after.owner, after.private_to,
    )  # fmt: skip
    old = set() if before is None else before.keys()
    new = after.keys()
    if before is not None:
        _add(tx, kind, before, old - new if same_cell else old, -1)
    _add(tx, kind, after, new - old if same_cell else new, 1)


def _add(tx: Tx, kind: str, cell: Cell, keys: set[tuple[str, str, str]], n: int) -> None:
    """Add ``n`` to the counts of ``keys`` in ``cell``: a statement per :data:`_ROWS` keys
    (they differ, as one statement needs; SQLite takes 32,766 parameters)."""
    ordered = sorted(keys)
    for start in range(0, len(ordered), _ROWS):
        chunk = ordered[start : start + _ROWS]
        rows = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
        params = [v for key in chunk
                  for v in (kind, *key, cell.team, cell.owner, cell.private_to, n)]  # fmt: skip
        tx.run(_ADD.format(rows=rows), *params)


def visible_total(
    views: KoersViews, kind: str, scope: ReadScope, wanted: Mapping[str, str]
) -> int | None:
    """How many things of ``kind`` ``scope`` may see whose filters equal ``wanted``, from the
    counts; ``None`` when ``wanted`` names more than one filter (the caller counts rows)."""
    if len(wanted) > 1:
        return None
    if scope.private and scope.service:
        return 0
    (name, value), = wanted.items() or [("", "")]  # fmt: skip
    base, params = "kind = ? AND name = ? AND value = ?", [kind, name, value]
    if scope.everything:
        return _sum(views, f"{base} AND handle = ''", params)
    if scope.private:
        return _sum(views, f"{base} AND handle = '' AND private_to = ?", [*params, scope.handle])
    seen, seen_params = _seen(scope)
    theirs = _sum(views, f"{base} AND handle = '' AND {seen}", [*params, *seen_params])
    named = f"{base} AND handle = ? AND NOT {seen}"
    return theirs + _sum(views, named, [*params, scope.handle, *seen_params])


def _seen(scope: ReadScope) -> tuple[str, list[str]]:
    """The condition "of one of the reader's teams, or owned by one of their owners"."""
    clauses, params = ["1 = 0"], []
    for column, values in (("team", scope.teams), ("owner", scope.owners)):
        if values:
            clauses.append(f"{column} IN ({placeholders(values)})")
            params += sorted(values)
    return f"({' OR '.join(clauses)})", params


def _sum(views: KoersViews, where: str, params: list[str]) -> int:
    rows = views.rows(f"SELECT COALESCE(SUM(n), 0) AS n FROM thing_counts WHERE {where}", *params)
    return int(rows[0]["n"])
