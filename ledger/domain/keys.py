"""Idempotency keys bound to the command they were first used for.

Invariants:
- a key is used once: its record is created together with the command's events, in the same
  atomic write, so a key without its result (or a result without its key) is never stored;
- the record keeps the command's fingerprint (command name, target, actor and the values
  given: :meth:`ledger.domain._commands.Command.fingerprint`); the same key with the same
  fingerprint is a retry and answers the first result, with anything else it is refused
  (:class:`~ledger.errors.CommandKeyReused`);
- records live in the ledger like every event, so keys outlive NATS's two-minute dedupe
  window and a restart.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from ledger.domain._base import NAMESPACE, Given, KoersAggregate
from ledger.errors import CommandKeyReused

__all__ = ["CommandKey", "key_record_id"]


def key_record_id(key: str) -> UUID:
    """The id of the record of an idempotency key (one per key, whatever the command)."""
    return uuid5(NAMESPACE, f"command-key/{key}")


class _CommandKeyGiven(Given):
    """What a command key's record starts with: its Used event's fields, its first attributes."""

    command: str
    target_id: UUID
    version: int
    fingerprint: str


class CommandKey(_CommandKeyGiven, KoersAggregate):
    """The first use of an idempotency key: which command, on what, with which result."""

    class Used(_CommandKeyGiven, KoersAggregate.Created):
        def apply(self, record: CommandKey) -> None:
            record.command, record.target_id = self.command, self.target_id
            record.version, record.fingerprint = self.version, self.fingerprint

    @classmethod
    def use(
        cls, *, key: str, actor: str, command: str, target_id: UUID, version: int, fingerprint: str
    ) -> CommandKey:
        return cls._create(
            cls.Used,
            id=key_record_id(key),
            actor=actor,
            command_id=str(key),
            command=command,
            target_id=target_id,
            version=version,
            fingerprint=fingerprint,
        )

    def same_command(self, key: str, fingerprint: str) -> tuple[UUID, int]:
        """The first result, when ``fingerprint`` is the first use's; else ``CommandKeyReused``."""
        if fingerprint != self.fingerprint:
            raise CommandKeyReused(key)
        return self.target_id, self.version
