"""The cluster of docker-compose.yml has the embedded server's users and permissions.

``deploy/nats/users.conf`` is generated from the permission table; these tests fail when
the file and the table drift apart, when the real nats-server would not load the node
configs, or when a compose service signs in as another user than its role's.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import nats
import nats.errors
import pytest
import yaml

from ledger.embedded import ROLES, find_binary
from ledger.embedded._config import free_port
from ledger.embedded.deploy import DEPLOY_USERS, USERS_FILE, deploy_users_config, main
from tests.store.users_support import sign_in, wait_for_port

REPO = Path(__file__).resolve().parents[2]
PASSWORDS = {f"KOERS_NATS_{u.name.upper()}_PASSWORD": f"secret-of-{u.name}" for u in DEPLOY_USERS}


def test_users_conf_is_the_permission_table(tmp_path: Path) -> None:
    assert USERS_FILE.read_text(encoding="utf-8") == deploy_users_config()
    assert main(["check"]) == 0
    drifted = tmp_path / "users.conf"
    drifted.write_text(deploy_users_config().replace('"$JS.API.INFO"\n', "", 1))
    assert main(["check", str(drifted)]) == 1


@pytest.mark.parametrize("node", ["n1", "n2", "n3"])
def test_the_real_nats_server_loads_the_node_config_with_each_nodes_environment(node: str) -> None:
    """``nats-server -t`` parses deploy/nats/node.conf (include and environment variables
    too) with the environment compose gives ``node``."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    node_env = {k: str(v) for k, v in compose["services"][node]["environment"].items()
                if k.startswith("KOERS_NODE_")}  # fmt: skip
    config = REPO / "deploy" / "nats" / "node.conf"
    command = [str(find_binary()), "-t", "-c", str(config)]
    ok = subprocess.run(command, env={**os.environ, **PASSWORDS, **node_env},
                        capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bare = {k: v for k, v in os.environ.items() if not k.startswith("KOERS_NATS_")}
    missing = subprocess.run(command, env={**bare, **node_env}, capture_output=True, text=True,
                             timeout=30, check=False)  # fmt: skip
    assert missing.returncode != 0  # no password, no server: nobody gets in anonymously
    assert "KOERS_NATS_ADMIN_PASSWORD" in missing.stdout + missing.stderr


def test_compose_gives_each_service_its_own_user() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    referenced = set(re.findall(r"\$(KOERS_NATS_\w+_PASSWORD)", USERS_FILE.read_text()))
    assert referenced == set(PASSWORDS)
    for node in ("n1", "n2", "n3"):
        passwords = {k for k in services[node]["environment"] if k.endswith("_PASSWORD")}
        assert passwords == referenced
        assert any("users.conf:/etc/nats/users.conf" in v for v in services[node]["volumes"])
    roles = {"init": "admin", "api-1": "app", "api-2": "app", "workers-1": "workers",
             "workers-2": "workers", "views": "views"}  # fmt: skip
    for service, user in roles.items():
        env = services[service]["environment"]
        assert env["NATS_USER"] == user
        assert env["NATS_PASSWORD"].startswith(f"${{KOERS_NATS_{user.upper()}_PASSWORD")
    assert set(ROLES) <= {u.name for u in DEPLOY_USERS}


def test_a_server_with_the_deploy_users_refuses_what_the_app_may_not_do(tmp_path: Path) -> None:
    """The generated block, loaded by the real server with passwords from the environment."""
    shutil.copy(USERS_FILE, tmp_path / "users.conf")
    port = free_port()
    (tmp_path / "node.conf").write_text(
        f"listen: 127.0.0.1:{port}\njetstream {{ store_dir: {str(tmp_path / 'js')!r} }}\n"
        "include ./users.conf\n"
    )
    server = subprocess.Popen([str(find_binary()), "-c", str(tmp_path / "node.conf")],
                              env={**os.environ, **PASSWORDS}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert asyncio.run(_attempts(port)) == ["refused", "created", "refused", "listed"]
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _attempts(port: int) -> list[str]:
    url = f"nats://127.0.0.1:{port}"
    wait_for_port(port)
    outcomes = ["refused" if "Authorization Violation" in sign_in(port) else "let in"]
    admin = await nats.connect(url, user="admin", password=PASSWORDS["KOERS_NATS_ADMIN_PASSWORD"],
                               allow_reconnect=False, connect_timeout=2)  # fmt: skip
    await admin.jetstream().add_stream(name="LEDGER", subjects=["ledger.>"])
    outcomes.append("created")
    app = await nats.connect(url, user="app", password=PASSWORDS["KOERS_NATS_APP_PASSWORD"],
                             allow_reconnect=False, connect_timeout=2)  # fmt: skip
    try:
        await app.request("$JS.API.STREAM.DELETE.LEDGER", b"", timeout=1)
        outcomes.append("deleted")
    except nats.errors.TimeoutError:
        outcomes.append("refused")
    names = await admin.jetstream().streams_info()
    outcomes.append("listed" if [s.config.name for s in names] == ["LEDGER"] else "gone")
    await app.close()
    await admin.close()
    return outcomes
