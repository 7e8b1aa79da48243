"""The published JSON Schemas of Koers's events: one per event type and version.

Every message on the ledger stream carries the headers ``Koers-Type`` (``<kind>.<type>``,
e.g. ``decision.made``) and ``Koers-Schema`` (N, the event class's ``class_version``); its
JSON payload validates against ``schemas/<Koers-Type>.v<N>.json`` (JSON Schema draft
2020-12). This package generates those files from the event classes of every aggregate in
:data:`ledger.domain.AGGREGATES` and their type hints, describing exactly what
:class:`~ledger.transcoder.TypedMapper` writes, with every field explained for readers
outside the team (:mod:`ledger.schemas._glossary`).

Only the current version of each event type is generated; older versions are published
history, kept unchanged. ``schemas/versions.lock`` fingerprints every published version, and
a locked version is never rewritten: a new shape needs a new ``class_version`` and an
upcaster. ``schemas/README.md`` says this for the people who read the schemas.

Entry points (no CLI framework): ``python -m ledger.schemas write`` writes the current
schemas and locks new versions; ``python -m ledger.schemas check`` exits 1 listing every
difference between the generated schemas and the checked-in files.
"""

from ledger.schemas._build import BASE_URI, DECIMAL_PATTERN, build_schema
from ledger.schemas._catalogue import EventType, SchemaError, event_types, file_name
from ledger.schemas._files import (
    LOCK_NAME,
    SCHEMA_DIR,
    Published,
    check,
    fingerprint,
    generate,
    published,
    read_lock,
    render,
    write,
)

__all__ = [
    "BASE_URI",
    "DECIMAL_PATTERN",
    "LOCK_NAME",
    "SCHEMA_DIR",
    "EventType",
    "Published",
    "SchemaError",
    "build_schema",
    "check",
    "event_types",
    "file_name",
    "fingerprint",
    "generate",
    "published",
    "read_lock",
    "render",
    "write",
]
