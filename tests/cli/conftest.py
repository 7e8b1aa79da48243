"""The ``koers`` command line as a user runs it: real processes on a real nats-server
(marked ``nats``), except the help texts, which need no store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.commandline import options, run_koers
from tests.conftest import fresh_env, mark_nats


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_nats(
        items,
        __file__,
        (
            "test_cli.py",
            "test_cli_show.py",
            "test_export.py",
            "test_export_types.py",
            "test_settings.py",
        ),
    )


@pytest.fixture
def cli_env() -> dict[str, str]:
    """A fresh stream for real ``koers`` processes (they build their own NATS store), run as
    ann unless a command says ``--as``."""
    env = fresh_env()
    del env["PERSISTENCE_MODULE"]
    return {**env, "KOERS_USER": "ann"}


def koers_ok(*args: str, env: dict[str, str]) -> str:
    """``koers <args>``'s output, checked to have succeeded without a traceback."""
    result = run_koers(*args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return result.stdout


def open_decision(env: dict[str, str], **overrides: str | tuple[str, ...]) -> Any:
    """``koers decision open`` as ann for platform: "Monorepo?", a one-way door between
    ``a=Yes`` and ``b=No`` at 60 % information (``overrides`` change or add options); the
    decision as JSON."""
    values = {"team": "platform", "question": "Monorepo?", "option": ("a=Yes", "b=No"),
              "door": "one_way", "information": "60", "decider": "ann",
              "decide_by": "2030-01-01", **overrides}  # fmt: skip
    return json.loads(koers_ok("decision", "open", *options(**values), "--json", env=env))


def decide(env: dict[str, str], decision_id: str, **overrides: str) -> None:
    """``koers decision decide`` for option ``a``, expecting "Weekly releases" at confidence
    0.7, to be reviewed on 2030-02-01 (``overrides`` change or add options)."""
    values = {"option": "a", "rationale": "One pipeline halves lead time",
              "expected": "Weekly releases", "confidence": "0.7", "review_on": "2030-02-01",
              **overrides}  # fmt: skip
    koers_ok("decision", "decide", decision_id, *options(**values), env=env)
