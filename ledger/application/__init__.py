"""The application layer: commands (idempotent, optimistic) and reads over the domain."""

from ledger.application._access import AccessCommands, Directory, Facts, ReadScope
from ledger.application._base import KoersBase, Receipt
from ledger.application._calendar import CalendarFeeds, Dated
from ledger.application._decisions import DecisionCommands
from ledger.application._directory import DirectoryCommands
from ledger.application._goals import GoalCommands
from ledger.application._lineage import LineageCommands
from ledger.application._webhooks import WebhookCommands


class Koers(
    CalendarFeeds,
    AccessCommands,
    DirectoryCommands,
    GoalCommands,
    DecisionCommands,
    LineageCommands,
    WebhookCommands,
):
    """Everything a leadership team records, as one application."""


__all__ = ["Dated", "Directory", "Facts", "Koers", "KoersBase", "ReadScope", "Receipt"]
