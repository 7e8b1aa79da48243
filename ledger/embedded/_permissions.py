"""Who may do what on NATS: the one permission table of Koers's users.

Both the embedded server's config (:mod:`ledger.embedded._config`) and the cluster configs
under ``deploy/nats/`` are rendered from this table (a test keeps ``deploy/`` equal to it),
so they cannot drift apart. For a ledger stream ``S`` with subject prefix ``p``, the
streams are ``S`` (``p.>``), ``S_SNAPSHOTS`` (``p_snapshots.>``), ``S_CHECKPOINTS``
(``p_checkpoints.>``), ``S_SCHEDULES`` (``p_schedules.>``), ``S_DLQ`` (``p_dlq.>``),
``S_WEBHOOKS`` (``p_webhooks.>``), ``S_NOTIFY`` (``p_notify.>``) and the key-value bucket
``S_DELIVERIES`` (its stream ``KV_S_DELIVERIES``, subjects ``$KV.S_DELIVERIES.>``).

- ``admin``: everything; used only to create (or update) streams at setup.
- ``app``: the API and the CLI. Publishes events, snapshots and checkpoints, and webhook
  deliveries to send (``p_webhooks.send.>``: a test or a replay, which the workers POST);
  reads every Koers stream (direct gets, consumers). No stream create, update, delete or
  purge, no message delete, on any stream.
- ``workers``: reads the ledger, publishes the events it issues (prompts), and owns its own
  streams: creates ``S_SCHEDULES``, ``S_DLQ``, ``S_WEBHOOKS``, ``S_NOTIFY`` and the
  ``S_DELIVERIES`` bucket, publishes schedules, dead letters, webhook deliveries with their
  records, notification deliveries and claims, purges a schedule's subject (cancelling it)
  and a digest's gathered items. Nothing else is created, updated or purged.
- ``views`` and the read-only users of ``koers nats user add --read-only``: read the ledger
  and its snapshots (direct gets, consumers on those two streams), publish nothing.

Every user may subscribe to the reply inboxes the clients use (``_INBOX.>`` of nats-py and
the lean readers' ``_KOERS_*``); JetStream answers API requests there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.settings import NATS_ROLES

__all__ = [
    "READER",
    "ROLES",
    "Ledger",
    "Permissions",
    "User",
    "permissions",
    "render_authorization",
]

ROLES = NATS_ROLES
"""The users Koers makes for a data directory (their user name is the role's name)."""

READER = "reader"
"""The role of the read-only users an administrator adds (analytics): as ``views``."""

INBOXES = ("_INBOX.>", "_KOERS_BULK.>", "_KOERS_AUDIT.>", "_KOERS_AUDITR.>")


@dataclass(frozen=True)
class Ledger:
    """One ledger stream and the names of the streams that go with it."""

    stream: str = "LEDGER"
    prefix: str = "ledger"

    def stream_of(self, part: str) -> str:
        return self.stream if not part else f"{self.stream}_{part.upper()}"

    def subjects_of(self, part: str) -> str:
        return f"{self.prefix}.>" if not part else f"{self.prefix}_{part}.>"

    @property
    def deliveries(self) -> tuple[str, str]:
        """The notification claims bucket's stream and subjects (``workers._outbox``)."""
        return f"KV_{self.stream}_DELIVERIES", f"$KV.{self.stream}_DELIVERIES.>"


@dataclass(frozen=True)
class Permissions:
    """What a user may publish and subscribe to; ``None``: everything (admin)."""

    publish: tuple[str, ...] | None
    subscribe: tuple[str, ...] | None


@dataclass(frozen=True)
class User:
    """A NATS user as the server config names it: ``password`` is what the config holds
    (a bcrypt hash, or a ``$VARIABLE`` in the deploy configs)."""

    name: str
    role: str
    password: str


def _read(stream: str) -> list[str]:
    """The JetStream API subjects that read ``stream``: its info, direct and leader gets,
    consumers (create, info, next, delete; the filter is part of the create subject) and
    their acknowledgements and flow control."""
    api = "$JS.API"
    return [
        f"{api}.STREAM.INFO.{stream}",
        f"{api}.DIRECT.GET.{stream}",
        f"{api}.DIRECT.GET.{stream}.>",
        f"{api}.STREAM.MSG.GET.{stream}",
        f"{api}.CONSUMER.CREATE.{stream}",
        f"{api}.CONSUMER.CREATE.{stream}.>",
        f"{api}.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"{api}.CONSUMER.INFO.{stream}.>",
        f"{api}.CONSUMER.MSG.NEXT.{stream}.>",
        f"{api}.CONSUMER.DELETE.{stream}.>",
        f"$JS.ACK.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


_READS = {
    "app": ("", "snapshots", "checkpoints", "schedules", "dlq", "webhooks"),
    "workers": ("", "snapshots", "schedules", "dlq", "webhooks", "notify"),
    "views": ("", "snapshots"),
    READER: ("", "snapshots"),
}
_WRITES = {
    "app": ("", "snapshots", "checkpoints"),
    "workers": ("", "snapshots", "schedules", "dlq", "webhooks", "notify"),
    "views": (),
    READER: (),
}
_OWNS = {"workers": ("schedules", "dlq", "webhooks", "notify")}
"""Streams a role creates itself (and purges: cancelling a schedule, a digest gathered)."""
_PURGES = ("schedules", "notify")


def permissions(role: str, ledgers: Iterable[Ledger]) -> Permissions:
    """The permissions of ``role`` on the streams of ``ledgers``."""
    if role == "admin":
        return Permissions(None, None)
    if role not in _READS:
        raise ValueError(f"unknown NATS role {role!r}: one of {', '.join((*ROLES, READER))}")
    publish = ["$JS.API.INFO", "$JS.API.STREAM.NAMES"]
    for ledger in ledgers:
        for part in _READS[role]:
            publish += _read(ledger.stream_of(part))
        publish += [ledger.subjects_of(part) for part in _WRITES[role]]
        for part in _OWNS.get(role, ()):
            publish.append(f"$JS.API.STREAM.CREATE.{ledger.stream_of(part)}")
        purged = [p for p in _PURGES if p in _OWNS.get(role, ())]
        publish += [f"$JS.API.STREAM.PURGE.{ledger.stream_of(p)}" for p in purged]
        if role == "workers":  # the notification claims (a key-value bucket)
            stream, subjects = ledger.deliveries
            publish += [*_read(stream), subjects, f"$JS.API.STREAM.CREATE.{stream}"]
        if role == "app":  # a webhook test or replay: the workers send it
            publish.append(f"{ledger.prefix}_webhooks.send.>")
    return Permissions(tuple(dict.fromkeys(publish)), INBOXES)


def _strings(values: Sequence[str], indent: str) -> str:
    inner = "".join(f"{indent}  {json.dumps(v)}\n" for v in values)
    return f"[\n{inner}{indent}]"


def _user(user: User, ledgers: Sequence[Ledger], quote_password: bool) -> str:
    password = json.dumps(user.password) if quote_password else user.password
    allowed = permissions(user.role, ledgers)
    lines = [f"    {{ # {user.role}", f"      user: {json.dumps(user.name)}"]
    lines.append(f"      password: {password}")
    if allowed.publish is not None and allowed.subscribe is not None:
        lines += [
            "      permissions: {",
            f"        publish: {{ allow: {_strings(allowed.publish, '        ')} }}",
            f"        subscribe: {{ allow: {_strings(allowed.subscribe, '        ')} }}",
            "      }",
        ]
    lines.append("    }")
    return "\n".join(lines)


def render_authorization(
    users: Sequence[User], ledgers: Sequence[Ledger], *, quote_passwords: bool = True
) -> str:
    """The ``authorization`` block of a nats-server config: every user with its permissions.

    No user is anonymous: a client without valid credentials is refused. ``quote_passwords``
    false leaves each password as written (``$NATS_APP_PASSWORD``: the deploy configs read
    it from the environment).
    """
    body = "\n".join(_user(u, ledgers, quote_passwords) for u in users)
    return f"authorization {{\n  users = [\n{body}\n  ]\n}}\n"
