"""Every `koers` command's help shows a copy-pasteable example of that very command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from ledger.cli import app

ROOT = typer.main.get_command(app)
runner = CliRunner()


def leaves(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command that is not a group, e.g. ("kr", "check-in")."""
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from leaves(sub, (*path, name))
    else:
        yield path


def groups() -> list[str]:
    assert isinstance(ROOT, TyperGroup)
    return sorted(name for name, c in ROOT.commands.items() if isinstance(c, TyperGroup))


def help_of(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    # typer reflows help text to the terminal: compare words, not line breaks.
    return " ".join(result.output.split())


LEAVES = list(leaves(ROOT))


def test_the_tree_is_walked() -> None:
    assert ("kr", "check-in") in LEAVES
    assert ("history",) in LEAVES
    assert ("demo",) in LEAVES
    assert len(LEAVES) > 50


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_shows_an_example_of_itself(path: tuple[str, ...]) -> None:
    assert f"Example: koers {' '.join(path)}" in help_of(*path)


def test_koers_help_lists_every_group() -> None:
    text = runner.invoke(app, ["--help"], terminal_width=80)
    assert text.exit_code == 0, text.output
    listed = {line.split()[0] for line in text.output.splitlines() if line.startswith("  ")}
    assert set(groups()) <= listed
    assert {"objective", "kr", "kpi", "decision", "delegation", "retro", "prompt"} <= set(groups())
