"""The ``koers`` command tree as light data: each top-level command and group, the module
that holds it, and the one paragraph ``koers --help`` shows for it.

``koers --help`` is made from this table alone. A command's module, and what it imports (the
domain's aggregates, the event store, nats-py, FastAPI …), is imported only when that command
runs or its own help is asked for: :class:`LazyGroup` holds a :class:`Pending` placeholder per
entry and swaps in the real command the first time it is looked up by name.

The summaries restate the first paragraph of each command's help (its docstring, or its
group's ``help``); ``tests/cli/test_cli_help.py`` loads every entry and checks that they agree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

__all__ = ["TREE", "Entry", "KindGroup", "LazyGroup", "Pending", "group"]


@dataclass(frozen=True)
class Entry:
    """One top-level command (a function) or group (a ``typer.Typer``) of ``koers``."""

    name: str
    #: ``module:attribute`` of the typer function or ``typer.Typer``.
    where: str
    #: The first paragraph of its help: what ``koers --help`` lists.
    summary: str
    #: The worked example shown below a command's help.
    example: str = ""
    #: A group's kind whose ``list`` and ``show`` are made without importing the group's
    #: module (``ledger.cli._reads.READS``).
    reads: str = ""


def _command(name: str, module: str, summary: str, example: str = "", reads: str = "") -> Entry:
    attribute = name.replace("-", "_")
    return Entry(name, f"ledger.cli.{module}:{attribute}", summary, example, reads)


#: Every top-level command and group, in the order ``koers --help`` lists them.
TREE: tuple[Entry, ...] = (
    _command(
        "serve", "_serve",
        "Run Koers: the event store, the views, the reflection workers and the HTTP API.",
        "koers serve --data-dir ./ledger-data --port 8000",
    ),
    _command(
        "status", "_store",
        "Show the event store: where it runs, its stream, how many events it holds, and how "
        "many events the views and workers set aside (the quarantine).",
        "koers status --json",
    ),
    _command(
        "init", "_init",
        "Create the ledger's streams with the audited configuration (idempotent).",
        "koers init --data-dir ./ledger-data",
    ),
    _command(
        "history", "_reads",
        "Every event of one aggregate: what happened, who did it (and the credential they "
        "proved it with), and when.",
    ),
    _command(
        "lineage", "_lineage",
        "What led to a thing (its ancestors) and what came of it (its descendants), each link "
        "with its kind, time and actor (docs/lineage.md).",
    ),
    _command(
        "demo", "_demo",
        "Load a realistic quarter for two teams: objectives with weekly check-ins, a dozen "
        "decisions, delegations, retros and prompts. Running it again adds nothing.",
    ),
    _command(
        "export", "_export",
        "Export the raw events (one row per event) and the view tables for analytics.",
        "koers export --format parquet --out ./export",
    ),
    _command(
        "login-link", "_directory",
        "Print a one-time link that signs a person in to the web page (it works once, for "
        "KOERS_LOGIN_LINK_MINUTES minutes). Its base is KOERS_PUBLIC_URL, else the address of "
        "the `koers serve` running on this data directory.",
        "koers login-link ann",
    ),
    _command(
        "calendar-link", "_directory",
        "Print the secret address of a person's calendar feed (iCalendar, for calendar "
        "apps): their review, decide-by, check-in, retro and action dates. A new link "
        "replaces the one before; its base is KOERS_PUBLIC_URL, else the address of the "
        "running `koers serve`.",
        "koers calendar-link ann",
    ),
    _command(
        "worker", "_workers",
        "Run the reflection workers alone (for scale-out) until Ctrl-C or SIGTERM.",
    ),
    _command(
        "deadletters", "_workers",
        "List the messages the workers could not process (dead letters), oldest first.",
    ),
    _command(
        "people", "_directory",
        "People: who uses Koers, known by a handle, with org-wide roles.",
        reads="person",
    ),
    _command(
        "teams", "_directory",
        "Teams: the org tree, with each member's role (viewer, member, lead).",
        reads="team",
    ),
    _command(
        "directory", "_directory",
        "The directory as a whole: bring in the people of an existing log.",
    ),
    _command(
        "objective", "_goals",
        "Objectives: what a team wants to achieve this quarter, and why.",
        reads="objective",
    ),
    _command(
        "kr", "_goals",
        "Key results: measurable results of an objective, with check-ins.",
        reads="key_result",
    ),
    _command(
        "kpi", "_goals", "KPIs: a team's 3–5 key performance indicators.", reads="kpi"
    ),
    _command(
        "decision", "_decisions",
        "Decisions: question, options, criteria, the call, and its review.",
        reads="decision",
    ),
    _command(
        "delegation", "_delegations",
        "Delegations: work handed to one owner, with a rhythm.",
        reads="delegation",
    ),
    _command(
        "retro", "_retros", "Retros: items, a team-health pulse and action items.",
        reads="retro",
    ),
    _command(
        "prompt", "_retros",
        "Reflection prompts: questions for one person, and their answers.",
        reads="prompt",
    ),
    _command(
        "projections", "_projections",
        "The views (OKR progress, decision quality, delegations, retros, prompts).",
    ),
    _command(
        "audit", "_audit",
        "The audit trail: check that the ledger is exactly what was signed, and prove it.",
    ),
    _command(
        "prompts", "_workers", "Reflection prompts across people: what is open, for whom."
    ),
    _command(
        "token", "_directory",
        "API tokens: make one (its secret is shown once), list, revoke.",
        reads="token",
    ),
    _command(
        "nats", "_nats",
        "The embedded nats-server's users: read-only users for analytics, connection URLs.",
    ),
    _command(
        "quarantine", "_quarantine",
        "Events the views and the workers set aside (foreign, undecodable, not applicable).",
    ),
    _command(
        "notify", "_notify",
        "Notifications: e-mail, Slack and Teams, digests and quiet hours per person or team.",
    ),
    _command(
        "webhooks", "_webhooks",
        "Outgoing webhooks: the events you may read, POSTed to a URL and signed (Standard "
        "Webhooks); add prints the signing secret once.",
    ),
    _command(
        "cluster", "_cluster",
        "A 3-node NATS cluster with Koers on it, on this machine (as docker-compose.yml).",
    ),
)  # fmt: skip


def group(name: str, *, epilog: str | None = None, no_args_is_help: bool = False) -> typer.Typer:
    """The ``typer.Typer`` of the top-level group ``name``: its help is the summary of its
    entry in :data:`TREE`, written once there (``koers --help`` lists it without importing
    the group); plain help text, and errors left to ``friendly_errors``."""
    (entry,) = (e for e in TREE if e.name == name)
    return typer.Typer(
        help=entry.summary,
        epilog=epilog,
        no_args_is_help=no_args_is_help,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


class Pending(TyperCommand):
    """A command not imported yet: its name and summary, enough to be listed."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(name=entry.name, help=entry.summary, rich_markup_mode=None)
        self.entry = entry

    def load(self) -> Any:
        """The real click command (or group), as ``app.command`` / ``app.add_typer`` make it."""
        module, _, attribute = self.entry.where.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            return get_group_from_info(
                TyperInfo(found, name=self.entry.name),
                pretty_exceptions_short=True,
                suggest_commands=True,
                rich_markup_mode=None,
            )
        epilog = f"\b\nExample: {self.entry.example}" if self.entry.example else None
        info = CommandInfo(name=self.entry.name, callback=found, epilog=epilog)
        return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)


