"""Every `koers` command's help shows a copy-pasteable example of that very command, and
`koers --help` comes from the light command tree alone (no store, domain or web library)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from ledger.cli import app
from ledger.cli._kinds import group_of
from ledger.cli._reads import READ_KINDS, READS
from ledger.cli._tree import TREE, LazyGroup, Pending
from ledger.domain import collection

ROOT = typer.main.get_command(app)
runner = CliRunner()


def leaves(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command that is not a group, e.g. ("kr", "check-in")."""
    if isinstance(command, TyperGroup):
        for name in sorted(command.list_commands(None)):  # type: ignore[arg-type]
            yield from leaves(command.get_command(None, name), (*path, name))  # type: ignore[arg-type]
    else:
        yield path


def groups() -> list[str]:
    assert isinstance(ROOT, TyperGroup)
    return sorted(
        name
        for name in ROOT.commands
        if isinstance(ROOT.get_command(None, name), TyperGroup)  # type: ignore[arg-type]
    )


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


#: Modules ``koers --help`` must not import: the domain's aggregates, the application, the
#: event store and its client, the views, the workers, the API and the web pages' libraries.
HEAVY = (
    "ledger.domain", "ledger.application", "ledger.bootstrap", "ledger.nats", "ledger.api",
    "ledger.web", "ledger.errors", "ledger.settings", "projections", "workers",
    "eventsourcing", "nats", "aiohttp", "fastapi", "starlette", "pydantic", "httpx", "orjson",
    "faststream", "jinja2", "rich",
)  # fmt: skip
_PROBE = """
import contextlib, io, json, sys
sys.argv = ["koers", *json.loads(sys.argv[1])]
from ledger.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def probe(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``koers <args>`` in a fresh interpreter: its exit code, what it printed, and every
    module it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_koers_help_imports_nothing_heavy() -> None:
    """`koers --help` in a fresh interpreter lists every command, exits 0, and leaves the
    heavy modules unimported (they are imported by the command that needs them)."""
    found = probe("--help")
    assert found["code"] == 0
    assert all(f"  {entry.name} " in found["out"] for entry in TREE)
    loaded = [m for m in found["modules"] if m.partition(".")[0] in HEAVY or m in HEAVY
              or any(m.startswith(f"{h}.") for h in HEAVY)]  # fmt: skip
    assert loaded == []
    # the probe does reach the tree: a heavy module imported by it would have been seen
    assert "ledger.cli._tree" in found["modules"]


@pytest.mark.parametrize("entry", TREE, ids=lambda e: e.name)
def test_the_light_tree_says_what_the_command_says(entry: object) -> None:
    """Each entry's summary is the first paragraph of the real command's help, so the
    listing is the same before and after the command is imported."""
    pending = Pending(entry)  # type: ignore[arg-type]
    real = pending.load()
    for width in (40, 80, 200):
        assert pending.get_short_help_str(width) == real.get_short_help_str(width)
    assert real.name == pending.name


def test_a_command_is_imported_when_it_is_looked_up() -> None:
    group = LazyGroup(name="koers")
    assert isinstance(group.commands["decision"], Pending)
    assert isinstance(group.get_command(None, "decision"), TyperGroup)  # type: ignore[arg-type]
    assert not isinstance(group.commands["decision"], Pending)
    assert group.get_command(None, "no-such-command") is None  # type: ignore[arg-type]


def test_every_kinds_reads_have_a_group_that_makes_them_lightly() -> None:
    """Each kind of READS is listed by the tree entry of its group (so ``koers <group> list``
    is made without the group's module), and the API paths the reads use are the kinds'
    collections."""
    assert {e.reads for e in TREE if e.reads} == set(READS)
    for entry in TREE:
        if entry.reads:
            assert group_of(entry.reads) == entry.name
    assert {kind: collection(kind) for kind in READ_KINDS} == READ_KINDS
