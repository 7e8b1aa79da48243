"""`koers notify set|team|show` as a user runs it (issue 13)."""

from __future__ import annotations

import json

from tests.commandline import run_koers
from tests.conftest import fresh_env

HOOK = "https://hooks.slack.com/services/T0/B0/secret"


def test_koers_notify_sets_and_shows_a_persons_channels_and_refuses_bad_hours() -> None:
    env = fresh_env()
    added = run_koers("people", "add", "ann", "--name", "Ann", "--email", "ann@ex.org",
                      "--tz", "Europe/Amsterdam", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    chosen = ("--email", "off", "--digest", "weekly", "--quiet", "19:00-08:00", "--slack", HOOK,
              "--kinds", "weekly_review")  # fmt: skip
    done = run_koers("notify", "set", "ann", *chosen, env=env)
    assert done.returncode == 0, done.stderr
    shown = run_koers("notify", "show", "ann", "--json", env=env)
    assert json.loads(shown.stdout) == {
        "person": "ann", "email": "off", "slack": HOOK, "teams": "off", "digest": "weekly",
        "quiet": "19:00-08:00", "kinds": ["weekly_review"],
    }  # fmt: skip
    bad = run_koers("notify", "set", "ann", "--quiet", "7pm", env=env)
    assert bad.returncode == 2
    assert "--quiet" in bad.stderr
    assert "19:00-08:00" in bad.stderr  # says how to write it
    team = run_koers("teams", "add", "platform", "--name", "Platform", env=env)
    assert team.returncode == 0, team.stderr
    set_team = run_koers("notify", "team", "platform", "--teams",
                         "https://example.webhook.office.com/x", env=env)  # fmt: skip
    assert set_team.returncode == 0, set_team.stderr
    assert "example.webhook.office.com/x" in run_koers("notify", "show", "platform", "--team",
                                                       env=env).stdout  # fmt: skip


def test_koers_notify_refuses_a_chat_url_into_a_private_network_naming_the_setting() -> None:
    env = {**fresh_env(), "KOERS_WEBHOOKS_ALLOW_PRIVATE": "no"}
    added = run_koers("people", "add", "ann", "--name", "Ann", env=env)
    assert added.returncode == 0, added.stderr
    bad = run_koers("notify", "set", "ann", "--slack", "http://localhost:9/hook", env=env)
    assert bad.returncode == 2
    assert "--slack" in bad.stderr
    assert "localhost resolves to a loopback address" in bad.stderr
    assert "KOERS_WEBHOOKS_ALLOW_PRIVATE=1" in bad.stderr
    shown = run_koers("notify", "show", "ann", "--json", env=env)
    assert json.loads(shown.stdout)["slack"] == "off"  # nothing stored
    allowed = {**env, "KOERS_WEBHOOKS_ALLOW_PRIVATE": "1"}
    done = run_koers("notify", "set", "ann", "--slack", "http://localhost:9/hook", env=allowed)
    assert done.returncode == 0, done.stderr
