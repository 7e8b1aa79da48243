"""The application layer: commands (idempotent, optimistic) and reads over the domain."""

from ledger.application._access import AccessCommands, Directory, Facts
from ledger.application._base import KoersBase, Receipt
from ledger.application._decisions import DecisionCommands
from ledger.application._directory import DirectoryCommands
from ledger.application._goals import GoalCommands
from ledger.application._retros import RetroCommands
from ledger.application._webhooks import WebhookCommands


class Koers(
    AccessCommands,
    DirectoryCommands,
    GoalCommands,
    DecisionCommands,
    RetroCommands,
    WebhookCommands,
):
    """Everything a leadership team records, as one application."""


__all__ = ["Directory", "Facts", "Koers", "KoersBase", "Receipt"]
