"""The NATS users of one data directory: their credential files and the ledgers they serve.

``<data dir>/nats/credentials/`` (mode 0700) holds one file per user, ``<name>.json``
(mode 0600): ``{"user": ..., "password": ..., "role": ...}``. The four role users
(:data:`~ledger.embedded._permissions.ROLES`) are made on first start with random secrets;
read-only users are added and removed by an administrator (``koers nats user``). The
server's config holds only bcrypt hashes of the secrets; the plaintext stays in these files.

``<data dir>/nats/ledgers.json`` (0600) lists the ledger streams (name and subject prefix) the
permissions cover: a process that uses another ``NATS_STREAM`` on the same data directory
adds its ledger there, and the running server reloads its config.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import bcrypt

from ledger.embedded._paths import ServerPaths
from ledger.embedded._permissions import READER, ROLES, Ledger, User, render_authorization
from ledger.errors import ConfigurationError, EmbeddedServerError
from ledger.settings import private_dir, write_private

__all__ = [
    "Credential",
    "add_reader",
    "all_credentials",
    "authorization",
    "ensure_credentials",
    "probe_login",
    "read_credential",
    "remember_ledger",
    "remove_reader",
]

_BCRYPT_COST = 4
"""The secrets are 256 random bits, so a slow hash adds nothing; the lowest bcrypt cost
keeps each connection's password check near a millisecond."""


@dataclass(frozen=True)
class Credential:
    """A user's name, role and plaintext secret, as its credential file holds them."""

    user: str
    password: str
    role: str

    def url(self, server_url: str) -> str:
        """``server_url`` with this user's credentials in it (to hand to a client)."""
        scheme, _, rest = server_url.partition("://")
        return f"{scheme}://{self.user}:{self.password}@{rest}"


def _directory(paths: ServerPaths) -> Path:
    return paths.credentials_dir


def _file(paths: ServerPaths, name: str) -> Path:
    return _directory(paths) / f"{name}.json"


def _write(paths: ServerPaths, credential: Credential) -> None:
    private_dir(_directory(paths))
    write_private(_file(paths, credential.user), json.dumps(asdict(credential)) + "\n")


def _new(name: str, role: str) -> Credential:
    return Credential(user=name, password=secrets.token_urlsafe(32), role=role)


def ensure_credentials(paths: ServerPaths) -> None:
    """Make the role users that have no credential file yet (existing ones are kept)."""
    private_dir(_directory(paths))
    for role in ROLES:
        if not _file(paths, role).exists():
            _write(paths, _new(role, role))


def read_credential(paths: ServerPaths, name: str) -> Credential:
    """The credential of user ``name``; an error that says what to do when it is missing."""
    path = _file(paths, name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credential(user=data["user"], password=data["password"], role=data["role"])
    except FileNotFoundError:
        raise ConfigurationError(
            f"no NATS user {name!r} for {paths.data_dir} ({path} is missing). Start the "
            f"server once ('koers serve' or any command) to make the role users, or add a "
            f"read-only user with 'koers nats user add {name} --read-only'."
        ) from None
    except (ValueError, KeyError, TypeError) as e:
        raise EmbeddedServerError(
            f"the credential file {path} is damaged ({e}). Remove it: the next start makes "
            f"a new secret for a role user (a read-only user must be added again)."
        ) from None


def all_credentials(paths: ServerPaths) -> list[Credential]:
    """Every user of the data directory: the roles first, then the read-only users by name."""
    directory = _directory(paths)
    names = sorted(p.stem for p in directory.glob("*.json"))
    ordered = [r for r in ROLES if r in names] + [n for n in names if n not in ROLES]
    return [read_credential(paths, name) for name in ordered]


_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def add_reader(paths: ServerPaths, name: str) -> Credential:
    """A new read-only user ``name`` with a random secret (refused if the name is taken)."""
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"{name!r} is not a usable user name: use 1-32 lower-case letters, digits, '-' "
            f"or '_', starting with a letter (e.g. 'analytics')."
        )
    if name in ROLES or _file(paths, name).exists():
        raise ConfigurationError(
            f"the NATS user {name!r} already exists. Pick another name, or remove it first "
            f"with 'koers nats user remove {name}'."
        )
    credential = _new(name, READER)
    _write(paths, credential)
    return credential


def remove_reader(paths: ServerPaths, name: str) -> None:
    """Remove read-only user ``name`` (the role users cannot be removed)."""
    if name in ROLES:
        raise ConfigurationError(
            f"{name!r} is one of Koers's own users ({', '.join(ROLES)}) and cannot be removed."
        )
    if not _file(paths, name).exists():
        known = ", ".join(c.user for c in all_credentials(paths) if c.role == READER)
        raise ConfigurationError(
            f"there is no read-only NATS user {name!r} (read-only users: {known or 'none'}). "
            f"See 'koers nats user list'."
        )
    _file(paths, name).unlink()


def ledgers(paths: ServerPaths) -> list[Ledger]:
    """The ledgers the permissions cover (the default ``LEDGER`` always)."""
    found = [Ledger()]
    try:
        entries = json.loads(paths.ledgers_file.read_text(encoding="utf-8"))
        found += [Ledger(str(e["stream"]), str(e["prefix"])) for e in entries]
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError) as e:
        raise EmbeddedServerError(
            f"{paths.ledgers_file} is damaged ({e}). Remove it: each ledger is added again "
            f"when a command first uses it."
        ) from None
    return list(dict.fromkeys(found))


_STREAM = re.compile(r"[A-Za-z0-9_-]{1,200}")
_PREFIX = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def remember_ledger(paths: ServerPaths, ledger: Ledger) -> bool:
    """Add ``ledger`` to the ones the permissions cover; whether it was new.

    A name that cannot be part of a subject is refused here, before it reaches the server's
    config (which the server would then refuse on every start)."""
    if not _STREAM.fullmatch(ledger.stream) or not _PREFIX.fullmatch(ledger.prefix):
        raise ConfigurationError(
            f"NATS_STREAM {ledger.stream!r} (subject prefix {ledger.prefix!r}) cannot name a "
            f"ledger: use letters, digits, '-' and '_' (the prefix may also have '.' between "
            f"words), e.g. NATS_STREAM=LEDGER"
        )
    known = ledgers(paths)
    if ledger in known:
        return False
    entries = [asdict(known_ledger) for known_ledger in (*known[1:], ledger)]
    write_private(paths.ledgers_file, json.dumps(entries, indent=2) + "\n")
    return True


def _hash(secret: str) -> str:
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=_BCRYPT_COST)).decode()
    return "$2a$" + hashed[4:]  # the prefix nats-server documents (same algorithm)


def server_users(paths: ServerPaths) -> list[User]:
    """Every user for the server's config, each with a bcrypt hash of its secret."""
    return [User(c.user, c.role, _hash(c.password)) for c in all_credentials(paths)]


def authorization(paths: ServerPaths) -> str:
    """The users block of the server's config: every user, its permissions on every ledger."""
    return render_authorization(server_users(paths), ledgers(paths))


def probe_login(paths: ServerPaths) -> tuple[str, str]:
    """Who the readiness probe signs in as: ``views``, which may only read."""
    credential = read_credential(paths, "views")
    return credential.user, credential.password
