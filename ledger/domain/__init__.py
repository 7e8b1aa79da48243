"""The pure domain of Koers: aggregates, their events and rules. No I/O happens here."""

from ledger.domain._base import KoersAggregate, command_key_id, proved_by
from ledger.domain._commands import (
    ACTOR,
    EXPECTED_VERSION,
    IDEMPOTENCY_KEY,
    Command,
    CommandTable,
    collection,
)
from ledger.domain._fields import CITES, EARLIEST, YEARS_AHEAD
from ledger.domain.access import Principal
from ledger.domain.credentials import (
    CREDENTIAL_COMMANDS,
    CalendarLink,
    LoginLink,
    Token,
    calendar_link_id,
)
from ledger.domain.decisions import (
    DECISION_COMMANDS,
    IN_A_RETRO,
    Criterion,
    Decision,
    DecisionStatus,
    Link,
    LinkKind,
    Option,
    Reversibility,
    Risk,
)
from ledger.domain.delegations import (
    DELEGATION_COMMANDS,
    CheckInStatus,
    Delegation,
    DelegationGiven,
    DelegationLevel,
    DelegationStatus,
)
from ledger.domain.directory import (
    DIRECTORY_COMMANDS,
    OrgRole,
    Person,
    Role,
    Team,
    person_id,
    team_id,
)
from ledger.domain.goals import (
    GOAL_COMMANDS,
    Direction,
    KeyResult,
    Kpi,
    KpiKind,
    MetricKind,
    Objective,
    Status,
)
from ledger.domain.keys import CommandKey, key_record_id
from ledger.domain.matrix import Position
from ledger.domain.notify import Channels, Digest
from ledger.domain.prompts import PROMPT_COMMANDS, Prompt, PromptState
from ledger.domain.retros import RETRO_COMMANDS, ActionState, ItemKind, Retro, RetroGiven
from ledger.domain.webhooks import WEBHOOK_COMMANDS, Webhook

AGGREGATES: dict[str, type[KoersAggregate]] = {
    "objective": Objective,
    "key_result": KeyResult,
    "kpi": Kpi,
    "decision": Decision,
    "delegation": Delegation,
    "retro": Retro,
    "prompt": Prompt,
    "person": Person,
    "team": Team,
    "command_key": CommandKey,
    "token": Token,
    "login_link": LoginLink,
    "calendar_link": CalendarLink,
    "webhook": Webhook,
}

#: Every command, declared once (see ``ledger.domain._commands``).
COMMANDS = CommandTable(
    DIRECTORY_COMMANDS,
    CREDENTIAL_COMMANDS,
    GOAL_COMMANDS,
    DECISION_COMMANDS,
    DELEGATION_COMMANDS,
    RETRO_COMMANDS,
    PROMPT_COMMANDS,
    WEBHOOK_COMMANDS,
)

__all__ = [
    "ACTOR",
    "AGGREGATES",
    "CITES",
    "COMMANDS",
    "EARLIEST",
    "EXPECTED_VERSION",
    "IDEMPOTENCY_KEY",
    "IN_A_RETRO",
    "YEARS_AHEAD",
    "ActionState",
    "CalendarLink",
    "Channels",
    "CheckInStatus",
    "Command",
    "CommandKey",
    "CommandTable",
    "Criterion",
    "Decision",
    "DecisionStatus",
    "Delegation",
    "DelegationGiven",
    "DelegationLevel",
    "DelegationStatus",
    "Digest",
    "Direction",
    "ItemKind",
    "KeyResult",
    "KoersAggregate",
    "Kpi",
    "KpiKind",
    "Link",
    "LinkKind",
    "LoginLink",
    "MetricKind",
    "Objective",
    "Option",
    "OrgRole",
    "Person",
    "Position",
    "Principal",
    "Prompt",
    "PromptState",
    "Retro",
    "RetroGiven",
    "Reversibility",
    "Risk",
    "Role",
    "Status",
    "Team",
    "Token",
    "Webhook",
    "calendar_link_id",
    "collection",
    "command_key_id",
    "key_record_id",
    "person_id",
    "proved_by",
    "team_id",
]
