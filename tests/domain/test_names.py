"""One spelling per kind (docs/commands.md, "Names"; issue #14, item 8): identifiers are
snake case (``key_result``) in event types, schemas, view and export tables and their
columns; addresses (API paths, CLI words) are the same words with dashes. And the LICENSE
file is the licence pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ledger.domain import AGGREGATES, COMMANDS, collection
from ledger.schemas._catalogue import event_types
from projections._schema import TABLES

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def test_event_types_tables_and_columns_are_snake_case() -> None:
    for event in event_types():
        kind, _, type_ = event.name.partition(".")
        assert kind in AGGREGATES, event.name
        assert SNAKE.fullmatch(type_), event.name
    for table in TABLES:
        assert SNAKE.fullmatch(table.name), table.name
        for column in table.column_names:
            assert SNAKE.fullmatch(column), (table.name, column)


def test_addresses_are_the_identifiers_with_dashes() -> None:
    assert collection("key_result") == "/key-results"
    for command in COMMANDS.values():
        assert command.path.startswith(collection(command.kind)), command.name
        words = [w for w in command.path.split("/") if w and not w.startswith("{")]
        assert all("_" not in w for w in words), command.path


def test_the_license_file_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
