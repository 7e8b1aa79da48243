"""`koers delegation …`: reads here, writes from the command table."""

from __future__ import annotations

from ledger.cli._commands import add_commands
from ledger.cli._reads import add_reads
from ledger.cli._tree import group
from ledger.domain import COMMANDS

__all__ = ["delegation"]

delegation = group("delegation")

add_reads(delegation, "delegation")

add_commands(delegation, COMMANDS.of_kind("delegation"))
