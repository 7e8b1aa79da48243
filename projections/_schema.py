"""The view tables: facts taken from the events, nothing computed from "now".

Each table is declared once here; the ``CREATE TABLE`` / ``CREATE INDEX`` statements and the
deterministic export (:mod:`projections._export`) are derived from these declarations.
``position`` columns hold the notification id (stream sequence) of the event that created the
row: the tie-breaker wherever two facts carry the same time. See ``docs/metrics.md`` for
what each column means.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BATCHES",
    "QUARANTINE",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TABLES",
    "THINGS",
    "Table",
    "create_statements",
]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, type with NOT NULL when it applies)
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def create(self) -> list[str]:
        columns = ", ".join(f"{name} {kind}" for name, kind in self.columns)
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


T, TN, INT, IN, B = "TEXT", "TEXT NOT NULL", "INTEGER", "INTEGER NOT NULL", "BIGINT NOT NULL"

TABLES: tuple[Table, ...] = (
    Table(
        "objectives",
        (
            ("objective_id", TN), ("team", TN), ("period", TN), ("title", TN), ("owner", TN),
            ("parent_id", T), ("status", TN), ("score", T), ("set_at", TN), ("ended_at", T),
            ("position", B),
        ),
        ("objective_id",),
        (("team", "period"),),
    ),
    Table(
        "key_results",
        (
            ("kr_id", TN), ("objective_id", TN), ("title", TN), ("metric", TN),
            ("start_value", TN), ("original_target", TN), ("target", TN), ("unit", TN),
            ("owner", TN), ("cadence_days", IN), ("status", TN), ("close_score", T),
            ("added_at", TN), ("ended_at", T), ("position", B),
        ),
        ("kr_id",),
        (("objective_id",),),
    ),
    Table(
        "kr_check_ins",
        (
            ("check_in_id", TN), ("kr_id", TN), ("as_of", TN), ("recorded_at", TN),
            ("value", TN), ("confidence", IN), ("corrected_at", T), ("position", B),
        ),
        ("check_in_id",),
        (("kr_id", "as_of"),),
    ),
    Table(
        "kr_targets",
        (("kr_id", TN), ("position", B), ("target", TN), ("changed_at", TN), ("reason", TN)),
        ("kr_id", "position"),
    ),
    Table(
        "decisions",
        (
            ("decision_id", TN), ("team", TN), ("period", TN), ("question", TN),
            ("reversibility", TN), ("decider", TN), ("options_count", IN),
            ("criteria_count", IN), ("information_level", IN), ("opened_at", TN),
            ("decide_by", TN), ("status", TN), ("decided_at", T), ("chosen", T),
            ("confidence", T), ("review_on", T), ("information_at_decision", INT),
            ("reviewed_at", T), ("outcome_quality", INT), ("process_quality", INT),
            ("as_expected", INT), ("reversed_at", T), ("superseded_at", T), ("superseded_by", T),
            ("position", B),
        ),
        ("decision_id",),
        (("team", "period"),),
    ),
    Table(
        "decision_links",
        (("decision_id", TN), ("kind", TN), ("target_id", TN), ("item_id", TN),
         ("linked_at", TN)),
        ("decision_id", "kind", "target_id", "item_id"),
        (("target_id",),),
    ),
    Table(
        "decision_criteria",
        (("decision_id", TN), ("criterion", TN), ("weight", TN), ("position", B)),
        ("decision_id", "criterion"),
    ),
    Table(
        "decision_scores",
        (
            ("decision_id", TN), ("person", TN), ("option", TN), ("criterion", TN),
            ("score", IN), ("note", TN), ("scored_at", TN), ("times_scored", IN),
            ("position", B),
        ),
        ("decision_id", "person", "option", "criterion"),
    ),
    Table(
        "decision_positions",
        (("decision_id", TN), ("person", TN), ("stance", TN), ("note", TN), ("taken_at", TN),
         ("position", B)),
        ("decision_id", "person"),
    ),
    Table(
        "decision_roles",
        (("decision_id", TN), ("role", TN), ("person", TN), ("named_at", TN),
         ("approved_at", T), ("position", B)),
        ("decision_id", "role"),
    ),
    Table(
        "delegations",
        (
            ("delegation_id", TN), ("delegator", TN), ("owner", TN), ("title", TN),
            ("level", TN), ("cadence_days", IN), ("due", TN), ("status", TN),
            ("delegated_at", TN), ("ended_at", T), ("renegotiations", IN), ("position", B),
        ),
        ("delegation_id",),
        (("owner", "status"),),
    ),
    Table(
        "delegation_check_ins",
        (
            ("check_in_id", TN), ("delegation_id", TN), ("checked_in_at", TN),
            ("status", TN), ("acknowledged_at", T), ("position", B),
        ),
        ("check_in_id",),
        (("delegation_id",),),
    ),
    Table(
        "retros",
        (
            ("retro_id", TN), ("team", TN), ("period", TN), ("held_on", TN), ("format", TN),
            ("facilitator", TN), ("went_well", IN), ("to_improve", IN), ("ideas", IN),
            ("position", B),
        ),
        ("retro_id",),
        (("team", "period"),),
    ),
    Table(
        "retro_pulse",
        (("retro_id", TN), ("dimension", TN), ("score", TN), ("responses", IN)),
        ("retro_id", "dimension"),
    ),
    Table(
        "action_items",
        (
            ("retro_id", TN), ("item_id", TN), ("text", TN), ("owner", TN), ("due", TN),
            ("state", TN), ("carried_from", T), ("carried_to", T), ("added_at", TN),
            ("ended_at", T), ("position", B),
        ),
        ("retro_id", "item_id"),
        (("item_id",),),
    ),
    Table(
        "lineage_nodes",
        (
            ("node_id", TN), ("kind", TN), ("team", TN), ("people", TN), ("title", TN),
            ("retro_id", T), ("at", TN), ("actor", TN), ("position", B),
        ),
        ("node_id",),
    ),
    Table(
        "lineage_links",
        (
            ("position", B), ("from_id", TN), ("to_id", TN), ("kind", TN), ("at", TN),
            ("actor", TN),
        ),
        ("position",),
        (("from_id",), ("to_id",)),
    ),
    Table(
        "prompts",
        (
            ("prompt_id", TN), ("person", TN), ("kind", TN), ("question", TN),
            ("triggered_by", TN), ("issued_at", TN), ("state", TN), ("snoozed_until", T),
            ("answered_at", T), ("answer", T), ("dismissed_at", T), ("position", B),
        ),
        ("prompt_id",),
        (("person", "state"),),
    ),
)  # fmt: skip


#: Events the views set aside (``projections._quarantine``): not a view table (no export
#: file), but kept in the same database and transaction as the tables it stands beside.
QUARANTINE = Table(
    "quarantine",
    (("position", B), ("subject", TN), ("event_type", T), ("reason", TN), ("first_seen", TN)),
    ("position",),
)


#: The time index of the views (not a view table either): one row per committed batch of
#: events, the positions ``(after, position]`` it covers and the earliest recorded time of
#: an event in it (``NULL``: none has one, e.g. all set aside). With ``min(after) = 0`` it
#: covers the whole log, and an "as of" a time finds the batch holding the last event recorded
#: at or before that time without reading the log (``projections.replay``).
BATCHES = Table(
    "view_batches",
    (("position", B), ("after", B), ("earliest", T)),
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
THINGS_TABLES = (THINGS, THING_FIELDS, THING_PEOPLE)

#: Which version of these declarations made a view file: written with the first batch
#: (``projections.projection``); a file of an older version (or none, made before versions
#: existed) is rebuilt when a runner opens it (``projections.runner``). Add one whenever a
#: change to the tables or the handlers means old views answer differently.
SCHEMA_VERSION = 2
SCHEMA = Table("view_schema", (("version", IN),), ("version",))


def create_statements() -> list[str]:
    tables = (*TABLES, QUARANTINE, BATCHES, *THINGS_TABLES, SCHEMA)
    return [statement for table in tables for statement in table.create()]
