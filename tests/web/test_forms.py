"""Forms made from the command table, without a browser: which inputs a command gets, and
how a posted form becomes the values the domain checks (and its errors, the inputs)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ledger.domain import COMMANDS
from ledger.errors import InvalidValue
from ledger.web._commands import safe_next
from ledger.web._forms import Group, Input, error_name, form_of, values_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _inputs(form_items: list[Input | Group]) -> dict[str, Input]:
    found: dict[str, Input] = {}
    for item in form_items:
        for one in item.inputs if isinstance(item, Group) else [item]:
            found[one.name] = one
    return found


def test_a_check_in_form_has_the_fields_their_bounds_and_widgets() -> None:
    form = form_of(COMMANDS["key_result.check_in"], target="abc", next="/key-result/abc")
    inputs = _inputs(form.items)
    assert list(inputs) == ["value", "confidence", "as_of", "note", "blockers"]
    assert inputs["confidence"].widget == "number"
    assert inputs["confidence"].attrs == {"min": "0", "max": "10", "step": "1"}
    assert inputs["value"].required
    assert not inputs["note"].required
    assert inputs["as_of"].widget == "datetime-local"
    assert inputs["blockers"].widget == "lines"
    assert form.action == "/do/check_in"
    assert form.title == "Record a check-in"
    assert len({i.id for i in inputs.values()}) == len(inputs)  # unique ids on a page


def test_fixed_values_are_hidden_and_not_asked_for() -> None:
    form = form_of(COMMANDS["objective.set"], fixed={"team": "platform"})
    assert form.hidden == {"team": "platform"}
    assert "team" not in _inputs(form.items)


def test_records_get_rows_and_a_record_a_group() -> None:
    form = form_of(COMMANDS["decision.open"])
    inputs = _inputs(form.items)
    assert "options[0].key" in inputs
    assert "options[1].key" in inputs  # the least the command needs, and spare rows
    assert {"risk.likelihood", "risk.impact"} <= set(inputs)
    assert inputs["reversibility"].widget == "select"


def test_posted_values_become_the_commands_values() -> None:
    command = COMMANDS["key_result.check_in"]
    values, _ = values_of(command, {"value": " 12.5 ", "confidence": "7", "note": "",
                                    "blockers": "vendor\n\n  legal  \n",
                                    "as_of": "2026-11-02T09:00"}, AMSTERDAM)  # fmt: skip
    assert values == {"value": "12.5", "confidence": "7", "blockers": ["vendor", "  legal"],
                      "as_of": "2026-11-02T09:00:00+01:00"}  # fmt: skip
    checked = command.check(values)
    assert checked["blockers"] == ("vendor", "legal")
    assert checked["as_of"].isoformat() == "2026-11-02T08:00:00+00:00"


def test_an_error_in_a_record_row_names_the_row_the_person_filled() -> None:
    command = COMMANDS["decision.open"]
    posted = {"options[0].key": "", "options[0].label": "",
              "options[1].key": "a", "options[1].label": "Build",
              "options[2].key": "b", "options[2].label": "Buy",
              "criteria[0].name": "cost", "criteria[0].weight": "-1"}  # fmt: skip
    values, rows_of = values_of(command, posted, AMSTERDAM)
    assert [o["key"] for o in values["options"]] == ["a", "b"]
    assert error_name("options[0].key", rows_of) == "options[1].key"
    assert error_name("criteria[0].weight", rows_of) == "criteria[0].weight"
    assert error_name("question", rows_of) == "question"
    with pytest.raises(InvalidValue) as refused:
        command.check(values)
    named = {error_name(f, rows_of) for f, _ in refused.value.errors}
    assert "criteria[0].weight" in named


def test_errors_show_next_to_their_inputs_and_the_rest_in_the_forms_banner() -> None:
    form = form_of(COMMANDS["key_result.check_in"],
                   posted={"value": "x", "confidence": "11"},
                   errors={"confidence": "11 is outside 0–10", "id": "not an id"})  # fmt: skip
    inputs = _inputs(form.items)
    assert inputs["confidence"].error == "11 is outside 0–10"
    assert inputs["confidence"].value == "11"
    assert "id: not an id" in form.error


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [("/team/platform?period=2026-Q3", "/team/platform?period=2026-Q3"), ("", "/"),
     ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil", "/")],
)  # fmt: skip
def test_after_a_form_only_a_path_of_this_site_is_followed(given: str, goes_to: str) -> None:
    assert safe_next(given) == goes_to
