"""The view tables: facts taken from the events, nothing computed from "now".

Each table is declared once here; the ``CREATE TABLE`` / ``CREATE INDEX`` statements and the
deterministic export (:mod:`projections._export`) are derived from these declarations.
``position`` columns hold the notification id (stream sequence) of the event that created the
row: the tie-breaker wherever two facts carry the same time. See ``docs/metrics.md`` for
what each column means.

Every column has a *semantic* kind (:class:`Kind`): what the value is, whatever a database
calls it. SQLite stores times, dates and decimals as text in the forms ``projections._sql``
documents (:data:`SQLITE`); another backend maps the kinds to its own types by passing its
mapping to :meth:`Table.create`, and the export converts the text forms to typed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BATCHES",
    "POSTGRES",
    "QUARANTINE",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SQLITE",
    "TABLES",
    "THINGS",
    "ColumnType",
    "Kind",
    "Table",
    "create_statements",
]


class Kind(StrEnum):
    """What a column's value is."""

    TEXT = "text"
    #: A whole number that counts or rates something (a count, a 0–10 confidence, days).
    INTEGER = "integer"
    #: A position in the log (a stream sequence): may exceed 32 bits.
    BIGINT = "bigint"
    #: An exact decimal (``Decimal``): at most 18 digits before the point and 12 after.
    DECIMAL = "decimal"
    #: An instant, with time zone (stored in UTC).
    TIMESTAMP = "timestamp"
    #: A calendar date.
    DATE = "date"
    #: Yes or no.
    BOOLEAN = "boolean"


#: How SQLite stores each kind: times as UTC ISO 8601 text, dates as ISO text, decimals as
#: their exact text, booleans as 0 / 1 (``projections._sql``).
SQLITE: Mapping[Kind, str] = {
    Kind.TEXT: "TEXT",
    Kind.INTEGER: "INTEGER",
    Kind.BIGINT: "BIGINT",
    Kind.DECIMAL: "TEXT",
    Kind.TIMESTAMP: "TEXT",
    Kind.DATE: "TEXT",
    Kind.BOOLEAN: "INTEGER",
}


#: How PostgreSQL stores each kind (``projections._postgres``): text compared byte by byte
#: as in SQLite (``COLLATE "C"``, whatever the database's locale); integers in 64 bits as
#: SQLite's; exact decimals with the scale they were written with (unconstrained
#: ``NUMERIC``); instants with time zone; booleans as the 0 / 1 the projection writes.
POSTGRES: Mapping[Kind, str] = {
    Kind.TEXT: 'TEXT COLLATE "C"',
    Kind.INTEGER: "BIGINT",
    Kind.BIGINT: "BIGINT",
    Kind.DECIMAL: "NUMERIC",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.BOOLEAN: "SMALLINT",
}


@dataclass(frozen=True)
class ColumnType:
    """A column's kind and whether it may be ``NULL``."""

    kind: Kind
    not_null: bool = False

    def sql(self, types: Mapping[Kind, str] = SQLITE) -> str:
        """The column's type in a backend's DDL (``types`` maps each kind to its SQL type)."""
        return f"{types[self.kind]} NOT NULL" if self.not_null else types[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, ColumnType], ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def column_kinds(self) -> dict[str, ColumnType]:
        """Each column's kind and nullability, in declaration order."""
        return dict(self.columns)

    def create(self, types: Mapping[Kind, str] = SQLITE) -> list[str]:
        """The ``CREATE TABLE`` / ``CREATE INDEX`` statements, with ``types`` mapping kinds
        to the backend's SQL types (SQLite's by default)."""
        columns = ", ".join(f"{name} {kind.sql(types)}" for name, kind in self.columns)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.name} ({columns}, "
            f"PRIMARY KEY ({', '.join(self.key)}))"
        ]
        for index in self.indexes:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {self.name}_{'_'.join(index)} "
                f"ON {self.name} ({', '.join(index)})"
            )
        return statements


# Short names for the declarations below; a trailing N means NOT NULL.
T, TN = ColumnType(Kind.TEXT), ColumnType(Kind.TEXT, True)
INT, IN = ColumnType(Kind.INTEGER), ColumnType(Kind.INTEGER, True)
B = ColumnType(Kind.BIGINT, True)
DEC, DECN = ColumnType(Kind.DECIMAL), ColumnType(Kind.DECIMAL, True)
TS, TSN = ColumnType(Kind.TIMESTAMP), ColumnType(Kind.TIMESTAMP, True)
DAY, DAYN = ColumnType(Kind.DATE), ColumnType(Kind.DATE, True)
BOOL = ColumnType(Kind.BOOLEAN)

