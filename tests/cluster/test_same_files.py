"""docker-compose.yml and ``koers cluster up`` run the same stack from the same files.

Both start the nodes from deploy/nats/node.conf (which includes deploy/nats/users.conf),
give each node the same ``KOERS_NODE_*`` settings and each Koers service the same command
and NATS user (ledger/cluster/_services.py), and put the views in the one PostgreSQL
server (``KOERS_VIEWS_URL`` in every Koers service). The runner's side of "the same command" on
running processes is checked in test_cluster_up.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ledger.cluster import ENTRY, INIT, POSTGRES, SERVICES, LocalCluster
from ledger.embedded import NODE_CONFIG
from ledger.embedded.deploy import USERS_FILE

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, dict[str, object]]:
    loaded = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services: dict[str, dict[str, object]] = loaded["services"]
    return services


def test_the_nodes_run_the_deploy_files_in_compose_and_in_the_runner(tmp_path: Path) -> None:
    assert NODE_CONFIG == REPO / "deploy" / "nats" / "node.conf"
    assert USERS_FILE.parent == NODE_CONFIG.parent  # node.conf includes ./users.conf
    assert "include ./users.conf" in NODE_CONFIG.read_text(encoding="utf-8")
    variables = set(re.findall(r"\$(KOERS_NODE_\w+)", NODE_CONFIG.read_text(encoding="utf-8")))
    runner = LocalCluster(tmp_path, port=0, nats_port=0, postgres_port=0)
    services = _compose()
    for node in runner.nodes.nodes:
        compose = services[node.name]
        assert compose["command"] == ["-c", "/etc/nats/node.conf"]
        volumes = compose["volumes"]
        assert isinstance(volumes, list)
        assert "./deploy/nats/node.conf:/etc/nats/node.conf:ro" in volumes
        assert "./deploy/nats/users.conf:/etc/nats/users.conf:ro" in volumes
        env = compose["environment"]
        assert isinstance(env, dict)
        given = {key for key in env if key.startswith("KOERS_NODE_")}
        assert given == variables == set(runner.nodes.environment(node))
        assert env["KOERS_NODE_NAME"] == node.name


def test_each_koers_service_runs_the_same_command_as_the_same_user(tmp_path: Path) -> None:
    services = _compose()
    runner = LocalCluster(tmp_path, port=0, nats_port=0, postgres_port=0)
    for service in (INIT, *SERVICES):
        names = [f"{service.name}-{i}" for i in range(1, service.replicas + 1)]
        for index, name in enumerate(names if service.replicas > 1 else [service.name]):
            compose = services[name]
            assert compose["command"] == list(service.args), name
            env = compose["environment"]
            assert isinstance(env, dict)
            assert env["NATS_USER"] == service.user, name
            ours = runner.settings(service.user)
            for key in ("NATS_REPLICAS", "NATS_WRITE_DEADLINE"):
                assert env[key] == ours[key], (name, key)
            assert str(env["NATS_PASSWORD"]).startswith(f"${{KOERS_NATS_{service.user.upper()}")
            for key, value in service.others if index else ():
                assert env[key] == value, (name, key)
    entry = services["entry"]["command"]
    assert isinstance(entry, list)
    assert entry[: len(ENTRY)] == list(ENTRY)
    assert entry.count("--backend") == 2


def test_the_views_are_in_postgresql_in_compose_and_in_the_runner(tmp_path: Path) -> None:
    services = _compose()
    runner = LocalCluster(tmp_path, port=0, nats_port=0, postgres_port=0)
    assert str(services[POSTGRES]["image"]).startswith("postgres:")
    database = services[POSTGRES]["environment"]
    assert isinstance(database, dict)
    assert (database["POSTGRES_USER"], database["POSTGRES_DB"]) == ("koers", "koers")
    for service in (INIT, *SERVICES):
        names = [f"{service.name}-{i}" for i in range(1, service.replicas + 1)]
        for name in names if service.replicas > 1 else [service.name]:
            env = services[name]["environment"]
            assert isinstance(env, dict)
            url = str(env["KOERS_VIEWS_URL"])
            assert url.startswith("postgresql://koers:${KOERS_POSTGRES_PASSWORD"), name
            assert url.endswith(f"@{POSTGRES}:5432/koers"), name
            ours = runner.settings(service.user)["KOERS_VIEWS_URL"]
            assert ours == runner.postgres.url
            assert ours.endswith("/koers")
            if service.name in ("init", "views", "api"):  # once the database answers
                depends = services[name]["depends_on"]
                assert isinstance(depends, dict)
                assert depends[POSTGRES] == {"condition": "service_healthy"}, name
    example = (REPO / "deploy" / "env.example").read_text(encoding="utf-8")
    assert "KOERS_POSTGRES_PASSWORD=" in example
