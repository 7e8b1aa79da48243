"""What runs on the cluster, declared once: docker-compose.yml and ``koers cluster up`` both.

Each :class:`Service` is one Koers process (or one per replica): the ``koers`` arguments it
runs with and the NATS user it signs in as (deploy/nats/users.conf). The compose file
spells the same services out for Docker; tests/cluster/test_same_files.py checks that its
commands, users and mounted files are these.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ledger.embedded.deploy import DEPLOY_USERS
from ledger.settings import write_private

__all__ = [
    "ENTRY",
    "POSTGRES",
    "SERVICES",
    "Service",
    "password_key",
    "read_or_make_passwords",
]


@dataclass(frozen=True)
class Service:
    """One Koers process kind: ``koers <args>`` as NATS ``user``, ``replicas`` times."""

    name: str
    user: str
    args: tuple[str, ...]
    replicas: int = 1
    #: extra settings of every replica but the first (the audit trail's one signer)
    others: tuple[tuple[str, str], ...] = ()


INIT = Service("init", "admin", ("init",))
"""One-shot, as admin: creates (or checks) the streams at ``NATS_REPLICAS``, then exits."""

SERVICES = (
    Service("views", "views", ("projections", "run")),
    Service("workers", "workers", ("worker",), replicas=2),
    Service(
        "api",
        "app",
        ("serve", "--no-workers", "--no-views"),
        replicas=2,
        others=(("KOERS_AUDIT", "no"),),
    ),
)
"""Started in this order after :data:`INIT`; stopped in the reverse order."""

POSTGRES = "postgres"
"""The PostgreSQL server of the views: every Koers process is given ``KOERS_VIEWS_URL`` naming
it; the projector keeps the views there, the APIs (``--no-views``) read them."""

ENTRY = ("cluster", "entry")
"""``koers cluster entry --listen … --backend … --backend …``: the one address of the APIs."""


def password_key(user: str) -> str:
    """The environment variable of ``user``'s password (as ``users.conf`` reads it)."""
    return f"KOERS_NATS_{user.upper()}_PASSWORD"


def read_or_make_passwords(env_file: Path) -> dict[str, str]:
    """The users' passwords from ``env_file`` (the format of deploy/env.example and of
    compose's ``.env``), made once with random secrets when the file does not exist."""
    wanted = [password_key(user.name) for user in DEPLOY_USERS]
    found: dict[str, str] = {}
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, equals, value = line.partition("=")
            if equals and not key.startswith("#"):
                found[key.strip()] = value.strip()
    if all(found.get(key) for key in wanted):
        return {key: found[key] for key in wanted}
    # A letter first: nats-server reads a $VARIABLE whose value starts with a digit as a
    # number, and refuses to start on one like "7_x..." (seen: "Expected a digit but got '_'").
    made = {key: found.get(key) or "k" + secrets.token_urlsafe(32) for key in wanted}
    lines = ["# The cluster's NATS passwords (koers cluster up made them): keep this file private."]
    write_private(env_file, "\n".join([*lines, *(f"{k}={v}" for k, v in made.items())]) + "\n")
    return made
