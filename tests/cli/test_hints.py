"""The command line says, in its own words, where the ids of a kind are listed: the
application's ``NotFound`` names the kind only (the API words the same error its own way)."""

from __future__ import annotations

import uuid

import pytest

from ledger.cli._kinds import group_of, list_hint
from ledger.cli._output import EXIT, friendly_errors
from ledger.errors import NotFound


def test_a_thing_not_found_names_the_command_that_lists_its_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ident = uuid.uuid4()
    with pytest.raises(SystemExit) as exited, friendly_errors():
        raise NotFound("key result", ident)
    assert exited.value.code == EXIT["bad_input"]
    assert capsys.readouterr().err == (
        f"koers: no key result with id {ident}: check the id (`koers kr list` shows them)\n"
    )


def test_a_hint_given_by_the_raiser_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit), friendly_errors():
        raise NotFound("check-in", "x", "show the key result to see its check-ins")
    assert "(show the key result to see its check-ins)" in capsys.readouterr().err


def test_the_one_kind_to_group_map() -> None:
    assert [group_of(k) for k in ("key_result", "objective", "decision")] == [
        "kr",
        "objective",
        "decision",
    ]
    assert list_hint("action item") == "`koers retro show` lists them"
    assert list_hint("aggregate") == ""