TABLES: tuple[Table, ...] = (
    Table(
        "objectives",
        (
            ("objective_id", TN), ("team", TN), ("period", TN), ("title", TN), ("owner", TN),
            ("parent_id", T), ("status", TN), ("score", DEC), ("set_at", TSN), ("ended_at", TS),
            ("position", B),
        ),
        ("objective_id",),
        (("team", "period"),),
    ),
    Table(
        "key_results",
        (
            ("kr_id", TN), ("objective_id", TN), ("title", TN), ("metric", TN),
            ("start_value", DECN), ("original_target", DECN), ("target", DECN), ("unit", TN),
            ("owner", TN), ("cadence_days", IN), ("status", TN), ("close_score", DEC),
            ("added_at", TSN), ("ended_at", TS), ("position", B),
        ),
        ("kr_id",),
        (("objective_id",),),
    ),
    Table(
        "kr_check_ins",
        (
            ("check_in_id", TN), ("kr_id", TN), ("as_of", TSN), ("recorded_at", TSN),
            ("value", DECN), ("confidence", IN), ("corrected_at", TS), ("position", B),
        ),
        ("check_in_id",),
        (("kr_id", "as_of"),),
    ),
    Table(
        "kr_targets",
        (("kr_id", TN), ("position", B), ("target", DECN), ("changed_at", TSN), ("reason", TN)),
        ("kr_id", "position"),
    ),
    Table(  # the latest row of an item counts in the roll-up above it; without one it weighs 1
        "roll_up_weights",
        (
            ("item_id", TN), ("position", B), ("kind", TN), ("weight", DECN), ("reason", TN),
            ("weighed_at", TSN),
        ),
        ("item_id", "position"),
    ),
    Table(
        "decisions",
        (
            ("decision_id", TN), ("team", TN), ("period", TN), ("question", TN),
            ("reversibility", TN), ("decider", TN), ("options_count", IN),
            ("criteria_count", IN), ("information_level", IN), ("opened_at", TSN),
            ("decide_by", DAYN), ("status", TN), ("decided_at", TS), ("chosen", T),
            ("confidence", DEC), ("review_on", DAY), ("information_at_decision", INT),
            ("reviewed_at", TS), ("outcome_quality", INT), ("process_quality", INT),
            ("as_expected", BOOL), ("reversed_at", TS), ("superseded_at", TS), ("superseded_by", T),
            ("position", B),
        ),
        ("decision_id",),
        (("team", "period"),),
    ),
    Table(
        "decision_links",
        (("decision_id", TN), ("kind", TN), ("target_id", TN), ("item_id", TN),
         ("linked_at", TSN)),
        ("decision_id", "kind", "target_id", "item_id"),
        (("target_id",),),
    ),
    Table(
        "decision_criteria",
        (("decision_id", TN), ("criterion", TN), ("weight", DECN), ("position", B)),
        ("decision_id", "criterion"),
    ),
    Table(
        "decision_scores",
        (
            ("decision_id", TN), ("person", TN), ("option", TN), ("criterion", TN),
            ("score", IN), ("note", TN), ("scored_at", TSN), ("times_scored", IN),
            ("position", B),
        ),
        ("decision_id", "person", "option", "criterion"),
    ),
    Table(
        "decision_positions",
        (("decision_id", TN), ("person", TN), ("stance", TN), ("note", TN), ("taken_at", TSN),
         ("position", B)),
        ("decision_id", "person"),
    ),
    Table(
        "decision_roles",
        (("decision_id", TN), ("role", TN), ("person", TN), ("named_at", TSN),
         ("approved_at", TS), ("position", B)),
        ("decision_id", "role"),
    ),
    Table(
        "delegations",
        (
            ("delegation_id", TN), ("delegator", TN), ("owner", TN), ("title", TN),
            ("level", TN), ("cadence_days", IN), ("due", DAYN), ("status", TN),
            ("delegated_at", TSN), ("ended_at", TS), ("renegotiations", IN), ("position", B),
        ),
        ("delegation_id",),
        (("owner", "status"),),
    ),
    Table(
        "delegation_check_ins",
        (
            ("check_in_id", TN), ("delegation_id", TN), ("checked_in_at", TSN),
            ("status", TN), ("acknowledged_at", TS), ("position", B),
        ),
        ("check_in_id",),
        (("delegation_id",),),
    ),
    Table(
        "retros",
        (
            ("retro_id", TN), ("team", TN), ("period", TN), ("held_on", DAYN), ("format", TN),
            ("facilitator", TN), ("went_well", IN), ("to_improve", IN), ("ideas", IN),
            ("position", B),
        ),
        ("retro_id",),
        (("team", "period"),),
    ),
    Table(
        "retro_pulse",
        (("retro_id", TN), ("dimension", TN), ("score", DECN), ("responses", IN)),
        ("retro_id", "dimension"),
    ),
    Table(
        "action_items",
        (
            ("retro_id", TN), ("item_id", TN), ("text", TN), ("owner", TN), ("due", DAYN),
            ("state", TN), ("carried_from", T), ("carried_to", T), ("added_at", TSN),
            ("ended_at", TS), ("position", B),
        ),
        ("retro_id", "item_id"),
        (("item_id",),),
    ),
    Table(
        "lineage_nodes",
        (
            ("node_id", TN), ("kind", TN), ("team", TN), ("people", TN), ("title", TN),
            ("retro_id", T), ("at", TSN), ("actor", TN), ("position", B),
        ),
        ("node_id",),
    ),
    Table(
        "lineage_links",
        (
            ("position", B), ("from_id", TN), ("to_id", TN), ("kind", TN), ("at", TSN),
            ("actor", TN),
        ),
        ("position",),
        (("from_id",), ("to_id",)),
    ),
    Table(
        "prompts",
        (
            ("prompt_id", TN), ("person", TN), ("kind", TN), ("question", TN),
            ("triggered_by", TN), ("issued_at", TSN), ("state", TN), ("snoozed_until", TS),
            ("answered_at", TS), ("answer", T), ("dismissed_at", TS), ("position", B),
        ),
        ("prompt_id",),
        (("person", "state"),),
    ),
)  # fmt: skip