class KindGroup(TyperGroup):
    """A kind's group (``koers objective``): its ``list`` and ``show`` come from the light
    table of reads; any other command of it, and its help, load the group's module."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(name=entry.name, help=entry.summary, rich_markup_mode=None)
        self.entry = entry
        self._full: Any = None

    def full(self) -> Any:
        if self._full is None:
            self._full = Pending(self.entry).load()
        return self._full

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._full is None and cmd_name in ("list", "show"):
            from ledger.cli._reads import READS, read_command

            if cmd_name == "list" or READS[self.entry.reads].show_example is not None:
                one = read_command(self.entry.reads, cmd_name)
                return typer.main.get_command_from_info(
                    one.registered_commands[0],
                    pretty_exceptions_short=True,
                    rich_markup_mode=None,
                )
        return self.full().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        names: list[str] = self.full().list_commands(ctx)
        return names

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.full().format_help(ctx, formatter)


class LazyGroup(TyperGroup):
    """The root group: its commands are :class:`Pending` until looked up by name; listing
    them (``koers --help``) reads their summaries and imports nothing."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        for entry in TREE:
            self.commands[entry.name] = Pending(entry)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = self.commands.get(cmd_name)
        if isinstance(found, Pending) and not self._listing:
            loaded = KindGroup(found.entry) if found.entry.reads else found.load()
            found = self.commands[cmd_name] = loaded
        return found

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False