#: Events the views set aside (``projections._quarantine``): not a view table (no export
#: file), but kept in the same database and transaction as the tables it stands beside.
QUARANTINE = Table(
    "quarantine",
    (("position", B), ("subject", TN), ("event_type", T), ("reason", TN), ("first_seen", TSN)),
    ("position",),
)


#: The time index of the views (not a view table either): one row per committed batch of
#: events, the positions ``(after, position]`` it covers and the earliest recorded time of
#: an event in it (``NULL``: none has one, e.g. all set aside). With ``min(after) = 0`` it
#: covers the whole log, and an "as of" a time finds the batch holding the last event recorded
#: at or before that time without reading the log (``projections.replay``).
BATCHES = Table(
    "view_batches",
    (("position", B), ("after", B), ("earliest", TS)),
    ("position",),
    (("earliest",),),
)


#: The state lists and shows answer (``projections._things``): not view tables either (no
#: export file: the facts are in the tables above), kept in the same transaction.
THINGS = Table(
    "things",
    (
        ("thing_id", TN), ("kind", TN), ("position", B), ("version", IN), ("team", T),
        ("owner", T), ("private_to", T), ("state", TN), ("saved", TN),
    ),
    ("thing_id",),
    # covering what a list's WHERE reads: a count or a page scans this index, not the wide
    # rows, and reads the state of the page's rows only
    (("kind", "position", "team", "owner", "private_to", "thing_id"),),
)  # fmt: skip
THING_FIELDS = Table(
    "thing_fields",
    (("kind", TN), ("name", TN), ("value", TN), ("position", B), ("thing_id", TN)),
    ("kind", "name", "value", "position"),
    (("thing_id",),),
)
THING_PEOPLE = Table(
    "thing_people", (("thing_id", TN), ("handle", TN)), ("thing_id", "handle"), (("handle",),)
)
#: How many things of a kind are in each visibility cell (``projections._thing_counts``): the
#: things (``handle`` empty) by what decides who sees them, and again per person named on
#: them; all of them (``name`` empty) and per list filter's value: a list's ``total`` sums a
#: reader's cells instead of counting their rows.
THING_COUNTS = Table(
    "thing_counts",
    (
        ("kind", TN), ("name", TN), ("value", TN), ("handle", TN), ("team", TN),
        ("owner", TN), ("private_to", TN), ("n", IN),
    ),
    ("kind", "name", "value", "handle", "team", "owner", "private_to"),
)  # fmt: skip
THINGS_TABLES = (THINGS, THING_FIELDS, THING_PEOPLE, THING_COUNTS)

#: Which version of these declarations made a view file: written with the first batch
#: (``projections.projection``); a file of an older version (or none, made before versions
#: existed) is rebuilt when a runner opens it (``projections.runner``). Add one whenever a
#: change to the tables or the handlers means old views answer differently.
SCHEMA_VERSION = 3
SCHEMA = Table("view_schema", (("version", IN),), ("version",))


def create_statements(types: Mapping[Kind, str] = SQLITE) -> list[str]:
    tables = (*TABLES, QUARANTINE, BATCHES, *THINGS_TABLES, SCHEMA)
    return [statement for table in tables for statement in table.create(types)]
